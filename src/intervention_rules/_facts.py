"""The engine's facts for an assessment: what the compiled rulesets of a rule set are asked about.

A chunk's fact holds, besides its guard, each boolean key some rule of the chunk tests for false
(false unless switched on), and any other key only when it is switched on (a boolean) or recorded
(a number): durable_rules matches no test on a key a fact lacks, so leaving out a key that every
rule tests only for true is the same to every rule, and the engine parses, and echoes back with
every action, far smaller facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._compile import Plan, json_value

__all__ = ["FactEncoder", "Place"]

Place = tuple[int, int, str]  # chunk, position among its false members or -1, the member switched on


class FactEncoder:
    """Writes the engine facts for an assessment, chunk by chunk.

    A chunk's fact holds, besides its guard, each boolean key some rule of the chunk tests for
    false, false unless switched on; every other key only when switched on (a boolean) or recorded
    (a number). Per evaluation only what the assessment records, and what rules conclude, is
    switched on: for each atom, the places it takes in the chunks that test it, with its member
    (``"k3":true``), are worked out at load, so the work follows the assessment's size rather than
    the number of atoms or chunks.
    """

    def __init__(self, plan: Plan) -> None:
        numeric = {key for key, atom in plan.atoms if atom[0] == "number"}
        falses: list[list[str]] = []
        places: dict[str, list[Place]] = {}
        numbers: dict[str, list[int]] = {}
        for index, chunk in enumerate(plan.chunks):
            negated = [key for key in chunk.negated if key not in numeric]
            falses.append([f'"{key}":false' for key in negated])
            position = {key: i for i, key in enumerate(negated)}
            for key in chunk.keys:
                if key in numeric:
                    numbers.setdefault(key, []).append(index)
                else:
                    places.setdefault(key, []).append((index, position.get(key, -1), f'"{key}":true'))
        self._falses = tuple(falses)

        def at(key: str) -> tuple[Place, ...]:
            return tuple(places.get(key, ()))

        self._held: dict[tuple[str, type, Any], tuple[Place, ...]] = {}
        self._recorded: dict[str, tuple[Place, ...]] = {}
        self._numbers: dict[str, tuple[str, tuple[int, ...]]] = {}  # feature -> key, chunks
        self._facts: dict[str, tuple[Place, ...]] = {}
        self._others: dict[str, list[tuple[tuple[Place, ...], frozenset[Any]]]] = {}
        for key, atom in plan.atoms:
            kind = atom[0]
            if kind == "number":
                self._numbers[atom[1]] = (key, tuple(numbers.get(key, ())))
            elif kind == "value":
                self._held[(atom[1], type(atom[2]), atom[2])] = at(key)
            elif kind == "recorded":
                self._recorded[atom[1]] = at(key)
            elif kind == "other":
                self._others.setdefault(atom[1], []).append((at(key), atom[2]))
            else:
                self._facts[atom[1]] = at(key)

    def members(self, values: Mapping[str, Any]) -> list[list[str]]:
        """Every chunk's members for an assessment's normal form, with no fact concluded yet."""
        parts = [members.copy() for members in self._falses]
        held, recorded, numbers, others = self._held, self._recorded, self._numbers, self._others
        for feature, value in values.items():
            _switch(parts, recorded.get(feature, ()))
            number = numbers.get(feature)
            if number is not None:
                key, chunks = number
                member = f'"{key}":{json_value(value)}'
                for index in chunks:
                    parts[index].append(member)
            for item in value if isinstance(value, tuple) else (value,):
                _switch(parts, held.get((feature, type(item), item), ()))
            for where, allowed in others.get(feature, ()):
                if any(item not in allowed for item in value):
                    _switch(parts, where)
        return parts

    def conclude(self, parts: list[list[str]], facts: Iterable[str]) -> None:
        """Switch on the atoms of derived facts newly concluded (each fact once: a key left out
        when false is added, so switching it on twice would write it twice)."""
        known = self._facts
        for fact in facts:
            _switch(parts, known.get(fact, ()))

    @staticmethod
    def body(index: int, parts: list[list[str]]) -> str:
        """The JSON members of chunk ``index``'s projection of the fact."""
        return ",".join(parts[index])


def _switch(parts: list[list[str]], places: tuple[Place, ...]) -> None:
    """Switch an atom on in each chunk that tests it: in place of its false member, or added."""
    for index, position, member in places:
        if position < 0:
            parts[index].append(member)
        else:
            parts[index][position] = member
