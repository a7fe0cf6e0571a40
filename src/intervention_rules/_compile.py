"""A validated rule set to durable_rules ruleset definitions shaped to the engine's limits.

Conditions are rewritten over *atoms*, flat keys of one JSON type each:

- ``value`` atoms: a string, boolean or list feature holds a given value (boolean);
- ``recorded`` atoms: a feature is recorded (boolean);
- ``other`` atoms: a list feature holds a value outside a given set (boolean);
- ``number`` atoms: a numeric feature's value (present only when recorded);
- ``fact`` atoms: a derived fact was concluded (boolean).

A boolean atom is written into a fact when true, and when false only if some rule of the ruleset
tests it for false (:attr:`Chunk.negated`; see :mod:`._facts`).

Negation is pushed down to the atoms, and every condition becomes a disjunction of conjunctions
of atom tests; each distinct conjunction is one engine rule, a flat ``$and`` under a guard. The
engine then needs no ``$or``, ``$not``, ``$nex`` or ``$iany``, never sees two identical rules, and
its alpha network stays shallow. Conjunctions are packed into rulesets of at most
:data:`MAX_RULES_PER_RULESET` rules over at most :data:`MAX_KEYS_PER_RULESET` keys, well inside the
limits measured in durable_rules 2.0.28 (64 alpha nodes matching at once, 254 keys per fact).

Derived facts are evaluated in strata: each stratum's rulesets see the facts concluded by the
strata before it.
"""

from __future__ import annotations

import decimal
import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import attrs

from ._engine import GUARD, SENTINEL
from .errors import Problem
from .model import AllOf, AnyOf, Conclude, Condition, FactTest, Feature, Not, Rule, Scalar, Test

__all__ = [
    "MAX_ALTERNATIVES",
    "MAX_KEYS_PER_RULESET",
    "MAX_RULES_PER_RULESET",
    "Atoms",
    "Chunk",
    "Plan",
    "TooComplexError",
    "compile_plan",
    "json_value",
    "strata_of",
    "to_dnf",
]

MAX_RULES_PER_RULESET = 48
MAX_KEYS_PER_RULESET = 200
MAX_ALTERNATIVES = 256
MAX_TESTS_PER_ALTERNATIVE = 100

Atom = tuple[
    Any, ...
]  # ("value", f, v) | ("recorded", f) | ("other", f, set) | ("number", f) | ("fact", name)


@attrs.frozen(order=True)
class Lit:
    """One engine test: ``key op value``."""

    key: str
    op: str  # "is" for boolean atoms; eq, neq, lt, lte, gt, gte for numbers
    value: Any


Conj = frozenset[Lit]
DNF = list[Conj]


class TooComplexError(Exception):
    """A condition expands to more than MAX_ALTERNATIVES alternatives."""


def _number(value: float | int) -> str:
    """A JSON number the engine accepts: never an exponent (its parser rejects ``1e-05``)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError("the engine takes finite numbers only")
    text = repr(value)
    if "e" in text or "E" in text:
        # The shortest repr round-trips; written out in full it is the same double.
        text = format(decimal.Decimal(text), "f")
        if "." not in text:
            text += ".0"
    return text


def json_value(value: Any) -> str:
    """A scalar as engine JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    return json.dumps(value, ensure_ascii=False)


def _lit_json(lit: Lit) -> str:
    key = json.dumps(lit.key)
    if lit.op in ("is", "eq"):
        return f"{{{key}:{json_value(lit.value)}}}"
    return f'{{"${lit.op}":{{{key}:{json_value(lit.value)}}}}}'


class Atoms:
    """The engine keys of the atoms of conditions (a value held, a feature recorded, a number):
    each atom gets one key, shared by every condition expanded with the same Atoms."""

    def __init__(self) -> None:
        self.keys: dict[Atom, str] = {}

    def key(self, atom: Atom) -> str:
        key = self.keys.get(atom)
        if key is None:
            key = self.keys[atom] = f"k{len(self.keys)}"
        return key

    def value(self, feature: str, value: Any, truth: bool) -> Lit:
        return Lit(self.key(("value", feature, value)), "is", truth)

    def recorded(self, feature: str, truth: bool) -> Lit:
        return Lit(self.key(("recorded", feature)), "is", truth)

    def number(self, feature: str, op: str, value: Any) -> Lit:
        return Lit(self.key(("number", feature)), op, value)


