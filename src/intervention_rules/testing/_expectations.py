"""A scenario's expectations against the decision its assessment gets.

One function per expectation kind, all with the same signature, collected in :data:`CHECKS`:
``(expectation, decision) -> (message or None, interventions concerned)``. Invariants are checked
here too, on the normalised assessment and the derived facts of the fired rules.

A failure's message names interventions, rules, fields and ranks, never the assessment's values
nor the texts of the decision (a rule's text can quote them through its templates); a message
that would need them says so in a second form, :attr:`Failure.message_with_values`, shown only
to a caller who asks for values.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

import attrs
import yaml

from ..conditions import describe, evaluate, trace
from ..decision import Decision
from ..errors import AssessmentError
from ..model import Conclude, Location
from ..ruleset import RuleSet
from ._scenarios import Expectation, Invariant, Scenario

__all__ = ["CHECKS", "Failure", "Outcome", "check_scenario", "derived_facts", "invariant_failure"]

#: A message: one text, or (names only, with the texts and values) when the two differ.
Message = str | tuple[str, str]
Verdict = tuple[Message | None, tuple[str, ...]]


@attrs.frozen
class Failure:
    """One expectation (or invariant) that did not hold."""

    expectation: str  # as written, e.g. "recommended: [dbt, cbt]"
    message: str  # names interventions, rules, fields and ranks; never a value or a decision's text
    location: Location
    interventions: tuple[str, ...] = ()
    #: The message quoting the texts and values it leaves out (patient data: only for a caller
    #: who asked for values); None when the message has nothing to leave out.
    message_with_values: str | None = None

    def text(self, show_values: bool = False) -> str:
        """The message, quoting texts and values only with ``show_values``."""
        return self.message_with_values if show_values and self.message_with_values else self.message


@attrs.frozen
class Outcome:
    """What one scenario came to: its decision (None if the assessment was rejected) and failures."""

    scenario: Scenario
    decision: Decision | None
    values: Mapping[str, Any] | None  # the normalised assessment
    failures: tuple[Failure, ...]
    error: AssessmentError | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


def _written(kind: str, value: Any, subject: str | None = None) -> str:
    data = {subject: value} if subject is not None else value
    if isinstance(data, tuple):
        data = list(data)
    text = yaml.safe_dump(data, default_flow_style=True, sort_keys=False, width=1000).strip()
    return f"{kind}: {text}"


def _rank(decision: Decision, name: str) -> int | None:
    rec = decision.recommendation(name)
    return rec.rank if rec else None


def _status(decision: Decision, name: str) -> str:
    """How an intervention came out, in words."""
    rank = _rank(decision, name)
    if rank is not None:
        return f"{name} is recommended at rank {rank}"
    if any(c.intervention == name for c in decision.considered):
        return f"{name} is considered, not suggested (its strength ended at 0)"
    vetoes = [n.rule for n in decision.not_recommended if n.intervention == name]
    if vetoes:
        return f"{name} is ruled out (not_recommended) by {', '.join(vetoes)}"
    return f"{name} is not recommended (no rule recommending it fired)"


def _recommended(e: Expectation, d: Decision) -> Verdict:
    missing = [n for n in e.value if d.recommendation(n) is None]
    return ("; ".join(_status(d, n) for n in missing) or None, tuple(missing))


def _not_recommended(e: Expectation, d: Decision) -> Verdict:
    vetoed = {n.intervention for n in d.not_recommended}
    wrong = [n for n in e.value if n not in vetoed]
    return ("; ".join(_status(d, n) for n in wrong) or None, tuple(wrong))


def _considered(e: Expectation, d: Decision) -> Verdict:
    weighed = {c.intervention for c in d.considered}
    wrong = [n for n in e.value if n not in weighed]
    return ("; ".join(_status(d, n) for n in wrong) or None, tuple(wrong))


def _absent(e: Expectation, d: Decision) -> Verdict:
    vetoed = {n.intervention for n in d.not_recommended}
    wrong = [n for n in e.value if d.recommendation(n) is not None or n in vetoed]
    return ("; ".join(_status(d, n) for n in wrong) or None, tuple(wrong))


def _order(e: Expectation, d: Decision) -> Verdict:
    missing = [n for n in e.value if d.recommendation(n) is None]
    if missing:
        return "; ".join(_status(d, n) for n in missing), tuple(missing)
    ranks = [(rec.rank, n) for n in e.value if (rec := d.recommendation(n))]
    for (r1, n1), (r2, n2) in itertools.pairwise(ranks):
        if r1 > r2:
            actual = ", ".join(f"{n} ({r})" for r, n in sorted(ranks))
            return f"{n1} (rank {r1}) is not above {n2} (rank {r2}); actual order: {actual}", (n1, n2)
    return None, ()


def _exact_order(e: Expectation, d: Decision) -> Verdict:
    actual = [r.intervention for r in d.recommendations]
    expected = list(e.value)
    if actual == expected:
        return None, ()
    diff = "\n".join(
        line.rstrip()
        for line in difflib.unified_diff(expected, actual, "expected", "actual", lineterm="", n=len(actual))
    )
    differing = [n for n in dict.fromkeys([*expected, *actual]) if _rank(d, n) != _position(expected, n)]
    return f"the ranked list differs:\n{diff}", tuple(differing[:3])


def _position(names: Sequence[str], name: str) -> int | None:
    return names.index(name) + 1 if name in names else None


def _names(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _ranks(e: Expectation, d: Decision) -> Verdict:
    name = e.subject
    assert name is not None
    rank = _rank(d, name)
    if rank is None:
        return _status(d, name), (name,)
    problems: list[str] = []
    concerned = [name]
    spec = e.value
    if "rank" in spec and rank != spec["rank"]:
        problems.append(f"{name} is at rank {rank}, not {spec['rank']}")
    if "top" in spec and rank > spec["top"]:
        problems.append(f"{name} is at rank {rank}, not in the top {spec['top']}")
    for side in ("above", "below"):
        for other in _names(spec.get(side, [])):
            other_rank = _rank(d, other)
            if other_rank is None:
                problems.append(f"{_status(d, other)}, so {name} cannot be {side} it")
            elif (side == "above") != (rank < other_rank):
                problems.append(f"{name} (rank {rank}) is not {side} {other} (rank {other_rank})")
            else:
                continue
            concerned.append(other)
    return "; ".join(problems) or None, tuple(concerned)


def _matches(matcher: Mapping[str, Any], fields: Mapping[str, str]) -> bool:
    for key, wanted in matcher.items():
        if key == "text":
            if wanted.casefold() not in fields["text"].casefold():
                return False
        elif fields.get(key) != wanted:
            return False
    return True


def _listing(head: str, kind: str, items: list[dict[str, str]]) -> Message:
    """The notes of a kind, without their texts and with them."""
    if not items:
        return f"{head}; there are no {kind}"
    names = [
        "  - " + " ".join(f"[{v}]" if k == "severity" else v for k, v in item.items() if k != "text")
        for item in items
    ]
    plain = f"{head}; the {kind} are (texts left out):\n" + "\n".join(names)
    quoted = f"{head}; the {kind} are:\n" + "\n".join(
        f"{line}: {item['text']}" for line, item in zip(names, items, strict=True)
    )
    return plain, quoted


def _cautions(e: Expectation, d: Decision) -> Verdict:
    shown = [(r.intervention, r.cautions) for r in d.recommendations]
    shown += [(c.intervention, c.cautions) for c in d.considered]
    notes = [
        {"intervention": name, "severity": c.severity, "rule": c.rule, "text": c.text}
        for name, cautions in shown
        for c in cautions
    ]
    if any(_matches(e.value, n) for n in notes):
        return None, ()
    concerned = (e.value["intervention"],) if "intervention" in e.value else ()
    return _listing("no caution matches", "cautions", notes), concerned


def _alerts(e: Expectation, d: Decision) -> Verdict:
    alerts = [{"severity": a.severity, "rule": a.rule, "text": a.text} for a in d.alerts]
    if any(_matches(e.value, a) for a in alerts):
        return None, ()
    return _listing("no alert matches", "alerts", alerts), ()


def _collaboration(e: Expectation, d: Decision) -> Verdict:
    name = e.value["intervention"]
    rec = d.recommendation(name)
    if rec is None:
        return _status(d, name), (name,)
    prompts = [
        {"intervention": name, "role": c.role, "rule": c.rule or "(catalogue)", "text": c.prompt}
        for c in rec.collaboration
    ]
    if any(_matches(e.value, p) for p in prompts):
        return None, ()
    return _listing("no collaboration prompt matches", f"prompts for {name}", prompts), (name,)


def _fired(e: Expectation, d: Decision) -> Verdict:
    missing = [r for r in e.value if r not in d.fired]
    if not missing:
        return None, ()
    return f"did not fire: {', '.join(missing)}; fired: {', '.join(d.fired) or 'none'}", ()


def _not_fired(e: Expectation, d: Decision) -> Verdict:
    wrong = [r for r in e.value if r in d.fired]
    return (f"fired: {', '.join(wrong)}" if wrong else None), ()


CHECKS: Mapping[str, Callable[[Expectation, Decision], Verdict]] = {
    "recommended": _recommended,
    "not_recommended": _not_recommended,
    "absent": _absent,
    "considered": _considered,
    "order": _order,
    "exact_order": _exact_order,
    "ranks": _ranks,
    "cautions": _cautions,
    "alerts": _alerts,
    "collaboration": _collaboration,
    "fired": _fired,
    "not_fired": _not_fired,
}


def derived_facts(ruleset: RuleSet, decision: Decision) -> set[str]:
    """The derived facts concluded in a decision: those of the rules that fired."""
    return {
        a.fact for rule_id in decision.fired for a in ruleset.rule(rule_id).then if isinstance(a, Conclude)
    }


def invariant_failure(
    invariant: Invariant, values: Mapping[str, Any], facts: Collection[str], decision: Decision
) -> Failure | None:
    """The failure of a declared invariant on one decision, or None if it holds."""
    holds = evaluate(invariant.condition, values, facts)
    recommended = decision.recommendation(invariant.intervention) is not None
    name = invariant.intervention
    condition = describe(invariant.condition)
    if invariant.kind == "only_when" and recommended and not holds:
        message = f"{name} is recommended, but it is only allowed when {condition}"
        failed = trace(invariant.condition, values, facts)
    elif invariant.kind == "always_when" and holds and not recommended:
        message = f"{_status(decision, name)}, but it is required whenever {condition}"
        failed = []
    elif invariant.kind == "never_when" and holds and recommended:
        message = f"{name} is recommended, but it is never allowed when {condition}"
        failed = []
    else:
        return None
    return Failure(
        expectation=f"invariant '{invariant.name}': {invariant.describe()}",
        message=message + "".join(f"\n  needs {f.condition}" for f in failed),
        location=invariant.location,
        interventions=(name,),
        message_with_values=(
            message + "".join(f"\n  needs {f.condition}; saw {f.seen}" for f in failed) if failed else None
        ),
    )


def _problems(head: str, scenario: Scenario, error: AssessmentError) -> tuple[str, str]:
    """A rejected assessment's problems, naming fields only and quoting the values."""
    plain = "\n".join(f"  {p}" for p in error.problems)
    quoted = "\n".join(f"  {p}" for p in error.values(scenario.assessment))
    return f"{head}:\n{plain}", f"{head}:\n{quoted}"


