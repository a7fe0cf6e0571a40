"""Can these rules fire together? Decided over the compiler's disjunctive normal form.

A question is a set of rules that must fire and a set that must not. Derived facts are replaced
by the conditions of the rules that conclude them (a fact no rule concludes is false), so the
question is about assessment features only. The conjunction is expanded to the compiler's DNF
over atoms (``_compile.to_dnf``); each alternative is then solved against the vocabulary (types,
closed value lists, ranges, required features, one value per string feature) to build an example
assessment. An example is only ever reported after the rule set itself has evaluated it and the
rules fired as asked, so a "yes" is always shown, never assumed.

The answer is :data:`NEVER` when no alternative can be satisfied, an example assessment when one
was found and confirmed, or :data:`UNDECIDED` when the expansion is too large or no example could
be built (a pattern feature no candidate string fits, for instance).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

import attrs

from .._compile import Atoms, Conj, TooComplexError, to_dnf
from .._pattern import fits
from ..errors import AssessmentError
from ..model import AllOf, AnyOf, Conclude, Condition, FactTest, Feature, Location, Not, Rule
from ..ruleset import RuleSet

__all__ = ["NEVER", "UNDECIDED", "Answer", "Logic"]


@attrs.frozen
class Answer:
    """What a question came to: ``found``, with an example assessment the rule set has evaluated
    and on which the rules fired as asked; ``never``; or ``undecided``."""

    verdict: Literal["found", "never", "undecided"]
    assessment: dict[str, Any] | None = None


NEVER: Final = Answer("never")
UNDECIDED: Final = Answer("undecided")
_NOWHERE = Location("", 0, 0, "")
_TEXT_CANDIDATES = ("other", "x", "a", "example", "none", "unknown", "a1", "z")


class _Unsat(Exception):
    pass


class Logic:
    """Satisfiability questions about the live rules of one rule set."""

    def __init__(self, ruleset: RuleSet) -> None:
        self._ruleset = ruleset
        self._features: Mapping[str, Feature] = ruleset.features
        self._objects = ruleset.objects
        self._live = ruleset.live_rules
        self._concluders: dict[str, list[Rule]] = {}
        for rule in self._live:
            for action in rule.then:
                if isinstance(action, Conclude):
                    self._concluders.setdefault(action.fact, []).append(rule)
        self._expanded: dict[str, Condition] = {}
        self._atoms = Atoms()

    def condition(self, rule: Rule) -> Condition:
        """A rule's condition with every derived fact replaced by what concludes it."""
        return self._expand(rule.when)

    def _expand(self, c: Condition) -> Condition:
        if isinstance(c, FactTest):
            if c.fact not in self._expanded:
                producers = self._concluders.get(c.fact, [])
                self._expanded[c.fact] = AnyOf(tuple(self._expand(r.when) for r in producers), c.location)
            return self._expanded[c.fact]
        if isinstance(c, AllOf):
            return AllOf(tuple(self._expand(i) for i in c.items), c.location)
        if isinstance(c, AnyOf):
            return AnyOf(tuple(self._expand(i) for i in c.items), c.location)
        if isinstance(c, Not):
            return Not(self._expand(c.item), c.location)
        return c

    def example(self, fire: Iterable[Rule], silent: Iterable[Rule] = (), some: Iterable[Rule] = ()) -> Answer:
        """An assessment on which every rule of ``fire`` fires, none of ``silent`` does, and at
        least one of ``some`` does (when given); or :data:`NEVER`, or :data:`UNDECIDED`."""
        fire, silent, some = list(fire), list(silent), list(some)
        parts = [self.condition(r) for r in fire] + [Not(self.condition(r), _NOWHERE) for r in silent]
        if some:
            parts.append(AnyOf(tuple(self.condition(r) for r in some), _NOWHERE))
        try:
            alternatives = to_dnf(self._atoms, self._features, AllOf(tuple(parts), _NOWHERE))
        except TooComplexError:
            return UNDECIDED
        undecided = False
        atoms = {key: atom for atom, key in self._atoms.keys.items()}
        for conj in alternatives:
            try:
                found = self._solve(conj, atoms)
            except _Unsat:
                continue
            if found is None or not self._confirmed(found, fire, silent, some):
                undecided = True
                continue
            return Answer("found", found)
        return UNDECIDED if undecided else NEVER

    def _confirmed(
        self, assessment: dict[str, Any], fire: list[Rule], silent: list[Rule], some: list[Rule]
    ) -> bool:
        try:
            fired = set(self._ruleset.evaluate(assessment).fired)
        except AssessmentError:
            return False
        return (
            all(r.id in fired for r in fire)
            and not any(r.id in fired for r in silent)
            and (not some or any(r.id in fired for r in some))
        )

    # --- one alternative ---------------------------------------------------------------------

    def _solve(self, conj: Conj, atoms: Mapping[str, tuple[Any, ...]]) -> dict[str, Any] | None:
        """Values for one conjunction of atom tests; raises _Unsat, or None when undecided."""
        recorded: dict[str, bool] = {}
        held: dict[str, set[Any]] = {}
        not_held: dict[str, set[Any]] = {}
        numbers: dict[str, list[tuple[str, Any]]] = {}
        others: dict[str, list[tuple[frozenset[Any], bool]]] = {}
        for lit in conj:
            atom = atoms[lit.key]
            kind, name = atom[0], atom[1]
            if kind == "recorded":
                if recorded.get(name, lit.value) != lit.value:
                    raise _Unsat
                recorded[name] = bool(lit.value)
            elif kind == "value":
                (held if lit.value else not_held).setdefault(name, set()).add(atom[2])
            elif kind == "other":  # the list holds a value outside atom[2]
                others.setdefault(name, []).append((frozenset(atom[2]), bool(lit.value)))
            elif kind == "number":
                numbers.setdefault(name, []).append((lit.op, lit.value))
            else:
                return None  # facts were expanded away; anything else is a question we cannot answer
        outside = {name for name, tests in others.items() if any(truth for _, truth in tests)}
        for name in set(held) | set(numbers) | outside:
            if recorded.get(name) is False:
                raise _Unsat
            recorded[name] = True
        self._require(recorded)

        flat: dict[str, Any] = {}
        for name, feature in self._features.items():
            if not recorded.get(name, False):
                continue
            value = _pick(
                feature,
                held.get(name, set()),
                not_held.get(name, set()),
                numbers.get(name, []),
                others.get(name, []),
            )
            if value is _UNDECIDED:
                return None
            flat[name] = value
        out: dict[str, Any] = {}
        for name, value in flat.items():
            if "." in name:
                parent, field = name.split(".", 1)
                out.setdefault(parent, {})[field] = value
            else:
                out[name] = value
        return out

    def _require(self, recorded: dict[str, bool]) -> None:
        """Required features and fields must be recorded; an object present brings its required fields."""
        present = {name for name, rec in recorded.items() if rec and "." in name}
        objects = {name.split(".", 1)[0] for name in present}
        for name, feature in self._features.items():
            parent = name.split(".", 1)[0] if "." in name else None
            needed = feature.required and (
                parent is None or parent in objects or self._object_required(parent)
            )
            if needed:
                if recorded.get(name) is False:
                    raise _Unsat
                recorded[name] = True

    def _object_required(self, name: str) -> bool:
        return name in self._ruleset.required_objects