_FLIP = {"lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt", "eq": "neq", "neq": "eq"}


def _single(*lits: Lit) -> DNF:
    return [frozenset(lits)]


def _numeric_test(a: Atoms, t: Test, negated: bool) -> DNF:
    f, op = t.feature, t.op
    v: Any = t.operand  # a number, a (low, high) pair or a tuple of numbers, as the operator says
    simple = {"eq": "eq", "ne": "neq", "lt": "lt", "lte": "lte", "gt": "gt", "gte": "gte"}
    if op in simple:
        engine_op = simple[op]
        if not negated:
            return _single(a.number(f, engine_op, v))
        return [frozenset({a.recorded(f, False)}), frozenset({a.number(f, _FLIP[engine_op], v)})]
    if op == "between":
        low, high = v
        if not negated:
            return _single(a.number(f, "gte", low), a.number(f, "lte", high))
        return [
            frozenset({a.recorded(f, False)}),
            frozenset({a.number(f, "lt", low)}),
            frozenset({a.number(f, "gt", high)}),
        ]
    if op in ("in", "not_in"):
        values = list(v)
        if (op == "in") != negated:
            return [frozenset({a.number(f, "eq", x)}) for x in values]
        return _single(*(a.number(f, "neq", x) for x in values))
    raise AssertionError(op)


def _value_test(a: Atoms, t: Test, negated: bool) -> DNF:
    f, op, v = t.feature, t.op, t.operand
    values = list(v) if isinstance(v, tuple) else [v]
    held = [a.value(f, x, True) for x in values]
    not_held = [a.value(f, x, False) for x in values]
    recorded, unrecorded = a.recorded(f, True), a.recorded(f, False)
    # positive form: "any of values held" (eq, in, contains_any), "all held" (contains_all),
    # "recorded and none held" (ne, not_in, contains_none)
    if op in ("eq", "in", "contains_any"):
        if not negated:
            return [frozenset({lit}) for lit in held]
        return _single(*not_held)
    if op == "contains_all":
        if not negated:
            return _single(*held)
        return [frozenset({lit}) for lit in not_held]
    if op in ("ne", "not_in", "contains_none"):
        if not negated:
            return _single(recorded, *not_held)
        return [frozenset({unrecorded})] + [frozenset({lit}) for lit in held]
    raise AssertionError(op)


def _other_test(a: Atoms, t: Test, negated: bool) -> DNF:
    named = cast("tuple[Scalar, ...]", t.operand)  # contains_other_than's operand is a tuple
    return _single(Lit(a.key(("other", t.feature, frozenset(named))), "is", not negated))


def _recorded_test(a: Atoms, t: Test, negated: bool) -> DNF:
    return _single(a.recorded(t.feature, bool(t.operand) != negated))


#: How each operator becomes atom tests; keyed like :data:`conditions.OPERATORS`.
COMPILERS: Mapping[str, Callable[[Atoms, Test, bool], DNF]] = {
    "eq": _value_test,
    "ne": _value_test,
    "lt": _numeric_test,
    "lte": _numeric_test,
    "gt": _numeric_test,
    "gte": _numeric_test,
    "between": _numeric_test,
    "in": _value_test,
    "not_in": _value_test,
    "contains_any": _value_test,
    "contains_all": _value_test,
    "contains_none": _value_test,
    "contains_other_than": _other_test,
    "recorded": _recorded_test,
}


def _consistent(conj: Conj) -> bool:
    """False when a conjunction asks one boolean atom to be both true and false."""
    held = {lit.key for lit in conj if lit.op == "is" and lit.value}
    not_held = {lit.key for lit in conj if lit.op == "is" and not lit.value}
    return not held & not_held


