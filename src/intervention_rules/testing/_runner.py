"""Run scenario files against a rule set, and report: failures, coverage, mutation testing.

This is what ``intervention-rules test`` and the pytest plugin both use. A failure report shows
the expectation as written (with its file:line), what was wrong, the actual decision as a ranked
list, and the rule set's explanation of each intervention concerned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ..decision import Decision
from ..ruleset import RuleSet
from ._coverage import CoverageCollector, CoverageReport
from ._expectations import Failure, Outcome, check_scenario
from ._scenarios import ScenarioFile

__all__ = ["SuiteResult", "format_decision", "format_outcome", "run_scenarios"]

#: At most this many interventions are explained under one failure.
MAX_EXPLAINED = 3


@attrs.frozen
class SuiteResult:
    """The outcome of every scenario of a run, in file order, and the coverage they gave."""

    ruleset: RuleSet
    files: tuple[ScenarioFile, ...]
    outcomes: tuple[Outcome, ...]
    coverage: CoverageReport

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.passed)

    @property
    def passed(self) -> bool:
        return not self.failed

    def fired_in(self) -> dict[str, set[int]]:
        """Rule id -> indexes of the scenarios in which it fired."""
        out: dict[str, set[int]] = {}
        for n, outcome in enumerate(self.outcomes):
            for rule_id in outcome.decision.fired if outcome.decision else ():
                out.setdefault(rule_id, set()).add(n)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": {
                "name": self.ruleset.name,
                "version": self.ruleset.version,
                "digest": self.ruleset.digest,
            },
            "scenarios": len(self.outcomes),
            "passed": len(self.outcomes) - len(self.failed),
            "failed": len(self.failed),
            "results": [_outcome_dict(o) for o in self.outcomes],
        }


def _outcome_dict(outcome: Outcome) -> dict[str, Any]:
    s = outcome.scenario
    return {
        "scenario": s.name,
        "location": f"{s.location.file}:{s.location.line}",
        "passed": outcome.passed,
        "failures": [
            {
                "expectation": f.expectation,
                "message": f.message,
                "location": f"{f.location.file}:{f.location.line}",
                "interventions": list(f.interventions),
            }
            for f in outcome.failures
        ],
        "ranked": [r.intervention for r in outcome.decision.recommendations] if outcome.decision else None,
    }


def run_scenarios(ruleset: RuleSet, files: Sequence[ScenarioFile]) -> SuiteResult:
    """Check every scenario of the files (each file's invariants on its own scenarios)."""
    collector = CoverageCollector(ruleset)
    outcomes = []
    for file in files:
        for scenario in file.scenarios:
            outcome = check_scenario(ruleset, scenario, file.invariants)
            if outcome.decision is not None and outcome.values is not None:
                collector.add(outcome.values, outcome.decision)
            outcomes.append(outcome)
    return SuiteResult(ruleset, tuple(files), tuple(outcomes), collector.report())


def format_decision(decision: Decision) -> str:
    """A decision as a compact ranked list, for failure reports."""
    lines = ["actual decision:"]
    if not decision.recommendations:
        lines.append("   (nothing recommended)")
    width = max((len(r.intervention) for r in decision.recommendations), default=0)
    for r in decision.recommendations:
        lines.append(f"  {r.rank:>2}. {r.intervention:<{width}}  strength {r.strength:g}")
    if decision.not_recommended:
        ruled = ", ".join(f"{n.intervention} ({n.rule})" for n in decision.not_recommended)
        lines.append(f"  not recommended: {ruled}")
    for a in decision.alerts:
        lines.append(f"  alert [{a.severity}]: {a.text} ({a.rule})")
    lines.append(f"  fired: {', '.join(decision.fired) or 'none'}")
    return "\n".join(lines)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def format_outcome(ruleset: RuleSet, outcome: Outcome) -> str:
    """A scenario's result for a reader; for a failure, everything needed to see why."""
    s = outcome.scenario
    head = f"{s.location.file}:{s.location.line}: {s.name}"
    if outcome.passed:
        return f"PASSED {head}"
    lines = [f"FAILED {head}"]
    concerned: dict[str, None] = {}
    for failure in outcome.failures:
        lines.append(_format_failure(failure))
        concerned.update(dict.fromkeys(failure.interventions))
    if outcome.decision is not None:
        lines.append(_indent(format_decision(outcome.decision), "  "))
        for name in list(concerned)[:MAX_EXPLAINED]:
            explanation = ruleset.explain(s.assessment, name)
            lines.append(f"  explain {name}:")
            lines.append(_indent(explanation.to_text(), "    "))
    return "\n".join(lines)


def _format_failure(failure: Failure) -> str:
    where = f"{failure.location.file}:{failure.location.line}"
    first, *rest = failure.message.splitlines()
    lines = [f"  expected {failure.expectation}   [{where}]", f"    but {first}"]
    lines += [f"    {line}" for line in rest]
    return "\n".join(lines)