class _Marker:
    pass


_UNDECIDED = _Marker()


def _pick(
    feature: Feature,
    held: set[Any],
    not_held: set[Any],
    numbers: list[tuple[str, Any]],
    others: list[tuple[frozenset[Any], bool]],
) -> Any:
    if feature.type == "list":
        return _list(feature, held, not_held, others)
    if feature.numeric:
        return _number(feature, numbers)
    candidates: list[Any]
    if feature.type == "boolean":
        candidates = [True, False]
    elif feature.values is not None:
        candidates = list(feature.values)
    else:
        candidates = [*sorted(held, key=str), *_TEXT_CANDIDATES]
    if len(held) > 1:
        raise _Unsat
    if held:
        (only,) = held
        if only in not_held or (feature.values is not None and only not in feature.values):
            raise _Unsat
        return only
    for value in candidates:
        if value in not_held:
            continue
        if not fits(feature.pattern, str(value)):
            continue
        return value
    if feature.pattern is not None:
        return _UNDECIDED
    raise _Unsat


def _list(
    feature: Feature, held: set[Any], not_held: set[Any], others: list[tuple[frozenset[Any], bool]]
) -> Any:
    """Items for a recorded list: every held value, none of the excluded ones, and for each
    ``contains_other_than`` test an item outside its set (or, negated, no item outside it)."""
    if feature.values is not None and not held <= set(feature.values):
        raise _Unsat
    inside: set[Any] | None = None  # items must stay within every negated test's set
    for values, truth in others:
        if not truth:
            inside = set(values) if inside is None else inside & values
    if inside is not None and not held <= inside:
        raise _Unsat
    if feature.values is not None:
        pool: list[Any] = list(feature.values)
    else:
        seen = sorted({v for values, _ in others for v in values} | held, key=str)
        pool = [v for v in (*seen, *_TEXT_CANDIDATES) if fits(feature.pattern, str(v))]
    allowed = [v for v in pool if v not in not_held and (inside is None or v in inside)]
    items = set(held)
    for values, truth in others:
        if truth and not any(item not in values for item in items):
            choice = next((v for v in allowed if v not in values), None)
            if choice is None:
                if feature.values is None:
                    return _UNDECIDED
                raise _Unsat
            items.add(choice)
    return sorted(items, key=str)


