"""Located, schema-valid documents to a validated rule-set definition.

Checks what a schema cannot: names that refer to other parts of the rule set (with suggestions),
operand types and values against the vocabulary, duplicate ids, derived-fact cycles, simple
contradictions, text templates and governance consistency. Every problem is collected.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable
from typing import Any

import attrs

from ._schema import suggest
from ._yaml import Located, Path, format_path
from .conditions import OPERATORS, positive_list_tests
from .errors import Problem
from .model import (
    Action,
    Adjust,
    Alert,
    AllOf,
    AnyOf,
    Caution,
    Collaborate,
    CollaborationPrompt,
    Conclude,
    Condition,
    Constraint,
    Evidence,
    FactTest,
    Feature,
    Intervention,
    Location,
    Not,
    NotRecommend,
    Recommend,
    Role,
    Rule,
    Selector,
    Test,
)

__all__ = ["Definition", "build_definition"]

RESERVED = frozenset({"all", "any", "not", "fact"})
MATCHED = "matched."  # ``{matched.FEATURE}``: only the values of a list feature that the rule matched


@attrs.frozen
class Definition:
    """A validated rule set, before compilation."""

    name: str
    version: str
    description: str | None
    aggregate: str
    constraints: tuple[Constraint, ...]
    features: dict[str, Feature]  # leaf features by dotted name
    objects: dict[str, tuple[str, ...]]  # object feature -> its field names
    object_required: frozenset[str]
    facts: dict[str, str]
    roles: dict[str, Role]
    interventions: dict[str, Intervention]
    rules: tuple[Rule, ...]  # every rule, retired ones included, in definition order
    zero_strength: str = "ranked"  # or "considered": strength 0 is listed apart, not ranked
    source_article: str | None = None  # how evidence entries name the article the set encodes


class _Context:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, doc: Located, path: Path, code: str, message: str, **extra: Any) -> None:
        self.problems.append(doc.problem(path, code, message, **extra))

    def location(self, doc: Located, path: Path) -> Location:
        line, column = doc.where(path)
        return Location(doc.name, line, column, format_path(path), path)


def _sections(docs: Iterable[Located], name: str) -> Iterable[tuple[Located, Any]]:
    for doc in docs:
        if isinstance(doc.data, dict) and name in doc.data:
            yield doc, doc.data[name]


def _evidence(items: list[dict[str, Any]]) -> tuple[Evidence, ...]:
    return tuple(Evidence(e["source"], e["grade"], e["confidence"], e.get("note")) for e in items)


def _features(
    ctx: _Context, docs: list[Located]
) -> tuple[dict[str, Feature], dict[str, tuple[str, ...]], frozenset[str]]:
    features: dict[str, Feature] = {}
    objects: dict[str, tuple[str, ...]] = {}
    object_required: set[str] = set()
    seen: dict[str, Located] = {}

    def scalar(doc: Located, path: Path, name: str, spec: dict[str, Any]) -> Feature | None:
        kind = spec["type"]
        ok = True
        if kind not in ("integer", "number") and ("minimum" in spec or "maximum" in spec):
            ctx.add(doc, path, "IR201", f"'minimum' and 'maximum' apply only to numbers, not to {kind}")
            ok = False
        if kind not in ("string", "list") and ("values" in spec or "pattern" in spec):
            ctx.add(
                doc, path, "IR202", f"'values' and 'pattern' apply only to string and list, not to {kind}"
            )
            ok = False
        if "values" in spec and "pattern" in spec:
            ctx.add(doc, path, "IR203", "give either 'values' or 'pattern', not both")
            ok = False
        if kind == "integer":
            for key in ("minimum", "maximum"):
                if key in spec and not float(spec[key]).is_integer():
                    ctx.add(doc, (*path, key), "IR204", f"an integer feature needs a whole {key}")
                    ok = False
        if "minimum" in spec and "maximum" in spec and spec["minimum"] > spec["maximum"]:
            ctx.add(doc, (*path, "minimum"), "IR205", "minimum is greater than maximum")
            ok = False
        pattern = spec.get("pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                ctx.add(doc, (*path, "pattern"), "IR206", f"invalid regular expression: {error}")
                ok = False
        if not ok:
            return None
        values = spec.get("values")
        return Feature(
            name=name,
            type=kind,
            description=spec["description"],
            required=bool(spec.get("required", False)),
            minimum=spec.get("minimum"),
            maximum=spec.get("maximum"),
            values=tuple(values) if values is not None else None,
            pattern=pattern,
        )

    for doc, section in _sections(docs, "features"):
        for name, spec in section.items():
            path: Path = ("features", name)
            if name in RESERVED:
                ctx.add(doc, path, "IR207", f"'{name}' is reserved by the condition language")
                continue
            if name in seen:
                ctx.add(doc, path, "IR208", f"feature '{name}' is already declared in {seen[name].file}")
                continue
            seen[name] = doc
            if spec["type"] == "object":
                fields = []
                for field, fspec in spec["fields"].items():
                    feature = scalar(doc, (*path, "fields", field), f"{name}.{field}", fspec)
                    if feature is not None:
                        features[feature.name] = feature
                    fields.append(field)
                objects[name] = tuple(fields)
                if spec.get("required"):
                    object_required.add(name)
            else:
                feature = scalar(doc, path, name, spec)
                if feature is not None:
                    features[name] = feature
    return features, objects, frozenset(object_required)


def _named(ctx: _Context, docs: list[Located], section: str, what: str) -> dict[str, tuple[Located, Any]]:
    out: dict[str, tuple[Located, Any]] = {}
    for doc, items in _sections(docs, section):
        for name, spec in items.items():
            if name in out:
                ctx.add(
                    doc,
                    (section, name),
                    "IR208",
                    f"{what} '{name}' is already declared in {out[name][0].file}",
                )
                continue
            out[name] = (doc, spec)
    return out


_PLACEHOLDER = string.Formatter()


def check_template(
    ctx: _Context,
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


class _RuleChecker:
    def __init__(
        self,
        ctx: _Context,
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

    def fail(self, path: Path, code: str, message: str, **extra: Any) -> None:
        self.ok = False
        self.ctx.add(self.doc, path, code, message, **extra)

    def _operand(self, path: Path, feature: Feature, op: str, value: Any) -> None:
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
        elif feature.pattern is not None and not re.fullmatch(feature.pattern, value):
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
        return Test(name, op, operand, self.ctx.location(self.doc, path))

    def condition(self, path: Path, raw: dict[str, Any]) -> Condition | None:
        ((key, value),) = raw.items()
        location = self.ctx.location(self.doc, path)
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
            return FactTest(value, self.ctx.location(self.doc, (*path, "fact")))
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
        location = self.ctx.location(self.doc, apath)
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
            if t.op == "contains_all" or (t.op == "contains_any" and len(t.operand) == 1):
                present.update(t.operand)
            elif t.op == "contains_none":
                absent.update(t.operand)
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
                excluded.update(t.operand)
        if equal_values & excluded:
            return f"'{name}' must both equal and differ from {sorted(map(str, equal_values & excluded))[0]}"
        for t in tests:
            if t.op == "in" and equal_values and not equal_values & set(t.operand):
                return f"'{name}' equals a value outside its 'in' list"
    for t in tests:
        if t.op == "recorded" and t.operand is False and len(tests) > 1:
            return f"'{name}' is required to be not recorded and also tested"
    return None


def _check_matched(ctx: _Context, rules: list[Rule], refs: list[tuple[Located, Path, str, str]]) -> None:
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


def build_definition(docs: list[Located]) -> tuple[Definition | None, list[Problem]]:
    """Validate schema-valid documents as a whole rule set."""
    ctx = _Context()
    rulesets = list(_sections(docs, "ruleset"))
    if not rulesets:
        file = docs[0].file if docs else "<rule set>"
        ctx.problems.append(
            Problem("no file declares the 'ruleset' section", file=file, line=1, column=1, code="IR209")
        )
    for doc, _ in rulesets[1:]:
        ctx.add(doc, ("ruleset",), "IR208", f"'ruleset' is already declared in {rulesets[0][0].file}")

    features, objects, object_required = _features(ctx, docs)
    facts = {name: spec["description"] for name, (_, spec) in _named(ctx, docs, "facts", "fact").items()}
    roles_raw = _named(ctx, docs, "roles", "role")
    roles = {
        name: Role(name, spec["title"], spec.get("description")) for name, (_, spec) in roles_raw.items()
    }
    interventions: dict[str, Intervention] = {}
    for order, (name, (doc, spec)) in enumerate(_named(ctx, docs, "interventions", "intervention").items()):
        prompts = []
        for i, item in enumerate(spec.get("collaboration", [])):
            if item["role"] not in roles:
                ctx.add(
                    doc,
                    ("interventions", name, "collaboration", i, "role"),
                    "IR224",
                    f"unknown role '{item['role']}'",
                    suggestion=suggest(item["role"], roles),
                )
            prompts.append(CollaborationPrompt(item["role"], item["prompt"]))
        interventions[name] = Intervention(
            id=name,
            title=spec["title"],
            category=spec["category"],
            description=spec["description"],
            collaboration=tuple(prompts),
            evidence=_evidence(spec.get("evidence", [])),
            order=order,
            location=ctx.location(doc, ("interventions", name)),
        )

    rules: list[Rule] = []
    rule_ids: dict[str, str] = {}
    matched_refs: list[tuple[Located, Path, str, str]] = []
    for doc, items in _sections(docs, "rules"):
        for index, raw in enumerate(items):
            path: Path = ("rules", index)
            checker = _RuleChecker(ctx, doc, features, objects, facts)
            rule_id = raw["id"]
            if rule_id in rule_ids:
                checker.fail(
                    (*path, "id"), "IR210", f"duplicate rule id '{rule_id}' (first at {rule_ids[rule_id]})"
                )
            else:
                line, column = doc.where((*path, "id"))
                rule_ids[rule_id] = f"{doc.file}:{line}:{column}"
            if raw["review_due"] < raw["last_reviewed"]:
                checker.fail((*path, "review_due"), "IR227", "review_due is before last_reviewed")
            if raw["status"] == "active":
                for i, ev in enumerate(raw["evidence"]):
                    if ev["confidence"] != "high":
                        checker.fail(
                            (*path, "evidence", i, "confidence"),
                            "IR228",
                            f"an active rule rests on evidence of confidence '{ev['confidence']}'; "
                            "keep it draft until a clinician confirms it against the primary text",
                        )
            when = checker.condition((*path, "when"), raw["when"])
            then = [
                checker.action((*path, "then", i), action, interventions, roles)
                for i, action in enumerate(raw["then"])
            ]
            if when is None or any(a is None for a in then) or not checker.ok:
                continue
            matched_refs.extend((doc, path, rule_id, name) for path, name in checker.matched)
            rules.append(
                Rule(
                    id=rule_id,
                    title=raw["title"],
                    version=raw["version"],
                    status=raw["status"],
                    author=raw["author"],
                    reviewer=raw.get("reviewer"),
                    last_reviewed=raw["last_reviewed"],
                    review_due=raw["review_due"],
                    evidence=_evidence(raw["evidence"]),
                    when=when,
                    then=tuple(a for a in then if a is not None),
                    order=len(rules),
                    location=ctx.location(doc, path),
                )
            )

    constraints: list[Constraint] = []
    name = version = ""
    description: str | None = None
    aggregate = "sum"
    zero_strength = "ranked"
    source_article: str | None = None
    if rulesets:
        doc, spec = rulesets[0]
        name, version, description = spec["name"], spec["version"], spec.get("description")
        source_article = spec.get("source_article")
        ranking = spec.get("ranking", {})
        aggregate = ranking.get("aggregate", "sum")
        zero_strength = ranking.get("zero_strength", "ranked")
        for i, raw in enumerate(ranking.get("constraints", [])):
            cpath: Path = ("ruleset", "ranking", "constraints", i, "never_above")
            sides = {}
            for side in ("lower", "upper"):
                sel = raw["never_above"][side]
                for j, item in enumerate(sel.get("interventions", [])):
                    if item not in interventions:
                        ctx.add(
                            doc,
                            (*cpath, side, "interventions", j),
                            "IR223",
                            f"unknown intervention '{item}'",
                            suggestion=suggest(item, interventions),
                        )
                sides[side] = Selector(tuple(sel.get("categories", [])), tuple(sel.get("interventions", [])))
            constraints.append(
                Constraint(
                    raw["id"],
                    sides["lower"],
                    sides["upper"],
                    raw["text"],
                    ctx.location(doc, ("ruleset", "ranking", "constraints", i)),
                )
            )

    if rulesets:
        _check_constraints(ctx, rulesets[0][0], constraints, interventions)
    _check_cycles(ctx, docs, rules)
    if not ctx.problems:
        _check_matched(ctx, rules, matched_refs)
    if ctx.problems:
        return None, ctx.problems
    return (
        Definition(
            name=name,
            version=version,
            description=description,
            aggregate=aggregate,
            constraints=tuple(constraints),
            features=features,
            objects=objects,
            object_required=object_required,
            facts=facts,
            roles=roles,
            interventions=interventions,
            rules=tuple(rules),
            zero_strength=zero_strength,
            source_article=source_article,
        ),
        [],
    )


def _check_constraints(
    ctx: _Context, doc: Located, constraints: list[Constraint], interventions: dict[str, Intervention]
) -> None:
    """Ranking constraints must be satisfiable together: no intervention above itself."""
    above: dict[str, set[str]] = {}
    for index, constraint in enumerate(constraints):
        path: Path = ("ruleset", "ranking", "constraints", index)
        uppers = {iv.id for iv in interventions.values() if constraint.upper.selects(iv)}
        lowers = {iv.id for iv in interventions.values() if constraint.lower.selects(iv)}
        both = sorted(uppers & lowers)
        if both:
            ctx.add(doc, path, "IR229", f"constraint {constraint.id} selects {', '.join(both)} on both sides")
        for upper in uppers:
            above.setdefault(upper, set()).update(lowers - {upper})
    # A cycle means some intervention would have to rank above itself.
    done: set[str] = set()
    for start in sorted(above):
        path_ids = [start]
        pending = [iter(sorted(above.get(start, ())))]
        on_path = {start}
        while pending:
            nxt = next(pending[-1], None)
            if nxt is None:
                finished = path_ids.pop()
                done.add(finished)
                on_path.discard(finished)
                pending.pop()
            elif nxt in on_path:
                cycle = [*path_ids[path_ids.index(nxt) :], nxt]
                ctx.add(
                    doc,
                    ("ruleset", "ranking", "constraints"),
                    "IR230",
                    "ranking constraints contradict each other: " + " above ".join(cycle),
                )
                return
            elif nxt not in done:
                path_ids.append(nxt)
                on_path.add(nxt)
                pending.append(iter(sorted(above.get(nxt, ()))))


MAX_STRATA = 32


def _check_cycles(ctx: _Context, docs: list[Located], rules: list[Rule]) -> None:
    """Derived facts may not depend on themselves through any chain of rules, and chains stay
    shallow enough to evaluate and explain."""
    from ._compile import strata_of
    from .conditions import referenced_facts

    display = {doc.name: doc.file for doc in docs}
    live = [r for r in rules if r.status != "retired"]
    depends: dict[str, set[str]] = {}
    where: dict[str, Rule] = {}
    for rule in live:
        tested = set(referenced_facts(rule.when))
        for action in rule.then:
            if isinstance(action, Conclude):
                depends.setdefault(action.fact, set()).update(tested)
                where.setdefault(action.fact, rule)

    def report(rule: Rule, code: str, message: str) -> None:
        loc = rule.location
        ctx.problems.append(
            Problem(
                message,
                file=display.get(loc.file, loc.file),
                line=loc.line,
                column=loc.column,
                path=loc.path,
                rule=rule.id,
                code=code,
                parts=loc.parts,
            )
        )

    state: dict[str, int] = {}  # 1 on the current path, 2 done
    found_cycle = False
    for start in sorted(depends):
        if start in state:
            continue
        path = [start]
        state[start] = 1
        pending = [iter(sorted(depends.get(start, ())))]
        while pending:
            nxt = next(pending[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                pending.pop()
            elif state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                report(
                    where[path[-1]], "IR231", "derived facts form a cycle: " + " -> ".join(reversed(cycle))
                )
                found_cycle = True
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                pending.append(iter(sorted(depends.get(nxt, ()))))
    if found_cycle:
        return
    levels = strata_of(live)
    deepest = max(levels.values(), default=0)
    if deepest >= MAX_STRATA:
        rule = next(r for r in live if levels[r.id] == deepest)
        report(
            rule,
            "IR232",
            f"derived facts build on each other {deepest} levels deep (at most {MAX_STRATA - 1})",
        )
