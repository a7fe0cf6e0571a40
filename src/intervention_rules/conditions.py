"""The rule language's operators, and a plain-Python evaluator of conditions.

This evaluator is independent of the rule engine: it walks the condition tree directly. It answers
"why not?" questions and serves as the oracle that the durable_rules path is checked against.

Every operator is one function with the same signature ``(value, operand) -> bool``, called only
when the feature is recorded, and collected in :data:`OPERATORS`; adding an operator is adding one
entry here (and one in the compiler's table).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any as AnyType
from typing import Literal

import attrs

from .model import AllOf, AnyOf, Condition, FactTest, Feature, Not, OperatorName, Scalar, Test

__all__ = [
    "OPERATORS",
    "ConditionResult",
    "Operator",
    "describe",
    "evaluate",
    "matched_values",
    "operand_numbers",
    "operand_values",
    "positive_list_tests",
    "referenced_facts",
    "referenced_features",
    "trace",
]

Values = Mapping[str, AnyType]


def _eq(value: AnyType, operand: AnyType) -> bool:
    return bool(value == operand)


def _ne(value: AnyType, operand: AnyType) -> bool:
    return bool(value != operand)


def _lt(value: AnyType, operand: AnyType) -> bool:
    return bool(value < operand)


def _lte(value: AnyType, operand: AnyType) -> bool:
    return bool(value <= operand)


def _gt(value: AnyType, operand: AnyType) -> bool:
    return bool(value > operand)


def _gte(value: AnyType, operand: AnyType) -> bool:
    return bool(value >= operand)


def _between(value: AnyType, operand: AnyType) -> bool:
    low, high = operand
    return bool(low <= value <= high)


def _in(value: AnyType, operand: AnyType) -> bool:
    return value in operand


def _not_in(value: AnyType, operand: AnyType) -> bool:
    return value not in operand


def _contains_any(value: AnyType, operand: AnyType) -> bool:
    return any(item in value for item in operand)


def _contains_all(value: AnyType, operand: AnyType) -> bool:
    return all(item in value for item in operand)


def _contains_none(value: AnyType, operand: AnyType) -> bool:
    return not any(item in value for item in operand)


def _contains_other_than(value: AnyType, operand: AnyType) -> bool:
    return any(item not in operand for item in value)


def _recorded(value: AnyType, operand: AnyType) -> bool:
    # Only called for a recorded feature; the evaluator handles the unrecorded case.
    return bool(operand)


#: What an operator takes: one value, a number, a [low, high] pair, a list of values, or true/false.
OperandKind = Literal["scalar", "number", "pair", "values", "boolean"]


@attrs.frozen
class Operator:
    """One operator of the rule language."""

    name: OperatorName
    types: frozenset[str]
    operand: OperandKind
    function: Callable[[AnyType, AnyType], bool]
    wording: str


_SCALAR = frozenset({"string", "boolean", "integer", "number"})
_NUMERIC = frozenset({"integer", "number"})

#: Every operator of :data:`model.OperatorName`, by name.
OPERATORS: Mapping[OperatorName, Operator] = {
    op.name: op
    for op in (
        Operator("eq", _SCALAR, "scalar", _eq, "is"),
        Operator("ne", _SCALAR, "scalar", _ne, "is not"),
        Operator("lt", _NUMERIC, "number", _lt, "<"),
        Operator("lte", _NUMERIC, "number", _lte, "<="),
        Operator("gt", _NUMERIC, "number", _gt, ">"),
        Operator("gte", _NUMERIC, "number", _gte, ">="),
        Operator("between", _NUMERIC, "pair", _between, "is between"),
        Operator("in", frozenset({"string", "integer"}), "values", _in, "is one of"),
        Operator("not_in", frozenset({"string", "integer"}), "values", _not_in, "is none of"),
        Operator("contains_any", frozenset({"list"}), "values", _contains_any, "includes any of"),
        Operator("contains_all", frozenset({"list"}), "values", _contains_all, "includes all of"),
        Operator("contains_none", frozenset({"list"}), "values", _contains_none, "includes none of"),
        Operator(
            "contains_other_than",
            frozenset({"list"}),
            "values",
            _contains_other_than,
            "includes something other than",
        ),
        Operator(
            "recorded",
            frozenset({"string", "boolean", "integer", "number", "list"}),
            "boolean",
            _recorded,
            "is recorded",
        ),
    )
}


def operand_values(test: Test) -> tuple[Scalar, ...]:
    """A test's operand as a tuple of values: the tuple of ``in``, ``not_in``, the ``contains_*``
    and ``between``, or the one value of the other operators."""
    operand = test.operand
    return operand if isinstance(operand, tuple) else (operand,)


def operand_numbers(test: Test) -> tuple[int | float, ...]:
    """The numbers a threshold or ``between`` test compares with (the loader made sure its operand
    is numbers; anything else is left out)."""
    return tuple(v for v in operand_values(test) if isinstance(v, int | float) and not isinstance(v, bool))


def test_holds(test: Test, values: Values) -> bool:
    """Whether one test holds. A test on a feature that is not recorded is false, except
    ``recorded: false``."""
    if test.feature not in values:
        return test.op == "recorded" and test.operand is False
    return OPERATORS[test.op].function(values[test.feature], test.operand)


def evaluate(condition: Condition, values: Values, facts: Collection[str]) -> bool:
    """Evaluate a condition on normalised assessment values and the derived facts so far."""
    if isinstance(condition, Test):
        return test_holds(condition, values)
    if isinstance(condition, FactTest):
        return condition.fact in facts
    if isinstance(condition, AllOf):
        return all(evaluate(item, values, facts) for item in condition.items)
    if isinstance(condition, AnyOf):
        return any(evaluate(item, values, facts) for item in condition.items)
    return not evaluate(condition.item, values, facts)


def show_value(value: AnyType) -> str:
    """A value as a clinician reads it: lists joined, underscores as spaces, yes/no."""
    if type(value) is str:  # the most common case first
        return value.replace("_", " ")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | frozenset | set):
        items = [show_value(v) for v in value]
        return ", ".join(items) if items else "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("_", " ")


def _operand_text(test: Test) -> str:
    operand = test.operand
    if test.op == "between":
        low, high = operand_values(test)
        return f"{show_value(low)} and {show_value(high)}"
    if isinstance(operand, list | tuple):
        return ", ".join(show_value(v) for v in operand)
    return show_value(operand)


def describe(condition: Condition) -> str:
    """A condition in words: ``age >= 18``, ``reasons includes any of coping``."""
    if isinstance(condition, Test):
        name = condition.feature
        if condition.op == "recorded":
            return f"{name} is recorded" if condition.operand else f"{name} is not recorded"
        return f"{name} {OPERATORS[condition.op].wording} {_operand_text(condition)}"
    if isinstance(condition, FactTest):
        return f"{condition.fact.replace('_', ' ')} (derived)"
    if isinstance(condition, AllOf):
        return "(" + " and ".join(describe(c) for c in condition.items) + ")"
    if isinstance(condition, AnyOf):
        return "(" + " or ".join(describe(c) for c in condition.items) + ")"
    return f"not {describe(condition.item)}"


@attrs.frozen
class ConditionResult:
    """One test's outcome in a why / why-not trace."""

    condition: str
    holds: bool
    seen: str
    path: str
    location: str

    def to_dict(self) -> dict[str, object]:
        return {
            "condition": self.condition,
            "holds": self.holds,
            "seen": self.seen,
            "path": self.path,
            "location": self.location,
        }