def _product(parts: list[DNF]) -> DNF:
    result: DNF = [frozenset()]
    for part in parts:
        result = list(dict.fromkeys(c | d for c in result for d in part if _consistent(c | d)))
        if len(result) > MAX_ALTERNATIVES:
            raise TooComplexError
    return result


def _union(parts: list[DNF]) -> DNF:
    result = list(dict.fromkeys(c for part in parts for c in part))
    if len(result) > MAX_ALTERNATIVES:
        raise TooComplexError
    return result


def to_dnf(a: Atoms, features: Mapping[str, Feature], c: Condition, negated: bool = False) -> DNF:
    if isinstance(c, Test):
        feature = features[c.feature]
        if c.op != "recorded" and feature.numeric:
            return _numeric_test(a, c, negated)
        return COMPILERS[c.op](a, c, negated)
    if isinstance(c, FactTest):
        return _single(Lit(a.key(("fact", c.fact)), "is", not negated))
    if isinstance(c, Not):
        return to_dnf(a, features, c.item, not negated)
    parts = [to_dnf(a, features, item, negated) for item in c.items]
    conjunctive = isinstance(c, AllOf) != negated
    assert isinstance(c, AllOf | AnyOf)
    return _product(parts) if conjunctive else _union(parts)


@attrs.frozen
class Chunk:
    """One engine ruleset: its JSON definition, the keys its facts need, and what fires."""

    definition: str
    keys: tuple[str, ...]
    fires: tuple[tuple[str, ...], ...]  # engine rule "c<i>" -> the rule ids it stands for
    #: The boolean keys some rule of it tests for false: a fact must hold them even when false,
    #: since the engine matches no test on a key the fact lacks. Any other key is left out when
    #: false (or, for a number, when not recorded), which is the same to every rule.
    negated: tuple[str, ...] = ()


@attrs.frozen
class Plan:
    """Everything evaluation needs to drive the engine."""

    atoms: tuple[tuple[str, Atom], ...]
    strata: tuple[tuple[int, ...], ...]  # chunk indexes, stratum by stratum
    chunks: tuple[Chunk, ...]
    concludes: Mapping[str, tuple[str, ...]]  # rule id -> derived facts it concludes


def strata_of(rules: Iterable[Rule]) -> dict[str, int]:
    """Each rule's stratum: 0, or one more than the stratum of any rule concluding a fact it tests.

    Iterative, so a long chain of derived facts cannot exhaust the stack; the rules must be free
    of derived-fact cycles (validation guarantees it).
    """
    from .conditions import referenced_facts

    rules = list(rules)
    producers: dict[str, list[Rule]] = {}
    for rule in rules:
        for action in rule.then:
            if isinstance(action, Conclude):
                producers.setdefault(action.fact, []).append(rule)
    needs = {
        rule.id: [p for fact in referenced_facts(rule.when) for p in producers.get(fact, [])]
        for rule in rules
    }
    memo: dict[str, int] = {}
    for root in rules:
        stack: list[tuple[Rule, bool]] = [(root, False)]
        while stack:
            rule, ready = stack.pop()
            if rule.id in memo:
                continue
            if ready:
                memo[rule.id] = max((memo[p.id] + 1 for p in needs[rule.id]), default=0)
            else:
                stack.append((rule, True))
                stack.extend((p, False) for p in needs[rule.id] if p.id not in memo)
    return memo


