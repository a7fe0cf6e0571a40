"""Property testing of a rule set: hypothesis strategies and ready-made invariant checks.

Needs hypothesis (``pip install intervention-rules[testing]``); the rest of the library never
imports it. The strategies read a rule set's declared vocabulary, so they work for any rule set::

    from hypothesis import given
    from intervention_rules import load_ruleset
    from intervention_rules.testing import assessments, check_decision

    RULES = load_ruleset("rules/")

    @given(assessments(RULES))
    def test_every_decision_keeps_the_promises(assessment):
        check_decision(RULES, assessment)

Each ``check_*`` function raises ``AssertionError`` with a readable message when a promise is
broken. Invariants that a rule set declares about itself (``invariants:`` in a scenario file) are
loaded with :func:`load_invariants` and checked by :func:`check_invariants`.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..errors import MissingExtraError

try:
    from hypothesis import strategies as st
except ModuleNotFoundError as error:  # the "testing" extra is not installed
    raise MissingExtraError("testing", "hypothesis") from error

from .._pattern import fullmatch
from ..decision import Decision
from ..errors import AssessmentError
from ..model import Feature, Test
from ..ruleset import RuleSet
from ._coverage import condition_tests
from ._expectations import derived_facts, invariant_failure
from ._scenarios import Invariant, load_scenarios

__all__ = [
    "Invalid",
    "assessments",
    "check_constraints",
    "check_decision",
    "check_deterministic",
    "check_explained",
    "check_invariants",
    "check_not_recommended_excluded",
    "check_ranking",
    "check_rejected",
    "invalid_assessments",
    "load_invariants",
]

_DEFAULT_INTEGERS = (-1000, 1000)


def _thresholds(ruleset: RuleSet, feature: str) -> list[Any]:
    """The numbers rules compare a feature with, and their neighbours: the interesting values."""
    out: set[Any] = set()
    for rule in ruleset.rules:
        for test in condition_tests(rule.when):
            if isinstance(test, Test) and test.feature == feature and test.op != "recorded":
                operands = test.operand if isinstance(test.operand, tuple) else (test.operand,)
                for number in operands:
                    if isinstance(number, int | float) and not isinstance(number, bool):
                        out.update({number - 1, number, number + 1})
    spec = ruleset.features[feature]
    low = spec.minimum if spec.minimum is not None else -float("inf")
    high = spec.maximum if spec.maximum is not None else float("inf")
    kind = int if spec.type == "integer" else float
    return sorted(kind(n) for n in out if low <= n <= high and (kind is float or float(n).is_integer()))


def _value(ruleset: RuleSet, feature: Feature) -> st.SearchStrategy[Any]:
    """Valid values of one leaf feature."""
    if feature.type in ("integer", "number"):
        if feature.type == "integer":
            low = int(feature.minimum) if feature.minimum is not None else _DEFAULT_INTEGERS[0]
            high = int(feature.maximum) if feature.maximum is not None else _DEFAULT_INTEGERS[1]
            anywhere: st.SearchStrategy[Any] = st.integers(low, high)
        else:
            anywhere = st.floats(
                feature.minimum, feature.maximum, allow_nan=False, allow_infinity=False, width=32
            ).map(float)
        edges = _thresholds(ruleset, feature.name)
        return st.one_of(st.sampled_from(edges), anywhere) if edges else anywhere
    if feature.type == "boolean":
        return st.booleans()
    if feature.values is not None:
        words: st.SearchStrategy[str] = st.sampled_from(feature.values)
    elif feature.pattern is not None:
        # Generated as Python reads the pattern (with RE2's ASCII classes), kept as RE2 matches it.
        pattern = feature.pattern
        words = st.from_regex(re.compile(pattern, re.ASCII), fullmatch=True).filter(
            lambda word: fullmatch(pattern, word)
        )
    else:
        words = st.text(min_size=1, max_size=40)
    if feature.type == "string":
        return words
    return st.lists(words, unique=True, max_size=len(feature.values) if feature.values else 4)


@st.composite
def _assessment(draw: st.DrawFn, ruleset: RuleSet) -> dict[str, Any]:
    features = ruleset.features
    out: dict[str, Any] = {}
    for name, feature in features.items():
        if "." in name:
            continue
        if feature.required or draw(st.booleans()):
            out[name] = draw(_value(ruleset, feature))
    for obj, fields in ruleset.objects.items():
        required = [f for f in fields if features[f"{obj}.{f}"].required]
        if not draw(st.booleans()):
            continue
        inner = {}
        for field in fields:
            if field in required or draw(st.booleans()):
                inner[field] = draw(_value(ruleset, features[f"{obj}.{field}"]))
        out[obj] = inner
    return out


def assessments(ruleset: RuleSet) -> st.SearchStrategy[dict[str, Any]]:
    """Valid assessments over a rule set's vocabulary: required features always, others sometimes;
    numbers lean towards the thresholds that the rules test."""
    return _assessment(ruleset)


@attrs.frozen
class Invalid:
    """An assessment that must be rejected, the field the problem concerns and what was done."""

    assessment: Any
    field: str
    change: str


def _corruptions(ruleset: RuleSet, valid: dict[str, Any]) -> list[Invalid]:
    out: list[Invalid] = []
    top = {n for n in ruleset.features if "." not in n} | set(ruleset.objects)
    unknown = next(f"{name}_x" for name in sorted(top) if f"{name}_x" not in top)
    out.append(Invalid({**valid, unknown: True}, unknown, "an unknown feature"))
    for name, feature in ruleset.features.items():
        if "." in name:
            continue
        if feature.required:
            out.append(
                Invalid({k: v for k, v in valid.items() if k != name}, name, "a required feature left out")
            )
        wrong: Any = "text" if feature.type != "string" else 3
        out.append(Invalid({**valid, name: wrong}, name, f"a {type(wrong).__name__} for a {feature.type}"))
        if feature.numeric and feature.maximum is not None:
            out.append(Invalid({**valid, name: feature.maximum + 1}, name, "a number above the maximum"))
        if feature.numeric and feature.minimum is not None:
            out.append(Invalid({**valid, name: feature.minimum - 1}, name, "a number below the minimum"))
        if feature.values is not None:
            bad = next(f"{v}_x" for v in feature.values if f"{v}_x" not in feature.values)
            value: Any = [bad] if feature.type == "list" else bad
            field = f"{name}[0]" if feature.type == "list" else name
            out.append(Invalid({**valid, name: value}, field, "a value outside the declared values"))
        if feature.type == "list" and name in valid and valid[name]:
            out.append(Invalid({**valid, name: [*valid[name], valid[name][0]]}, name, "an item listed twice"))
    for obj in ruleset.objects:
        out.append(Invalid({**valid, obj: [True]}, obj, "a list for an object"))
    return out


@st.composite
def _invalid(draw: st.DrawFn, ruleset: RuleSet) -> Invalid:
    valid = draw(assessments(ruleset))
    return draw(st.sampled_from(_corruptions(ruleset, valid)))


def invalid_assessments(ruleset: RuleSet) -> st.SearchStrategy[Invalid]:
    """Assessments with one thing wrong (an unknown feature, a required one missing, a wrong
    type, a number out of range, an undeclared value, an item twice), for the error paths."""
    return _invalid(ruleset)


# --- checks --------------------------------------------------------------------------------------


def check_rejected(ruleset: RuleSet, invalid: Invalid) -> AssessmentError:
    """The assessment is rejected, with a problem that names the field concerned."""
    try:
        ruleset.evaluate(invalid.assessment)
    except AssessmentError as caught:
        error = caught
    else:
        raise AssertionError(f"{invalid.change} was accepted: {invalid.assessment!r}")
    fields = [p.field for p in error.problems]
    if invalid.field not in fields:
        raise AssertionError(f"{invalid.change}: the problems name {fields}, not {invalid.field!r}\n{error}")
    return error


def check_explained(ruleset: RuleSet, assessment: Mapping[str, Any], decision: Decision) -> None:
    """Every recommendation is explained by a rule that fired, and ``explain`` agrees."""
    for rec in decision.recommendations:
        reasons = [e for e in rec.explanations if e.kind == "recommend"]
        assert reasons, f"{rec.intervention} is recommended without a recommending explanation"
        for e in reasons:
            assert e.rule in decision.fired, (
                f"{rec.intervention} is explained by {e.rule}, which did not fire"
            )
            assert e.text, f"{rec.intervention}: the explanation from {e.rule} has no text"
        explanation = ruleset.explain(assessment, rec.intervention)
        assert explanation.outcome == "recommended", (
            f"explain({rec.intervention!r}) says {explanation.outcome}, but the decision recommends it"
        )


def _reordered(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    return value


def check_deterministic(ruleset: RuleSet, assessment: Mapping[str, Any]) -> None:
    """The same assessment, again and with its keys in reverse order, gives the same JSON bytes."""
    first = json.dumps(ruleset.evaluate(assessment).to_dict())
    again = json.dumps(ruleset.evaluate(assessment).to_dict())
    reordered = json.dumps(ruleset.evaluate(_reordered(assessment)).to_dict())
    assert first == again, "two evaluations of the same assessment differ"
    assert first == reordered, "the decision depends on the order of the assessment's keys"


def check_ranking(decision: Decision) -> None:
    """Ranks run 1..n without gaps and strength never increases down the list."""
    ranks = [r.rank for r in decision.recommendations]
    assert ranks == list(range(1, len(ranks) + 1)), f"ranks are {ranks}"
    strengths = [r.strength for r in decision.recommendations]
    assert strengths == sorted(strengths, reverse=True), f"strengths increase down the list: {strengths}"


def check_constraints(ruleset: RuleSet, decision: Decision) -> None:
    """No intervention selected by a ``never_above`` constraint's ``lower`` side ranks above the
    best-ranked one selected by its ``upper`` side."""
    catalogue = ruleset.interventions
    for c in ruleset.constraints:
        uppers = [r for r in decision.recommendations if c.upper.selects(catalogue[r.intervention])]
        if not uppers:
            continue
        best = uppers[0]
        for r in decision.recommendations[: best.rank - 1]:
            if c.lower.selects(catalogue[r.intervention]) and r not in uppers:
                raise AssertionError(
                    f"constraint {c.id}: {r.intervention} (rank {r.rank}) is above "
                    f"{best.intervention} (rank {best.rank})"
                )


def check_not_recommended_excluded(decision: Decision) -> None:
    """Nothing that a rule ruled out is recommended."""
    both = {n.intervention for n in decision.not_recommended} & {
        r.intervention for r in decision.recommendations
    }
    assert not both, f"both recommended and not recommended: {sorted(both)}"


def check_invariants(
    ruleset: RuleSet, assessment: Mapping[str, Any], decision: Decision, invariants: Iterable[Invariant]
) -> None:
    """The invariants a rule set declares about itself (``invariants:`` in scenario files) hold."""
    values = ruleset.normalise(assessment)
    facts = derived_facts(ruleset, decision)
    broken = [f for i in invariants if (f := invariant_failure(i, values, facts, decision)) is not None]
    if broken:  # generated assessments, quoted whole below: the values seen are shown too
        lines = [
            f"{f.expectation} [{f.location.file}:{f.location.line}]\n"
            + textwrap.indent(f.text(show_values=True), "  ")
            for f in broken
        ]
        raise AssertionError("\n".join(lines) + f"\nassessment: {json.dumps(assessment, sort_keys=True)}")


def check_decision(
    ruleset: RuleSet, assessment: Mapping[str, Any], invariants: Iterable[Invariant] = ()
) -> Decision:
    """Evaluate and apply every ready-made check (and the given declared invariants)."""
    decision = ruleset.evaluate(assessment)
    check_ranking(decision)
    check_not_recommended_excluded(decision)
    check_constraints(ruleset, decision)
    check_explained(ruleset, assessment, decision)
    check_deterministic(ruleset, assessment)
    check_invariants(ruleset, assessment, decision, invariants)
    return decision


def load_invariants(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], ruleset: RuleSet
) -> tuple[Invariant, ...]:
    """The invariants declared in scenario files (or directories of them)."""
    return tuple(i for file in load_scenarios(paths, ruleset) for i in file.invariants)
