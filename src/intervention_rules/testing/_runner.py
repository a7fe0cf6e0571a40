"""Run scenario files against a rule set, and report: failures, coverage, mutation testing.

This is what ``intervention-rules test`` and the pytest plugin both use. A failure report shows
the expectation as written (with its file:line), what was wrong, the actual decision as a ranked
list, and the rule set's explanation of each intervention concerned.

Reports name interventions, rules, fields and ranks. The texts of a decision and of its
explanations are left out, and so are the values the assessment held: a rule's text can quote
those values through its templates (``{medications}``, ``{matched.reasons}``). With
``show_values=True`` (``--show-values``, ``--ir-show-values``) the reports quote both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ..decision import Decision
from ..ruleset import InterventionExplanation, RuleSet
from ._coverage import CoverageCollector, CoverageReport
from ._expectations import Failure, Outcome, check_scenario
from ._scenarios import ScenarioFile

__all__ = ["SuiteResult", "format_decision", "format_outcome", "run_scenarios"]

#: At most this many interventions are explained under one failure.
MAX_EXPLAINED = 3
#: Said under failure reports that leave texts and values out, followed by how to see them.
HIDDEN = "Texts of decisions and values of assessments are left out of failure reports"
#: Written in an explanation where it would quote the value a condition saw.
LEFT_OUT = "(left out)"


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

    def to_dict(self, *, show_values: bool = False) -> dict[str, Any]:
        """The JSON report; failure messages quote texts and values only with ``show_values``."""
        return {
            "ruleset": {
                "name": self.ruleset.name,
                "version": self.ruleset.version,
                "digest": self.ruleset.digest,
            },
            "scenarios": len(self.outcomes),
            "passed": len(self.outcomes) - len(self.failed),
            "failed": len(self.failed),
            "results": [_outcome_dict(o, show_values) for o in self.outcomes],
        }


def _outcome_dict(outcome: Outcome, show_values: bool) -> dict[str, Any]:
    s = outcome.scenario
    return {
        "scenario": s.name,
        "location": f"{s.location.file}:{s.location.line}",
        "passed": outcome.passed,
        "failures": [
            {
                "expectation": f.expectation,
                "message": f.text(show_values),
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


def format_decision(decision: Decision, *, show_values: bool = False) -> str:
    """A decision as a compact ranked list, for failure reports; alerts' texts only with
    ``show_values`` (they can quote the assessment)."""
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
        text = f": {a.text}" if show_values else ""
        lines.append(f"  alert [{a.severity}]{text} ({a.rule})")
    lines.append(f"  fired: {', '.join(decision.fired) or 'none'}")
    return "\n".join(lines)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def format_outcome(ruleset: RuleSet, outcome: Outcome, *, show_values: bool = False) -> str:
    """A scenario's result for a reader; for a failure, everything needed to see why. Texts and
    values from the assessment are quoted only with ``show_values``."""
    s = outcome.scenario
    head = f"{s.location.file}:{s.location.line}: {s.name}"
    if outcome.passed:
        return f"PASSED {head}"
    lines = [f"FAILED {head}"]
    concerned: dict[str, None] = {}
    for failure in outcome.failures:
        lines.append(_format_failure(failure, show_values))
        concerned.update(dict.fromkeys(failure.interventions))
    if outcome.decision is not None:
        lines.append(_indent(format_decision(outcome.decision, show_values=show_values), "  "))
        for name in list(concerned)[:MAX_EXPLAINED]:
            explanation = ruleset.explain(s.assessment, name)
            text = explanation.to_text() if show_values else _names_only(explanation, outcome.decision)
            lines.append(f"  explain {name}:")
            lines.append(_indent(text, "    "))
    return "\n".join(lines)


def _names_only(explanation: InterventionExplanation, decision: Decision) -> str:
    """An explanation as :meth:`InterventionExplanation.to_text` writes it, without the rules'
    texts and the values seen: rule ids, titles, conditions and locations. The explanation's
    texts and values are replaced and ``to_text`` writes it, so both forms share one layout."""
    rules = tuple(
        attrs.evolve(r, text=(), failed=tuple(attrs.evolve(f, seen=LEFT_OUT) for f in r.failed))
        for r in explanation.rules
    )
    return attrs.evolve(explanation, summary=_summary(explanation, decision), rules=rules).to_text()


def _summary(explanation: InterventionExplanation, decision: Decision) -> str:
    """How the intervention came out, naming the rules where the summary quotes their texts."""
    name = explanation.intervention
    if explanation.outcome == "considered":
        weighed = {
            e.rule: None for c in decision.considered if c.intervention == name for e in c.explanations
        }
        return f"considered, not suggested: strength 0 after {', '.join(weighed)}"
    if explanation.outcome == "ruled_out":
        rules = [n.rule for n in decision.not_recommended if n.intervention == name]
        return f"not recommended: ruled out by {', '.join(rules)}"
    return explanation.summary  # rank and strength, or that no rule recommending it fired


def _format_failure(failure: Failure, show_values: bool) -> str:
    where = f"{failure.location.file}:{failure.location.line}"
    first, *rest = failure.text(show_values).splitlines()
    lines = [f"  expected {failure.expectation}   [{where}]", f"    but {first}"]
    lines += [f"    {line}" for line in rest]
    return "\n".join(lines)