def _invalid(scenario: Scenario, expectation: Expectation, error: AssessmentError | None) -> Failure | None:
    wanted = list(expectation.value)
    written = _written("invalid", expectation.value)
    if error is None:
        return Failure(written, "the assessment was accepted", expectation.location)
    fields = [p.field for p in error.problems]
    missing = [w for w in wanted if not any(f == w or f.startswith((f"{w}.", f"{w}[")) for f in fields)]
    if not missing:
        return None
    plain, quoted = _problems(f"no problem with {', '.join(missing)}; the problems are", scenario, error)
    return Failure(written, plain, expectation.location, message_with_values=quoted)


def check_scenario(ruleset: RuleSet, scenario: Scenario, invariants: Iterable[Invariant] = ()) -> Outcome:
    """Evaluate a scenario's assessment and check every expectation (and the invariants)."""
    try:
        values = ruleset.normalise(scenario.assessment)
        decision: Decision | None = ruleset.evaluate(scenario.assessment)
        error: AssessmentError | None = None
    except AssessmentError as caught:
        values, decision, error = None, None, caught
    invalid = [e for e in scenario.expectations if e.kind == "invalid"]
    if invalid:
        failure = _invalid(scenario, invalid[0], error)
        return Outcome(scenario, decision, values, (failure,) if failure else (), error)
    if decision is None or values is None:
        assert error is not None
        plain, shown = _problems("the assessment is invalid", scenario, error)
        failure = Failure(
            "a valid assessment", plain, scenario.assessment_location, message_with_values=shown
        )
        return Outcome(scenario, None, None, (failure,), error)
    failures = []
    for expectation in scenario.expectations:
        message, concerned = CHECKS[expectation.kind](expectation, decision)
        if message is not None:
            written = _written(expectation.kind, expectation.value, expectation.subject)
            plain, quoted = (message, None) if isinstance(message, str) else message
            failures.append(Failure(written, plain, expectation.location, concerned, quoted))
    facts = derived_facts(ruleset, decision)
    for invariant in invariants:
        failure = invariant_failure(invariant, values, facts, decision)
        if failure is not None:
            failures.append(failure)
    return Outcome(scenario, decision, values, tuple(failures))