def _chunk(conjunctions: list[tuple[Conj, list[str]]]) -> Chunk:
    members = [f'"{SENTINEL}":{{"all":[{{"m":{{"{GUARD}":1}}}}]}}']
    keys: set[str] = set()
    negated: set[str] = set()
    for i, (conj, _) in enumerate(conjunctions):
        tests = [f'{{"{GUARD}":1}}'] + [_lit_json(lit) for lit in sorted(conj)]
        members.append(f'"c{i}":{{"all":[{{"m":{{"$and":[{",".join(tests)}]}}}}]}}')
        keys.update(lit.key for lit in conj)
        negated.update(lit.key for lit in conj if lit.op == "is" and lit.value is False)
    return Chunk(
        definition="{" + ",".join(members) + "}",
        keys=tuple(sorted(keys, key=lambda k: int(k[1:]))),
        fires=tuple(tuple(ids) for _, ids in conjunctions),
        negated=tuple(sorted(negated, key=lambda k: int(k[1:]))),
    )


def _too_large(rule: Rule, code: str, message: str) -> Problem:
    """A problem with a rule's condition, located at its ``when``."""
    loc = rule.location
    return Problem(
        f"rule {rule.id}: {message}",
        file=loc.file,
        line=loc.line,
        column=loc.column,
        path=f"{loc.path}.when",
        parts=(*loc.parts, "when"),
        rule=rule.id,
        code=code,
    )


def _alternatives(
    live: list[Rule], atoms: Atoms, features: Mapping[str, Feature]
) -> tuple[dict[int, dict[Conj, list[str]]], list[Problem]]:
    """Each stratum's alternatives (conjunctions of engine tests), with the rules each fires."""
    problems: list[Problem] = []
    by_stratum: dict[int, dict[Conj, list[str]]] = {}
    levels = strata_of(live)
    for rule in live:
        try:
            dnf = to_dnf(atoms, features, rule.when)
        except TooComplexError:
            message = (
                f"its condition expands to more than {MAX_ALTERNATIVES} alternatives; "
                "split it into several rules or conclude a derived fact"
            )
            problems.append(_too_large(rule, "IR233", message))
            continue
        for conj in dnf:
            if len(conj) > MAX_TESTS_PER_ALTERNATIVE:
                message = (
                    f"one alternative of its condition makes {len(conj)} tests at once "
                    f"(at most {MAX_TESTS_PER_ALTERNATIVE}); split the rule"
                )
                problems.append(_too_large(rule, "IR234", message))
                break
            by_stratum.setdefault(levels[rule.id], {}).setdefault(conj, []).append(rule.id)
    return by_stratum, problems


def _chunks(by_stratum: dict[int, dict[Conj, list[str]]]) -> tuple[list[Chunk], list[tuple[int, ...]]]:
    """The engine rulesets, each within the engine's limits, and the indexes of each stratum's."""
    chunks: list[Chunk] = []
    strata: list[tuple[int, ...]] = []
    for level in sorted(by_stratum):
        indexes: list[int] = []
        pending: list[tuple[Conj, list[str]]] = []
        pending_keys: set[str] = set()
        for conj, ids in by_stratum[level].items():
            conj_keys = {lit.key for lit in conj}
            if pending and (
                len(pending) >= MAX_RULES_PER_RULESET or len(pending_keys | conj_keys) > MAX_KEYS_PER_RULESET
            ):
                indexes.append(len(chunks))
                chunks.append(_chunk(pending))
                pending, pending_keys = [], set()
            pending.append((conj, ids))
            pending_keys |= conj_keys
        if pending:
            indexes.append(len(chunks))
            chunks.append(_chunk(pending))
        strata.append(tuple(indexes))
    return chunks, strata


def compile_plan(rules: Iterable[Rule], features: Mapping[str, Feature]) -> tuple[Plan | None, list[Problem]]:
    """Compile the evaluable rules (not retired) of a rule set."""
    live = [r for r in rules if r.status != "retired"]
    atoms = Atoms()
    by_stratum, problems = _alternatives(live, atoms, features)
    if problems:
        return None, problems
    chunks, strata = _chunks(by_stratum)
    concludes = {rule.id: tuple(a.fact for a in rule.then if isinstance(a, Conclude)) for rule in live}
    plan = Plan(
        atoms=tuple((key, atom) for atom, key in atoms.keys.items()),
        strata=tuple(strata),
        chunks=tuple(chunks),
        concludes=concludes,
    )
    return plan, []