def _number(feature: Feature, tests: list[tuple[str, Any]]) -> Any:
    """A number satisfying every comparison and the feature's range, or _Unsat."""
    low: float = feature.minimum if feature.minimum is not None else -math.inf
    high: float = feature.maximum if feature.maximum is not None else math.inf
    low_strict = high_strict = False
    equal: set[float] = set()
    excluded: set[float] = set()
    for op, value in tests:
        if op == "eq":
            equal.add(value)
        elif op == "neq":
            excluded.add(value)
        elif op in ("gt", "gte") and (value > low or (value == low and op == "gt")):
            low, low_strict = value, op == "gt"
        elif op in ("lt", "lte") and (value < high or (value == high and op == "lt")):
            high, high_strict = value, op == "lt"

    def fits(x: float) -> bool:
        above = x > low if low_strict else x >= low
        below = x < high if high_strict else x <= high
        whole = feature.type != "integer" or float(x).is_integer()
        return above and below and whole and x not in excluded

    if equal:
        if len(equal) > 1:
            raise _Unsat
        (only,) = equal
        if not fits(only):
            raise _Unsat
        return int(only) if feature.type == "integer" else only
    if feature.type == "integer":
        start = math.ceil(low) if low != -math.inf else (math.floor(high) if high != math.inf else 0)
        step = 1 if low != -math.inf else -1
        x = start
        for _ in range(len(excluded) + 3):
            if fits(x):
                return int(x)
            x += step
        raise _Unsat
    candidates: list[float] = []
    finite = [v for v in (low, high) if math.isfinite(v)]
    if len(finite) == 2:
        candidates += [(low + high) / 2, low, high]
        candidates += [low + (high - low) * k / (len(excluded) + 2) for k in range(1, len(excluded) + 2)]
    elif finite:
        candidates += [finite[0], *(finite[0] + k for k in range(1, len(excluded) + 2))]
        candidates += [finite[0] - k for k in range(1, len(excluded) + 2)]
    else:
        candidates += [0.0, *(float(k) for k in range(1, len(excluded) + 2))]
    for candidate in candidates:
        if fits(candidate):
            return candidate
    raise _Unsat
