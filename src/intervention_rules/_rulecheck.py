"""Rules against the vocabulary: conditions, operands, actions and text templates.

Each test's operator must apply to its feature's type and each operand must be a value the
feature can hold; names of features, facts, interventions and roles must be declared (with a
suggestion when they are not); tests under one ``all`` that can never hold together are refused.
"""

from __future__ import annotations

import math
import string
from typing import Any

from ._pattern import fullmatch
from ._suggest import suggest
from ._vocabulary import RESERVED, Context
from ._yaml import Located, Path
from .conditions import OPERATORS, operand_values, positive_list_tests
from .errors import Problem
from .model import (
    Action,
    Adjust,
    Alert,
    AllOf,
    AnyOf,
    Caution,
    Collaborate,
    Conclude,
    Condition,
    FactTest,
    Feature,
    Not,
    NotRecommend,
    OperatorName,
    Recommend,
    Rule,
    Test,
)

__all__ = ["MATCHED", "RuleChecker", "check_condition", "check_matched", "check_template"]

#: ``{matched.FEATURE}``: only the values of a list feature that the rule matched.
MATCHED = "matched."


_PLACEHOLDER = string.Formatter()


def check_template(
    ctx: Context,
    doc: Located,
    path: Path,
    text: str,
    features: dict[str, Feature],
    objects: dict[str, tuple[str, ...]],
) -> list[str]:
    """Placeholders in a text must name features; braces must balance. Returns the features
    named as ``{matched.FEATURE}``, which the rule must test (checked once all rules are read)."""
    try:
        parts = list(_PLACEHOLDER.parse(text))
    except ValueError as error:
        ctx.add(doc, path, "IR225", f"invalid text template: {error}; write {{{{ and }}}} for literal braces")
        return []
    matched: list[str] = []
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if spec or conversion:
            ctx.add(doc, path, "IR226", f"placeholder '{{{field}}}' takes no format or conversion")
        elif field.startswith(MATCHED):
            name = field.removeprefix(MATCHED)
            lists = [f.name for f in features.values() if f.type == "list"]
            if name in lists:
                matched.append(name)
            else:
                ctx.add(
                    doc,
                    path,
                    "IR235",
                    f"'{{{field}}}' needs a list feature; '{name}' is not one",
                    suggestion=suggest(name, lists),
                )
        elif field not in features and field not in objects:
            ctx.add(
                doc,
                path,
                "IR211",
                f"unknown feature '{field}' in text template",
                suggestion=suggest(field, list(features) + list(objects)),
            )
    return matched


