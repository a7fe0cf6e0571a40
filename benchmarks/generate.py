"""Seeded rule sets over the contract's vocabulary, and assessments for any loaded rule set.

The test suite generates its rule sets with the same functions (tests/strategies.py), drawing the
choices from hypothesis instead of a seeded generator.

The rule generator makes the same shapes as the test suite's (nested all/any/not groups, every
operator, derived facts in strata, every kind of action); assessments are drawn from a loaded
rule set's own vocabulary and from the values its rules test, so that they make rules fire
whatever the rule set holds.
"""

from __future__ import annotations

import copy
import random
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml

import intervention_rules as ir
from intervention_rules.model import AllOf, AnyOf, Condition, Not, Test

T = TypeVar("T")

BASE = yaml.safe_load((Path(__file__).parent / "vocabulary.yaml").read_text(encoding="utf-8"))

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


class Source:
    """Seeded choices."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def choice(self, options: list[T] | tuple[T, ...]) -> T:
        return self.random.choice(list(options))

    def integer(self, low: int, high: int) -> int:
        return self.random.randint(low, high)

    def sample(self, options: list[T] | tuple[T, ...], low: int, high: int) -> list[T]:
        return self.random.sample(list(options), self.random.randint(low, min(high, len(options))))


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


#: Rules per file: a rule file holds at most 200,000 YAML nodes (see docs/safety.md#limits), and a
#: generated rule takes up to about 45.
RULES_PER_FILE = 1000


def generated_ruleset(directory: Path, count: int, seed: int | None = None) -> Path:
    """Write a generated rule set of ``count`` rules (seeded by its size unless told): one file,
    or for more than ``RULES_PER_FILE`` rules a directory of files, as an author would split
    them, each within the rule-file limits."""
    document = ruleset_document(Source(count if seed is None else seed), count, depth=2)
    if count <= RULES_PER_FILE:
        path = directory / f"generated-{count}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        return path
    folder = directory / f"generated-{count}"
    folder.mkdir()
    rules = document.pop("rules")
    (folder / "ruleset.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    for start in range(0, len(rules), RULES_PER_FILE):
        part = {"rules": rules[start : start + RULES_PER_FILE]}
        name = f"rules-{start // RULES_PER_FILE:03d}.yaml"
        (folder / name).write_text(yaml.safe_dump(part, sort_keys=False), encoding="utf-8")
    return folder


def _operands(condition: Condition, out: dict[str, set[Any]]) -> None:
    if isinstance(condition, Test):
        operand = condition.operand
        values = operand if isinstance(operand, tuple | list) else (operand,)
        out.setdefault(condition.feature, set()).update(v for v in values if not isinstance(v, bool))
    elif isinstance(condition, AllOf | AnyOf):
        for item in condition.items:
            _operands(item, out)
    elif isinstance(condition, Not):
        _operands(condition.item, out)


class Assessments:
    """Valid assessments for a loaded rule set, drawn from its declared features and from the
    values its rules test. ``size`` bounds how many optional features are recorded (None: any)."""

    def __init__(self, ruleset: ir.RuleSet, seed: int = 1) -> None:
        self.ruleset = ruleset
        self.random = random.Random(seed)
        self.features = dict(ruleset.features)
        tested: dict[str, set[Any]] = {}
        for rule in ruleset.rules:
            _operands(rule.when, tested)
        self.tested = {name: sorted(values, key=repr) for name, values in tested.items()}

    def _value(self, name: str) -> Any:
        feature = self.features[name]
        rnd = self.random
        tested = [v for v in self.tested.get(name, []) if not isinstance(v, str) or feature.type != "integer"]
        if feature.type in ("integer", "number"):
            low = -1000.0 if feature.minimum is None else feature.minimum
            high = 1000.0 if feature.maximum is None else feature.maximum
            if tested and rnd.random() < 0.6:
                value = rnd.choice(tested) + rnd.choice([-1, 0, 0, 1])
            else:
                value = rnd.uniform(low, high)
            value = min(max(value, low), high)
            return round(value) if feature.type == "integer" else round(float(value), 2)
        if feature.type == "boolean":
            return rnd.random() < 0.5
        if feature.values is not None:
            options = list(feature.values)
        else:
            options = [v for v in tested if isinstance(v, str)] or ["unknown"]
            if feature.pattern is not None:
                options = [v for v in options if re.fullmatch(feature.pattern, v)] or ["x"]
        if feature.type == "string":
            return rnd.choice(options)
        return rnd.sample(options, rnd.randint(0, min(4, len(options))))

    def draw(self, size: int | None = None) -> dict[str, Any]:
        for _ in range(100):
            case = self._draw(size)
            try:
                self.ruleset.normalise(case)
            except ir.AssessmentError:
                continue
            return case
        raise RuntimeError("could not draw a valid assessment for this rule set's vocabulary")

    def _draw(self, size: int | None) -> dict[str, Any]:
        names = list(self.features)
        optional = [n for n in names if not self.features[n].required]
        self.random.shuffle(optional)
        chosen = [n for n in optional if self.random.random() < 0.7] if size is None else optional[:size]
        out: dict[str, Any] = {}
        for name in [n for n in names if self.features[n].required] + chosen:
            value = self._value(name)
            if "." in name:
                parent, field = name.split(".", 1)
                out.setdefault(parent, {})[field] = value
            else:
                out[name] = value
        return out

    def many(self, count: int, size: int | None = None) -> list[dict[str, Any]]:
        return [self.draw(size) for _ in range(count)]
