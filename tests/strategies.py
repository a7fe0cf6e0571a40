"""Generated rule sets and assessments over the contract's vocabulary (tests/fixtures/base.yaml).

The generators take a *source* of choices, so the same code serves hypothesis (which can then
shrink a failure) and a seeded ``random.Random`` (for the large, deterministic rule sets).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml
from hypothesis import strategies as st

T = TypeVar("T")

BASE = yaml.safe_load((Path(__file__).parent / "fixtures" / "base.yaml").read_text(encoding="utf-8"))

REASONS = BASE["features"]["reasons"]["values"]
CONDITIONS = BASE["features"]["conditions"]["values"]
PATTERNS = BASE["features"]["pattern"]["values"]
MEDICINES = ["lithium", "sertraline", "fluoxetine", "valproate", "olanzapine", "venlafaxine"]
AGES = [0, 12, 13, 15, 17, 18, 19, 24, 25, 55, 120]
SCORES = [-5, -1.5, 0, 0.25, 2, 5]
INTERVENTIONS = list(BASE["interventions"])
ROLES = list(BASE["roles"])
FACTS = list(BASE["facts"])

FEATURES: dict[str, tuple[str, list[Any]]] = {
    "age": ("integer", AGES),
    "score": ("number", SCORES),
    "reasons": ("list", REASONS),
    "conditions": ("list", CONDITIONS),
    "medications": ("list", MEDICINES),
    "pattern": ("string", PATTERNS),
    "family.involved": ("boolean", [True, False]),
    "family.conflict": ("boolean", [True, False]),
    "family.safeguarding_concern": ("boolean", [True, False]),
    "can_become_pregnant": ("boolean", [True, False]),
}
OPERATORS = {
    "integer": ["eq", "ne", "lt", "lte", "gt", "gte", "between", "in", "not_in", "recorded"],
    "number": ["eq", "ne", "lt", "lte", "gt", "gte", "between", "recorded"],
    "string": ["eq", "ne", "in", "not_in", "recorded", "shorthand"],
    "boolean": ["eq", "ne", "recorded", "shorthand"],
    "list": ["contains_any", "contains_all", "contains_none", "contains_other_than", "recorded"],
}


class Source(Protocol):
    def choice(self, options: Sequence[T]) -> T: ...
    def integer(self, low: int, high: int) -> int: ...
    def sample(self, options: Sequence[T], low: int, high: int) -> list[T]: ...


class RandomSource:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def choice(self, options: Sequence[T]) -> T:
        return self.random.choice(list(options))

    def integer(self, low: int, high: int) -> int:
        return self.random.randint(low, high)

    def sample(self, options: Sequence[T], low: int, high: int) -> list[T]:
        return self.random.sample(list(options), self.random.randint(low, min(high, len(options))))


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


def leaf(src: Source, feature: str) -> dict[str, Any]:
    kind, values = FEATURES[feature]
    op = src.choice(OPERATORS[kind])
    if op == "recorded":
        return {feature: {"recorded": src.choice([True, False])}}
    if op == "shorthand":
        return {feature: src.choice(values)}
    if op == "between":
        low, high = sorted([src.choice(values), src.choice(values)])
        return {feature: {"between": [low, high]}}
    if op in ("in", "not_in", "contains_any", "contains_all", "contains_none", "contains_other_than"):
        return {feature: {op: src.sample(values, 1, 3)}}
    return {feature: {op: src.choice(values)}}


def condition(src: Source, depth: int, facts: list[str]) -> dict[str, Any]:
    shape = src.choice(
        ["leaf", "leaf", "fact", "all", "any", "not"] if depth > 0 else ["leaf", "leaf", "fact"]
    )
    if shape == "fact" and facts:
        return {"fact": src.choice(facts)}
    if shape in ("leaf", "fact"):
        return leaf(src, src.choice(list(FEATURES)))
    if shape == "not":
        return {"not": condition(src, depth - 1, facts)}
    count = src.integer(1, 3)
    if shape == "any":
        return {"any": [condition(src, depth - 1, facts) for _ in range(count)]}
    # under one "all", direct tests use distinct features, so no simple contradiction arises
    features = src.sample(list(FEATURES), count, count)
    items = []
    for feature in features:
        if src.integer(0, 3) == 0:
            # a nested group is not a direct test, so it may reuse a feature freely
            items.append({"any": [condition(src, depth - 1, facts)]})
        else:
            items.append(leaf(src, feature))
    return {"all": items}


def action(src: Source, concludable: list[str]) -> dict[str, Any]:
    kinds = [
        "recommend",
        "recommend",
        "recommend",
        "adjust",
        "not_recommend",
        "caution",
        "collaborate",
        "alert",
    ]
    if concludable:
        kinds += ["conclude", "conclude"]
    kind = src.choice(kinds)
    iv = src.choice(INTERVENTIONS)
    if kind == "recommend":
        return {
            "recommend": {
                "intervention": iv,
                "strength": src.choice([0.5, 1, 2, 3]),
                "text": "Because {reasons} at {age}.",
            }
        }
    if kind == "adjust":
        return {
            "adjust": {"intervention": iv, "by": src.choice([-1, -0.5, 1]), "text": "Adjusted for {pattern}."}
        }
    if kind == "not_recommend":
        return {"not_recommend": {"intervention": iv, "text": "Not for {family}."}}
    if kind == "caution":
        return {
            "caution": {
                "intervention": iv,
                "severity": src.choice(["info", "warning", "critical"]),
                "text": "Careful with {medications}.",
            }
        }
    if kind == "collaborate":
        return {
            "collaborate": {
                "intervention": iv,
                "role": src.choice(ROLES),
                "prompt": "Talk about {conditions}.",
            }
        }
    if kind == "alert":
        return {
            "alert": {"severity": src.choice(["info", "warning", "critical"]), "text": "Alert at age {age}."}
        }
    return {"conclude": src.choice(concludable)}


def rule(src: Source, index: int, depth: int = 2) -> dict[str, Any]:
    level = src.integer(0, len(FACTS))
    testable = FACTS[:level]
    concludable = FACTS[level:]
    return {
        "id": f"R-{index}",
        "title": f"Generated rule {index}",
        "version": 1,
        "status": src.choice(["active", "active", "draft", "retired"]),
        "author": "generator",
        "reviewer": "reviewer",
        "last_reviewed": "2026-01-01",
        "review_due": "2027-01-01",
        "evidence": [{"source": "test", "grade": "not_graded", "confidence": "high"}],
        "when": condition(src, depth, testable),
        "then": [action(src, concludable) for _ in range(src.integer(1, 3))],
    }


def ruleset_document(src: Source, count: int, depth: int = 2) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["ruleset"]["ranking"]["aggregate"] = src.choice(["sum", "max"])
    doc["rules"] = [rule(src, i, depth) for i in range(count)]
    return doc


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
