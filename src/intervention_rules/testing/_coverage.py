"""Coverage of a rule set by scenarios: rules fired, and conditions seen both true and false.

Rule coverage counts the rules (not retired) that fired in at least one scenario. Condition
coverage walks each rule's condition tree with the plain-Python evaluator and records, for each
test (a feature test or a derived-fact test), whether it was seen true and seen false; a test that
can never be false (``recorded: true`` on a required feature) is shown as constant and left out of
the percentage.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from ..conditions import describe, evaluate
from ..decision import Decision
from ..model import AllOf, AnyOf, Condition, FactTest, Not, Rule, Test
from ..ruleset import RuleSet
from ._expectations import derived_facts

__all__ = ["ConditionCoverage", "CoverageCollector", "CoverageReport", "RuleCoverage", "condition_tests"]


@attrs.frozen
class RuleCoverage:
    rule: str
    title: str
    status: str
    location: str
    fired: int  # in how many scenarios

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "title": self.title,
            "status": self.status,
            "location": self.location,
            "fired": self.fired,
        }


@attrs.frozen
class ConditionCoverage:
    rule: str
    path: str  # inside the rule file, e.g. rules[3].when.all[1].age
    condition: str
    location: str
    true: int  # in how many scenarios the test held
    false: int
    constant: bool  # can never be false, so it is not counted

    @property
    def covered(self) -> bool:
        return self.constant or (self.true > 0 and self.false > 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "path": self.path,
            "condition": self.condition,
            "location": self.location,
            "true": self.true,
            "false": self.false,
            "constant": self.constant,
        }


def _percent(part: int, whole: int) -> float:
    return 100.0 if whole == 0 else round(100.0 * part / whole, 1)


@attrs.frozen
class CoverageReport:
    """Coverage of one rule set by a run of scenarios."""

    ruleset: str
    scenarios: int
    rules: tuple[RuleCoverage, ...]
    conditions: tuple[ConditionCoverage, ...]

    @property
    def never_fired(self) -> tuple[RuleCoverage, ...]:
        return tuple(r for r in self.rules if r.fired == 0)

    @property
    def rule_percent(self) -> float:
        return _percent(len(self.rules) - len(self.never_fired), len(self.rules))

    @property
    def outcomes(self) -> tuple[int, int]:
        """(outcomes seen, outcomes possible) over the tests that are not constant."""
        counted = [c for c in self.conditions if not c.constant]
        seen = sum((c.true > 0) + (c.false > 0) for c in counted)
        return seen, 2 * len(counted)

    @property
    def condition_percent(self) -> float:
        return _percent(*self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        seen, possible = self.outcomes
        return {
            "ruleset": self.ruleset,
            "scenarios": self.scenarios,
            "rules": {
                "total": len(self.rules),
                "fired": len(self.rules) - len(self.never_fired),
                "percent": self.rule_percent,
                "never_fired": [r.rule for r in self.never_fired],
                "by_rule": [r.to_dict() for r in self.rules],
            },
            "conditions": {
                "tests": len(self.conditions),
                "outcomes_seen": seen,
                "outcomes_possible": possible,
                "percent": self.condition_percent,
                "not_covered": [c.to_dict() for c in self.conditions if not c.covered],
                "by_test": [c.to_dict() for c in self.conditions],
            },
        }

    def to_text(self) -> str:
        fired = len(self.rules) - len(self.never_fired)
        seen, possible = self.outcomes
        lines = [
            f"Coverage of {self.ruleset} by {self.scenarios} scenario{'s' if self.scenarios != 1 else ''}",
            f"  rules fired: {fired}/{len(self.rules)} ({self.rule_percent:g}%)",
            f"  condition outcomes seen (each test true and false): {seen}/{possible} "
            f"({self.condition_percent:g}%)",
        ]
        if self.never_fired:
            lines.append("  rules that never fired:")
            lines += [f"    {r.rule} [{r.location}] {r.title}" for r in self.never_fired]
        partial = [c for c in self.conditions if not c.covered]
        if partial:
            lines.append("  tests not seen both true and false:")
            for c in partial:
                seen_as = "true only" if c.true else "false only" if c.false else "never evaluated"
                lines.append(f"    {c.rule} {c.condition}: seen {seen_as} [{c.location}]")
        constant = [c for c in self.conditions if c.constant]
        if constant:
            lines.append("  constant tests (cannot be false; not counted):")
            lines += [f"    {c.rule} {c.condition} [{c.location}]" for c in constant]
        return "\n".join(lines)


def condition_tests(condition: Condition) -> Iterator[Test | FactTest]:
    """The tests (leaves) of a condition tree, in order."""
    if isinstance(condition, Test | FactTest):
        yield condition
    elif isinstance(condition, AllOf | AnyOf):
        for item in condition.items:
            yield from condition_tests(item)
    elif isinstance(condition, Not):
        yield from condition_tests(condition.item)


class CoverageCollector:
    """Accumulates coverage over the decisions of a run of scenarios."""

    def __init__(self, ruleset: RuleSet) -> None:
        self._ruleset = ruleset
        self._rules: tuple[Rule, ...] = ruleset.live_rules
        self._fired = dict.fromkeys((r.id for r in self._rules), 0)
        self._tests = [(rule, test) for rule in self._rules for test in condition_tests(rule.when)]
        self._true = [0] * len(self._tests)
        self._false = [0] * len(self._tests)
        self._scenarios = 0

    def _constant(self, test: Test | FactTest) -> bool:
        if not isinstance(test, Test) or test.op != "recorded" or test.operand is not True:
            return False
        feature = self._ruleset.features.get(test.feature)
        return feature is not None and feature.required and "." not in test.feature

    def add(self, values: Mapping[str, Any], decision: Decision) -> None:
        """Record one scenario: its normalised assessment and its decision."""
        self._scenarios += 1
        for rule_id in decision.fired:
            self._fired[rule_id] += 1
        facts = derived_facts(self._ruleset, decision)
        for index, (_, test) in enumerate(self._tests):
            if evaluate(test, values, facts):
                self._true[index] += 1
            else:
                self._false[index] += 1

    def report(self) -> CoverageReport:
        return CoverageReport(
            ruleset=f"{self._ruleset.name} {self._ruleset.version}",
            scenarios=self._scenarios,
            rules=tuple(
                RuleCoverage(r.id, r.title, r.status, str(r.location), self._fired[r.id]) for r in self._rules
            ),
            conditions=tuple(
                ConditionCoverage(
                    rule=rule.id,
                    path=test.location.path,
                    condition=describe(test),
                    location=str(test.location),
                    true=self._true[i],
                    false=self._false[i],
                    constant=self._constant(test),
                )
                for i, (rule, test) in enumerate(self._tests)
            ),
        )
