"""Mutation testing of a rule set: change it a little, and see whether any scenario notices.

Mutants are built on the loaded model (never by editing YAML text) and compiled to the engine like
any rule set. Each has a stable id:

- ``remove:RULE``: the rule is deleted;
- ``negate:RULE:when``: the whole condition is negated; ``negate:RULE:<path>``: one test is;
- ``shift:RULE:<path>:+1`` (``-1``, and ``low+1``, ``high-1``... for ``between``): a numeric
  threshold moves by one step (1 for integer features, a tenth of the declared range or 1 for
  number features);
- ``drop:RULE:then[i]``: one action is deleted.

A mutant is *killed* when at least one scenario (or invariant) fails against it; a *survivor* is a
change nobody tests. Survivors listed under ``accepted_mutants`` in a scenario file, with a reason,
are reported as accepted instead.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal, TextIO

import attrs

from .._progress import progress
from ..conditions import operand_numbers
from ..errors import RuleSetError
from ..model import (
    Action,
    Alert,
    AllOf,
    AnyOf,
    Conclude,
    Condition,
    Location,
    Not,
    Operand,
    OperatorName,
    Rule,
    Test,
)
from ..ruleset import RuleSet
from ._coverage import condition_tests
from ._expectations import check_scenario
from ._scenarios import AcceptedMutant, Invariant, Scenario, ScenarioFile

__all__ = ["Mutant", "MutantResult", "MutationReport", "generate_mutants", "mutate"]

_THRESHOLD_OPS: frozenset[OperatorName] = frozenset({"lt", "lte", "gt", "gte", "eq", "ne", "between"})
Status = Literal["killed", "survived", "accepted", "invalid"]
MutantKind = Literal["remove", "negate", "shift", "drop"]


@attrs.frozen
class Mutant:
    id: str
    kind: MutantKind
    rule: str
    description: str
    location: Location
    rules: tuple[Rule, ...] = attrs.field(repr=False, eq=False)


@attrs.frozen
class MutantResult:
    mutant: Mutant
    status: Status
    killed_by: str | None = None  # "file:line: scenario name"
    reason: str | None = None  # why it was accepted, or why it could not be built

    def to_dict(self) -> dict[str, Any]:
        return {
            "mutant": self.mutant.id,
            "description": self.mutant.description,
            "location": str(self.mutant.location),
            "status": self.status,
            "killed_by": self.killed_by,
            "reason": self.reason,
        }


@attrs.frozen
class MutationReport:
    results: tuple[MutantResult, ...]
    stale: tuple[AcceptedMutant, ...]  # acceptances that match no surviving mutant
    seconds: float

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def survivors(self) -> tuple[MutantResult, ...]:
        return tuple(r for r in self.results if r.status == "survived")

    @property
    def passed(self) -> bool:
        return not self.survivors

    def to_dict(self) -> dict[str, Any]:
        return {
            "mutants": len(self.results),
            "killed": self.count("killed"),
            "survived": self.count("survived"),
            "accepted": self.count("accepted"),
            "invalid": self.count("invalid"),
            "seconds": round(self.seconds, 2),
            "results": [r.to_dict() for r in self.results],
            "stale_acceptances": [
                {"mutant": a.mutant, "location": f"{a.location.file}:{a.location.line}"} for a in self.stale
            ],
        }

    def to_text(self) -> str:
        lines = [
            f"Mutation testing: {len(self.results)} mutants, {self.count('killed')} killed, "
            f"{self.count('survived')} survived, {self.count('accepted')} accepted survivors"
            + (f", {self.count('invalid')} could not be compiled" if self.count("invalid") else "")
            + f" ({self.seconds:.1f}s)"
        ]
        if self.survivors:
            lines.append("  SURVIVED (no scenario notices this change; test it, or accept it with a reason):")
            for r in self.survivors:
                lines.append(f"    {r.mutant.id}")
                lines.append(f"      {r.mutant.description} [{r.mutant.location}]")
        accepted = [r for r in self.results if r.status == "accepted"]
        if accepted:
            lines.append("  accepted survivors:")
            lines += [f"    {r.mutant.id}: {r.reason}" for r in accepted]
        invalid = [r for r in self.results if r.status == "invalid"]
        if invalid:
            lines.append("  could not be compiled (not counted):")
            lines += [f"    {r.mutant.id}: {r.reason}" for r in invalid]
        for a in self.stale:
            lines.append(
                f"  note: accepted_mutants entry '{a.mutant}' ({a.location.file}:{a.location.line}) "
                "matches no surviving mutant; remove it"
            )
        return "\n".join(lines)


# --- building mutants ----------------------------------------------------------------------------


def _replace(condition: Condition, target: Condition, new: Condition) -> Condition:
    """The condition with the node ``target`` (by identity) replaced by ``new``."""
    if condition is target:
        return new
    if isinstance(condition, AllOf | AnyOf):
        return attrs.evolve(condition, items=tuple(_replace(c, target, new) for c in condition.items))
    if isinstance(condition, Not):
        return attrs.evolve(condition, item=_replace(condition.item, target, new))
    return condition


def _relative(rule: Rule, location: Location) -> str:
    prefix = rule.location.path + "."
    return location.path[len(prefix) :] if location.path.startswith(prefix) else location.path


def _step(ruleset: RuleSet, feature: str) -> int | float:
    spec = ruleset.features[feature]
    if spec.type == "integer":
        return 1
    if spec.minimum is not None and spec.maximum is not None and spec.maximum > spec.minimum:
        return (spec.maximum - spec.minimum) / 10
    return 1.0


def _shifts(ruleset: RuleSet, test: Test) -> Iterator[tuple[str, Operand]]:
    step = _step(ruleset, test.feature)
    if test.op == "between":
        low, high = operand_numbers(test)
        for end, index in (("low", 0), ("high", 1)):
            for sign in (1, -1):
                pair = [low, high]
                pair[index] += sign * step
                yield f"{end}{'+' if sign > 0 else '-'}{step:g}", tuple(pair)
    else:
        for sign in (1, -1):
            (threshold,) = operand_numbers(test)
            yield f"{'+' if sign > 0 else '-'}{step:g}", threshold + sign * step


def _describe_action(action: Action) -> str:
    if isinstance(action, Conclude):
        target = action.fact
    elif isinstance(action, Alert):
        target = action.severity
    else:
        target = action.intervention
    return f"{action.kind} {target}"


def generate_mutants(ruleset: RuleSet) -> list[Mutant]:
    """Every mutant of a rule set's rules (not retired), in rule order."""
    from ..conditions import describe

    rules = ruleset.rules
    out: list[Mutant] = []
    for index, rule in enumerate(rules):
        if rule.status == "retired":
            continue

        def variant(new: Rule | None, index: int = index) -> tuple[Rule, ...]:
            return rules[:index] + ((new,) if new is not None else ()) + rules[index + 1 :]

        def add(
            kind: MutantKind, where: str, text: str, location: Location, new: Rule | None, rule: Rule = rule
        ) -> None:
            ident = f"{kind}:{rule.id}" + (f":{where}" if where else "")
            out.append(Mutant(ident, kind, rule.id, text, location, variant(new)))

        add("remove", "", f"remove rule {rule.id} ({rule.title})", rule.location, None)
        when = rule.when
        add(
            "negate",
            "when",
            f"negate the condition of {rule.id}: not {describe(when)}",
            when.location,
            attrs.evolve(rule, when=Not(when, when.location)),
        )
        for leaf in condition_tests(when):
            where = _relative(rule, leaf.location)
            if leaf is not when:
                add(
                    "negate",
                    where,
                    f"negate a test of {rule.id}: not {describe(leaf)}",
                    leaf.location,
                    attrs.evolve(rule, when=_replace(when, leaf, Not(leaf, leaf.location))),
                )
            if (
                isinstance(leaf, Test)
                and leaf.op in _THRESHOLD_OPS
                and ruleset.features[leaf.feature].numeric
            ):
                for label, operand in _shifts(ruleset, leaf):
                    shifted = attrs.evolve(leaf, operand=operand)
                    add(
                        "shift",
                        f"{where}:{label}",
                        f"shift a threshold of {rule.id}: {describe(leaf)} -> {describe(shifted)}",
                        leaf.location,
                        attrs.evolve(rule, when=_replace(when, leaf, shifted)),
                    )
        for i, action in enumerate(rule.then):
            add(
                "drop",
                f"then[{i}]",
                f"drop an action of {rule.id}: {_describe_action(action)}",
                action.location,
                attrs.evolve(rule, then=rule.then[:i] + rule.then[i + 1 :]),
            )
    return out