class RuleChecker:
    """Checks one rule (or one scenario invariant) of a document against the vocabulary."""

    def __init__(
        self,
        ctx: Context,
        doc: Located,
        features: dict[str, Feature],
        objects: dict[str, tuple[str, ...]],
        facts: dict[str, str],
    ) -> None:
        self.ctx = ctx
        self.doc = doc
        self.features = features
        self.objects = objects
        self.facts = facts
        self.ok = True
        self.matched: list[tuple[Path, str]] = []  # ``{matched.FEATURE}`` placeholders, by text

    def fail(self, path: Path, code: str, message: str, *, suggestion: str | None = None) -> None:
        self.ok = False
        self.ctx.add(self.doc, path, code, message, suggestion=suggestion)

    def _operand(self, path: Path, feature: Feature, op: OperatorName, value: Any) -> None:
        """Check one operand value against the feature's type, values, pattern and range."""
        kind = feature.type
        if kind in ("integer", "number") or OPERATORS[op].operand in ("number", "pair"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.fail(path, "IR214", f"'{feature.name}' is a number; {value!r} is not")
                return
            if not math.isfinite(value):
                self.fail(path, "IR214", "numbers must be finite")
                return
            if kind == "integer" and op in ("eq", "ne", "in", "not_in") and not float(value).is_integer():
                self.fail(path, "IR215", f"'{feature.name}' is a whole number; {value!r} can never match")
            return
        if kind == "boolean":
            if not isinstance(value, bool):
                self.fail(path, "IR214", f"'{feature.name}' is true or false; {value!r} is not")
            return
        if not isinstance(value, str):
            self.fail(path, "IR214", f"'{feature.name}' holds text; {value!r} is not a string")
            return
        if feature.values is not None and value not in feature.values:
            self.fail(
                path,
                "IR216",
                f"unknown value '{value}' for '{feature.name}'",
                suggestion=suggest(value, feature.values),
            )
        elif feature.pattern is not None and not fullmatch(feature.pattern, value):
            self.fail(path, "IR217", f"'{value}' does not match the pattern of '{feature.name}'")

    def _range(self, path: Path, feature: Feature, op: str, operand: Any) -> None:
        """A numeric operand outside the feature's range makes a test that is constant."""
        numbers = operand if isinstance(operand, list) else [operand]
        for number in numbers:
            if isinstance(number, bool) or not isinstance(number, int | float):
                return
            if (feature.minimum is not None and number < feature.minimum) or (
                feature.maximum is not None and number > feature.maximum
            ):
                self.fail(
                    path,
                    "IR218",
                    f"{number} is outside the range of '{feature.name}' "
                    f"({feature.minimum} to {feature.maximum})",
                )

    def test(self, path: Path, name: str, raw: Any) -> Condition | None:
        feature = self.features.get(name)
        if feature is None:
            if name in self.objects:
                self.fail(
                    path,
                    "IR212",
                    f"'{name}' is an object; test one of its fields: "
                    + ", ".join(f"{name}.{f}" for f in self.objects[name]),
                )
            else:
                candidates = list(self.features) + list(RESERVED)
                self.fail(path, "IR211", f"unknown feature '{name}'", suggestion=suggest(name, candidates))
            return None
        if isinstance(raw, dict):
            ((op, operand),) = raw.items()
            opath: Path = (*path, op)
        else:
            op, operand, opath = "eq", raw, path
        if feature.type not in OPERATORS[op].types:
            allowed = ", ".join(o.name for o in OPERATORS.values() if feature.type in o.types)
            self.fail(
                opath, "IR213", f"'{op}' does not apply to '{name}' ({feature.type}); use one of: {allowed}"
            )
            return None
        start = len(self.ctx.problems)
        kind = OPERATORS[op].operand
        if kind == "scalar":
            self._operand(opath, feature, op, operand)
        elif kind == "number":
            self._operand(opath, feature, op, operand)
            self._range(opath, feature, op, operand)
        elif kind == "pair":
            for i, value in enumerate(operand):
                self._operand((*opath, i), feature, op, value)
            if self.ok and operand[0] > operand[1]:
                self.fail(
                    opath,
                    "IR219",
                    f"between [{operand[0]}, {operand[1]}] is empty: the low end is above the high end",
                )
        elif kind == "values":
            for i, value in enumerate(operand):
                self._operand((*opath, i), feature, op, value)
            if len(set(map(repr, operand))) != len(operand):
                self.fail(opath, "IR220", "a value is listed twice")
        if len(self.ctx.problems) > start:
            return None
        if isinstance(operand, list):
            operand = tuple(operand)
        if feature.type == "number" and isinstance(operand, int) and not isinstance(operand, bool):
            operand = float(operand)
        return Test(name, op, operand, self.doc.location(path))

    def condition(self, path: Path, raw: dict[str, Any]) -> Condition | None:
        ((key, value),) = raw.items()
        location = self.doc.location(path)
        if key in ("all", "any"):
            items = [self.condition((*path, key, i), item) for i, item in enumerate(value)]
            done = tuple(i for i in items if i is not None)
            if key == "all":
                self._contradictions((*path, key), done)
            if len(done) != len(items):
                return None
            return AllOf(done, location) if key == "all" else AnyOf(done, location)
        if key == "not":
            item = self.condition((*path, "not"), value)
            return None if item is None else Not(item, location)
        if key == "fact":
            if value not in self.facts:
                self.fail(
                    (*path, "fact"), "IR222", f"unknown fact '{value}'", suggestion=suggest(value, self.facts)
                )
                return None
            return FactTest(value, self.doc.location((*path, "fact")))
        return self.test((*path, key), key, value)

    def _contradictions(self, path: Path, items: tuple[Condition, ...]) -> None:
        """Tests directly under one ``all`` that can never hold together."""
        by_feature: dict[str, list[Test]] = {}
        for item in items:
            if isinstance(item, Test):
                by_feature.setdefault(item.feature, []).append(item)
        for feature, tests in by_feature.items():
            reason = _contradiction(self.features[feature], tests)
            if reason is not None:
                self.fail(path, "IR221", f"this 'all' can never be true: {reason}")

    def action(
        self, path: Path, raw: dict[str, Any], interventions: dict[str, Any], roles: dict[str, Any]
    ) -> Action | None:
        ((kind, body),) = raw.items()
        apath: Path = (*path, kind)
        location = self.doc.location(apath)
        if kind == "conclude":
            if body not in self.facts:
                self.fail(apath, "IR222", f"unknown fact '{body}'", suggestion=suggest(body, self.facts))
                return None
            return Conclude(body, location)
        start = len(self.ctx.problems)
        if "intervention" in body and body["intervention"] not in interventions:
            self.fail(
                (*apath, "intervention"),
                "IR223",
                f"unknown intervention '{body['intervention']}'",
                suggestion=suggest(body["intervention"], interventions),
            )
        if "role" in body and body["role"] not in roles:
            self.fail(
                (*apath, "role"),
                "IR224",
                f"unknown role '{body['role']}'",
                suggestion=suggest(body["role"], roles),
            )
        for key in ("text", "prompt"):
            if key in body:
                for name in check_template(
                    self.ctx, self.doc, (*apath, key), body[key], self.features, self.objects
                ):
                    self.matched.append(((*apath, key), name))
        if len(self.ctx.problems) > start:
            return None
        if kind == "recommend":
            return Recommend(body["intervention"], float(body["strength"]), body["text"], location)
        if kind == "adjust":
            return Adjust(body["intervention"], float(body["by"]), body["text"], location)
        if kind == "not_recommend":
            return NotRecommend(body["intervention"], body["text"], location)
        if kind == "caution":
            return Caution(body["intervention"], body["severity"], body["text"], location)
        if kind == "collaborate":
            return Collaborate(body["intervention"], body["role"], body["prompt"], location)
        return Alert(body["severity"], body["text"], location)


def _contradiction(feature: Feature, tests: list[Test]) -> str | None:
    """A reason why these tests on one feature cannot all hold, or None."""
    name = feature.name
    if feature.numeric:
        low, high = -math.inf, math.inf
        low_open = high_open = False
        equal: set[float] = set()
        for t in tests:
            v: Any = t.operand
            if t.op == "gt" and (v > low or (v == low and not low_open)):
                low, low_open = v, True
            elif t.op == "gte" and v > low:
                low, low_open = v, False
            elif t.op == "lt" and (v < high or (v == high and not high_open)):
                high, high_open = v, True
            elif t.op == "lte" and v < high:
                high, high_open = v, False
            elif t.op == "between":
                if v[0] > low:
                    low, low_open = v[0], False
                if v[1] < high:
                    high, high_open = v[1], False
            elif t.op == "eq":
                equal.add(v)
        if low > high or (low == high and (low_open or high_open)):
            return f"no value of '{name}' satisfies all of its bounds"
        if len(equal) > 1:
            return f"'{name}' cannot equal several values at once"
        for value in equal:
            if value < low or value > high or (value == low and low_open) or (value == high and high_open):
                return f"'{name}' equals {value} but its bounds exclude it"
        return None
    if feature.type == "list":
        present: set[Any] = set()
        absent: set[Any] = set()
        for t in tests:
            if t.op == "contains_all" or (t.op == "contains_any" and len(operand_values(t)) == 1):
                present.update(operand_values(t))
            elif t.op == "contains_none":
                absent.update(operand_values(t))
        both = sorted(present & absent)
        if both:
            return f"'{name}' must both include and exclude {', '.join(both)}"
    else:
        equal_values = {t.operand for t in tests if t.op == "eq"}
        if len(equal_values) > 1:
            return f"'{name}' cannot equal several values at once"
        excluded = {t.operand for t in tests if t.op == "ne"}
        for t in tests:
            if t.op == "not_in":
                excluded.update(operand_values(t))
        if equal_values & excluded:
            return f"'{name}' must both equal and differ from {sorted(map(str, equal_values & excluded))[0]}"
        for t in tests:
            if t.op == "in" and equal_values and not equal_values & set(operand_values(t)):
                return f"'{name}' equals a value outside its 'in' list"
    for t in tests:
        if t.op == "recorded" and t.operand is False and len(tests) > 1:
            return f"'{name}' is required to be not recorded and also tested"
    return None


def check_matched(ctx: Context, rules: list[Rule], refs: list[tuple[Located, Path, str, str]]) -> None:
    """``{matched.FEATURE}`` needs a rule that tests the feature with a list test outside any
    ``not``, itself or through a fact it tests (run only on a rule set with no fact cycle). A fact
    that no rule concludes leaves the question open: it is not an error here."""
    concluders: dict[str, list[Rule]] = {}
    for rule in rules:
        for action in rule.then:
            if isinstance(action, Conclude):
                concluders.setdefault(action.fact, []).append(rule)
    reach: dict[str, set[str] | None] = {}  # None: through a fact no rule concludes, so unknown

    def reachable(rule: Rule) -> set[str] | None:
        if rule.id not in reach:
            features: set[str] | None
            features, facts = positive_list_tests(rule.when)
            for fact in facts:
                producers = concluders.get(fact, [])
                if not producers:  # lint reports the fact; the text is not wrong for that
                    features = None
                for producer in producers:
                    more = reachable(producer)
                    features = None if features is None or more is None else features | more
            reach[rule.id] = features
        return reach[rule.id]

    by_id = {rule.id: rule for rule in rules}
    for doc, path, rule_id, name in refs:
        found = reachable(by_id[rule_id])
        if found is not None and name not in found:
            ctx.add(
                doc,
                path,
                "IR236",
                f"'{{{MATCHED}{name}}}': rule {rule_id} never matches values of '{name}' "
                "(no contains_any, contains_all or contains_other_than test on it outside a 'not', "
                "nor through a fact it tests)",
            )


def check_condition(
    doc: Located,
    path: Path,
    raw: dict[str, Any],
    features: dict[str, Feature],
    objects: dict[str, tuple[str, ...]],
    facts: dict[str, str],
) -> tuple[Condition | None, list[Problem]]:
    """A condition written in the rule language (as in a scenario invariant), checked against a
    vocabulary: the condition, or None and every problem found."""
    ctx = Context()
    checker = RuleChecker(ctx, doc, features, objects, facts)
    condition = checker.condition(path, raw)
    if condition is None or not checker.ok:
        return None, ctx.problems
    return condition, []