def _seen(condition: Test | FactTest, values: Values, facts: Collection[str]) -> str:
    if isinstance(condition, FactTest):
        return "concluded" if condition.fact in facts else "not concluded"
    if condition.feature not in values:
        return "not recorded"
    return show_value(values[condition.feature])


def trace(
    condition: Condition, values: Values, facts: Collection[str], *, want: bool = True
) -> list[ConditionResult]:
    """The tests that decided a condition's outcome.

    For a condition that is false (with ``want=True``), these are the tests that failed; under a
    ``not``, the tests that held and so excluded the rule. Each names the value it saw, or says
    "not recorded".
    """
    if isinstance(condition, Test | FactTest):
        holds = evaluate(condition, values, facts)
        if holds == want:
            return []
        text = describe(condition)
        return [
            ConditionResult(
                condition=text if want else f"not {text}",
                holds=holds,
                seen=_seen(condition, values, facts),
                path=condition.location.path,
                location=str(condition.location),
            )
        ]
    if isinstance(condition, Not):
        return trace(condition.item, values, facts, want=not want)
    items: Sequence[Condition] = condition.items
    conjunctive = isinstance(condition, AllOf) == want
    if conjunctive:
        out: list[ConditionResult] = []
        for item in items:
            out.extend(trace(item, values, facts, want=want))
        return out
    # Disjunctive: the outcome is wrong only if every branch is; report them all.
    if any(evaluate(item, values, facts) == want for item in items):
        return []
    out = []
    for item in items:
        out.extend(trace(item, values, facts, want=want))
    return out


