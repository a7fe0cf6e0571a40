"""Generated rule sets and assessments over the contract's vocabulary.

The rule-set generator is shared with the benchmarks (benchmarks/generate.py, on pytest's path);
its functions take a *source* of choices, so the same code serves hypothesis (which can then
shrink a failure) and a seeded ``random.Random`` (for the large, deterministic rule sets).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from generate import (
    AGES,
    BASE,
    CONDITIONS,
    FACTS,
    FEATURES,
    INTERVENTIONS,
    MEDICINES,
    OPERATORS,
    PATTERNS,
    REASONS,
    ROLES,
    SCORES,
    action,
    condition,
    leaf,
    rule,
    ruleset_document,
)
from generate import Source as RandomSource
from hypothesis import strategies as st

T = TypeVar("T")
Source = Any  # a RandomSource or a DrawSource: anything with choice, integer and sample

__all__ = [
    "AGES",
    "BASE",
    "CONDITIONS",
    "FACTS",
    "FEATURES",
    "INTERVENTIONS",
    "MEDICINES",
    "OPERATORS",
    "PATTERNS",
    "REASONS",
    "ROLES",
    "SCORES",
    "DrawSource",
    "RandomSource",
    "action",
    "assessment",
    "assessments",
    "condition",
    "leaf",
    "replace_a_node",
    "rule",
    "ruleset_document",
    "write_ruleset",
]


class DrawSource:
    """Choices drawn by hypothesis, through ``data.draw`` or a composite's ``draw``."""

    def __init__(self, draw: Any) -> None:
        self.draw = draw

    def choice(self, options: Sequence[T]) -> T:
        return self.draw(st.sampled_from(list(options)))

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))

    def sample(self, options: Sequence[T], low: int, high: int) -> list[T]:
        items = list(options)
        chosen = self.draw(
            st.lists(st.sampled_from(items), min_size=low, max_size=min(high, len(items)), unique=True)
        )
        return chosen


def write_ruleset(directory: Path, document: dict[str, Any]) -> Path:
    path = directory / "ruleset.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def assessment(src: Source) -> dict[str, Any]:
    out: dict[str, Any] = {"age": src.choice([*AGES, src.integer(0, 120)])}
    if src.integer(0, 3):
        out["reasons"] = src.sample(REASONS, 0, 5)
    if src.integer(0, 3):
        out["conditions"] = src.sample(CONDITIONS, 0, 4)
    if src.integer(0, 2):
        out["medications"] = src.sample([*MEDICINES, "paracetamol"], 0, 3)
    if src.integer(0, 2):
        out["pattern"] = src.choice(PATTERNS)
    if src.integer(0, 2):
        out["score"] = src.choice([*SCORES, 1, -2, 4.75])
    if src.integer(0, 2):
        fields = src.sample(["involved", "conflict", "safeguarding_concern"], 0, 3)
        out["family"] = {f: src.choice([True, False]) for f in fields}
    if src.integer(0, 1):
        out["can_become_pregnant"] = src.choice([True, False])
    return out


@st.composite
def assessments(draw: st.DrawFn) -> dict[str, Any]:
    return assessment(DrawSource(draw))


def replace_a_node(data: st.DataObject, document: Any, junk: st.SearchStrategy[Any]) -> None:
    """Walk down a document by random choices and replace one node on the way with junk."""
    node = document
    for _ in range(data.draw(st.integers(1, 8))):
        if isinstance(node, dict) and node:
            key: Any = data.draw(st.sampled_from(sorted(node)))
        elif isinstance(node, list) and node:
            key = data.draw(st.integers(0, len(node) - 1))
        else:
            return
        if not isinstance(node[key], dict | list) or data.draw(st.booleans()):
            node[key] = data.draw(junk)
            return
        node = node[key]