def _compile(ruleset: RuleSet, mutant: Mutant) -> RuleSet:
    """The mutant compiled to a rule set (raises RuleSetError when it cannot be)."""
    variant = next((r for r in mutant.rules if r.id == mutant.rule), None)
    if variant is None:
        return ruleset.with_rules(remove=[mutant.rule])
    return ruleset.with_rules(replace=[variant])


# --- running -------------------------------------------------------------------------------------


def mutate(
    ruleset: RuleSet,
    files: Sequence[ScenarioFile],
    *,
    fired_in: dict[str, set[int]] | None = None,
    only: Iterable[str] = (),
    progress_to: TextIO | None = None,
) -> MutationReport:
    """Run every scenario against every mutant (stopping at the first that fails).

    ``fired_in`` maps rule ids to the indexes (in file order) of the scenarios in which they fired
    on the original rule set; those scenarios run first, and a mutant that removes a rule or one of
    its actions can only change the decisions in which that rule fired, so only those run.
    ``only`` restricts the run to mutants whose id starts with one of the given prefixes.
    ``progress_to``: a stream on which to draw a progress bar, if it is a terminal.
    """
    started = time.perf_counter()
    cases: list[tuple[Scenario, tuple[Invariant, ...]]] = [
        (scenario, file.invariants) for file in files for scenario in file.scenarios
    ]
    if fired_in is None:
        fired_in = {}
        for n, (scenario, invariants) in enumerate(cases):
            decision = check_scenario(ruleset, scenario, invariants).decision
            for rule_id in decision.fired if decision else ():
                fired_in.setdefault(rule_id, set()).add(n)
    accepted = {a.mutant: a for file in files for a in file.accepted_mutants}
    prefixes = tuple(only)
    results: list[MutantResult] = []
    mutants = [m for m in generate_mutants(ruleset) if not prefixes or m.id.startswith(prefixes)]
    for mutant in progress(mutants, progress_to, total=len(mutants), what="mutants", unit="mutants"):
        hit = sorted(fired_in.get(mutant.rule, set()))
        order = (
            hit if mutant.kind in ("remove", "drop") else hit + [n for n in range(len(cases)) if n not in hit]
        )
        killer = None
        if order:
            try:
                compiled = _compile(ruleset, mutant)
            except RuleSetError as error:
                reason = "; ".join(p.message for p in error.problems)
                results.append(MutantResult(mutant, "invalid", reason=reason))
                continue
            for n in order:
                scenario, invariants = cases[n]
                if not check_scenario(compiled, scenario, invariants).passed:
                    killer = f"{scenario.location.file}:{scenario.location.line}: {scenario.name}"
                    break
        if killer is not None:
            results.append(MutantResult(mutant, "killed", killed_by=killer))
        elif mutant.id in accepted:
            results.append(MutantResult(mutant, "accepted", reason=accepted[mutant.id].reason))
        else:
            results.append(MutantResult(mutant, "survived"))
    used = {r.mutant.id for r in results if r.status == "accepted"}
    stale = tuple(a for ident, a in accepted.items() if ident not in used and not prefixes)
    return MutationReport(tuple(results), stale, time.perf_counter() - started)