def _leaves(condition: Condition) -> Iterator[Test | FactTest]:
    """Every test in a condition, in order of mention."""
    if isinstance(condition, Test | FactTest):
        yield condition
    elif isinstance(condition, Not):
        yield from _leaves(condition.item)
    else:
        for item in condition.items:
            yield from _leaves(item)


def referenced_features(condition: Condition) -> list[str]:
    """The features a condition tests, in order of first mention."""
    return list(dict.fromkeys(leaf.feature for leaf in _leaves(condition) if isinstance(leaf, Test)))


def referenced_facts(condition: Condition) -> list[str]:
    """The derived facts a condition tests, in order of first mention."""
    return list(dict.fromkeys(leaf.fact for leaf in _leaves(condition) if isinstance(leaf, FactTest)))


_MATCHING: frozenset[OperatorName] = frozenset({"contains_any", "contains_all", "contains_other_than"})


def positive_list_tests(condition: Condition) -> tuple[set[str], set[str]]:
    """The list features a condition tests with ``contains_any``, ``contains_all`` or
    ``contains_other_than`` outside any ``not``, and the facts it tests outside any ``not``:
    what ``{matched.FEATURE}`` can show."""
    if isinstance(condition, Test):
        return ({condition.feature} if condition.op in _MATCHING else set()), set()
    if isinstance(condition, FactTest):
        return set(), {condition.fact}
    if isinstance(condition, Not):
        return set(), set()
    features: set[str] = set()
    facts: set[str] = set()
    for item in condition.items:
        more, tested = positive_list_tests(item)
        features |= more
        facts |= tested
    return features, facts


def matched_values(
    condition: Condition,
    values: Values,
    facts: Collection[str],
    through: Callable[[str], Collection[tuple[str, AnyType]]],
    *,
    holds: bool = False,
) -> set[tuple[str, AnyType]]:
    """The (feature, value) pairs of list features that made a condition hold: the recorded values
    a ``contains_any`` or ``contains_all`` test named, or that a ``contains_other_than`` test did
    not, in tests that held outside any ``not``; a fact that holds brings what ``through`` gives
    for it (the values that made the rules concluding it fire).

    ``holds=True`` says the condition is known to hold (a fired rule's ``when``), which spares
    testing it and, under ``all``, each of its parts again."""
    if isinstance(condition, Test):
        if condition.op not in _MATCHING or not (holds or test_holds(condition, values)):
            return set()
        named = operand_values(condition)
        other = condition.op == "contains_other_than"
        return {(condition.feature, v) for v in values[condition.feature] if (v in named) != other}
    if isinstance(condition, FactTest):
        return set(through(condition.fact)) if holds or condition.fact in facts else set()
    if isinstance(condition, Not):
        return set()
    every = holds and isinstance(condition, AllOf)
    out: set[tuple[str, AnyType]] = set()
    for item in condition.items:
        if every or evaluate(item, values, facts):
            out |= matched_values(item, values, facts, through, holds=True)
    return out


def feature_accepts(feature: Feature, op: OperatorName) -> bool:
    """Whether an operator applies to a feature's type."""
    return feature.type in OPERATORS[op].types
