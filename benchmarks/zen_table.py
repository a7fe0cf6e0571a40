"""A loaded rule set expressed as a GoRules zen-engine decision graph, for side-by-side timing.

Each stratum of rules (see the compiler: a rule that tests a derived fact runs after the rules
that conclude it) becomes one decision table with the *collect* hit policy, outputting rule ids.
The tables pass their input through, and each writes its hits under its own key (``s0``, ``s1``,
...), so a later table tests a derived fact by asking whether any rule that concludes it was
collected. Two encodings of the same rules:

- ``table`` (the fair one, as zen-engine's users write decision tables): one input column per
  feature (and per derived fact) that the stratum tests, and unary cells such as ``>= 18``,
  ``"repeated"``, ``[12..17]``, ``some($, # in ["coping"])`` or ``true``; an empty cell matches
  anything. A rule whose condition has ``any``/``not`` groups becomes one row per alternative
  (its disjunctive normal form, negations pushed to the tests), as a table author would write it.
- ``expression``: one row per rule holding its whole condition as one zen expression in a single
  input column.

Unrecorded features are ``null`` in zen; where zen's own answer on ``null`` differs from the rule
language's (a test on an unrecorded feature is false, and its negation true) the cell says so.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import zen

import intervention_rules as ir
from intervention_rules.model import AllOf, AnyOf, Conclude, Condition, FactTest, Not, Rule, Test

__all__ = ["ENCODINGS", "ZenRuleSet"]

ENCODINGS = ("table", "expression")


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value)


def _array(values: Sequence[Any]) -> str:
    return "[" + ", ".join(_literal(v) for v in values) + "]"


def _test(test: Test) -> str:
    f, op, v = test.feature, test.op, test.operand
    if op == "recorded":
        return f"({f} != null)" if v else f"({f} == null)"
    guard = f"{f} != null and "
    if op == "eq":
        return f"({f} == {_literal(v)})"
    if op == "ne":
        return f"({guard}{f} != {_literal(v)})"
    if op in ("lt", "lte", "gt", "gte"):
        symbol = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[op]
        return f"({guard}{f} {symbol} {_literal(v)})"
    if op == "between":
        low, high = v
        return f"({guard}{f} >= {_literal(low)} and {f} <= {_literal(high)})"
    if op == "in":
        return f"({guard}{f} in {_array(v)})"
    if op == "not_in":
        return f"({guard}not ({f} in {_array(v)}))"
    if op == "contains_any":
        return f"({guard}some({f}, # in {_array(v)}))"
    if op == "contains_all":
        return f"({guard}all({_array(v)}, # in {f}))"
    if op == "contains_none":
        return f"({guard}none({f}, # in {_array(v)}))"
    if op == "contains_other_than":
        return f"({guard}some({f}, not (# in {_array(v)})))"
    raise ValueError(f"no zen form for operator {op}")


class _Translator:
    def __init__(self, concluders: Mapping[str, list[tuple[int, str]]]) -> None:
        self.concluders = concluders

    def expression(self, c: Condition) -> str:
        if isinstance(c, Test):
            return _test(c)
        if isinstance(c, FactTest):
            by_stratum: dict[int, list[str]] = {}
            for level, rule_id in self.concluders.get(c.fact, []):
                by_stratum.setdefault(level, []).append(rule_id)
            tests = [f"some(s{level}, #.rule in {_array(ids)})" for level, ids in sorted(by_stratum.items())]
            return "(" + (" or ".join(tests) if tests else "false") + ")"
        if isinstance(c, Not):
            return f"(not {self.expression(c.item)})"
        joiner = " and " if isinstance(c, AllOf) else " or "
        assert isinstance(c, AllOf | AnyOf)
        return "(" + joiner.join(self.expression(item) for item in c.items) + ")"


def _node(level: int, inputs: list[dict[str, Any]], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One stratum's decision table: collect the ids of the rules whose rows match."""
    return {
        "id": f"stratum{level}",
        "type": "decisionTableNode",
        "name": f"Stratum {level}",
        "position": {"x": 200 * (level + 1), "y": 0},
        "content": {
            "hitPolicy": "collect",
            "passThrough": True,
            "inputField": None,
            "outputPath": f"s{level}",
            "executionMode": "single",
            "inputs": inputs,
            "outputs": [{"id": "rule", "name": "Rule", "field": "rule"}],
            "rules": [{"_id": f"row{i}", **row} for i, row in enumerate(rows)],
        },
    }


def _table(level: int, rules: list[tuple[str, str]]) -> dict[str, Any]:
    inputs = [{"id": "condition", "name": "Condition", "field": ""}]
    return _node(level, inputs, [{"condition": e, "rule": _literal(rule_id)} for rule_id, e in rules])


# --- the decision-table encoding: one column per feature, unary cells ----------------------------

Literal = tuple[str, Any, bool]  # (column, test or fact name, negated)


def _dnf(c: Condition, negated: bool = False) -> list[list[Literal]]:
    """The condition as alternatives of conjunctions of (possibly negated) tests."""
    if isinstance(c, Test):
        return [[(c.feature, c, negated)]]
    if isinstance(c, FactTest):
        return [[(f"fact:{c.fact}", c.fact, negated)]]
    if isinstance(c, Not):
        return _dnf(c.item, not negated)
    assert isinstance(c, AllOf | AnyOf)
    parts = [_dnf(item, negated) for item in c.items]
    if isinstance(c, AllOf) != negated:  # a conjunction (or a negated disjunction)
        return [list(itertools.chain.from_iterable(combo)) for combo in itertools.product(*parts)]
    return [alternative for part in parts for alternative in part]


_FLIP = {"lt": ">=", "lte": ">", "gt": "<=", "gte": "<"}
_SYMBOL = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def _cell(test: Test | str, negated: bool) -> str:
    """One test as a zen unary cell, as a table author writes it (``>= 18``, ``"repeated"``).

    A negated test is true on an unrecorded feature, so its cell starts ``$ == null or``. Zen's
    unary cells take ``and``/``or`` but not parenthesised groups of them, so every cell is one
    test (a row with two tests on one feature gives it two columns).
    """
    if isinstance(test, str):  # a derived fact: the column holds whether it was concluded
        return "false" if negated else "true"
    op, v = test.op, test.operand
    if op == "recorded":
        return "$ != null" if v != negated else "$ == null"
    a = (
        _array(v)
        if op in ("in", "not_in", "contains_any", "contains_all", "contains_none", "contains_other_than")
        else ""
    )
    if not negated:
        positive = {
            "eq": lambda: _literal(v),
            "ne": lambda: f"$ != null and $ != {_literal(v)}",  # zen's null != v is true
            "between": lambda: f"[{_literal(v[0])}..{_literal(v[1])}]",
            "in": lambda: a,
            "not_in": lambda: f"$ != null and not ($ in {a})",
            "contains_any": lambda: f"some($, # in {a})",
            "contains_all": lambda: f"$ != null and all({a}, # in $)",
            "contains_none": lambda: f"none($, # in {a})",
            "contains_other_than": lambda: f"some($, not (# in {a}))",
        }
        if op in _SYMBOL:
            return f"{_SYMBOL[op]} {_literal(v)}"
        return positive[op]()
    negative = {
        "eq": lambda: f"$ != {_literal(v)}",
        "ne": lambda: f"$ == {_literal(v)}",
        "between": lambda: f"$ < {_literal(v[0])} or $ > {_literal(v[1])}",
        "in": lambda: f"not ($ in {a})",
        "not_in": lambda: f"$ in {a}",
        "contains_any": lambda: f"none($, # in {a})",
        "contains_all": lambda: f"some({a}, not (# in $))",
        "contains_none": lambda: f"some($, # in {a})",
        "contains_other_than": lambda: f"all($, # in {a})",
    }
    if op in _FLIP:
        return f"$ == null or $ {_FLIP[op]} {_literal(v)}"
    return f"$ == null or {negative[op]()}"


def _fact_field(fact: str, concluders: Mapping[str, list[tuple[int, str]]]) -> str:
    by_stratum: dict[int, list[str]] = {}
    for level, rule_id in concluders.get(fact, []):
        by_stratum.setdefault(level, []).append(rule_id)
    tests = [f"some(s{level}, #.rule in {_array(ids)})" for level, ids in sorted(by_stratum.items())]
    return " or ".join(tests) if tests else "false"


def _column_table(
    level: int, rules: list[Rule], concluders: Mapping[str, list[tuple[int, str]]]
) -> dict[str, Any]:
    rows: list[tuple[str, dict[tuple[str, int], Literal]]] = []
    columns: dict[tuple[str, int], None] = {}  # (feature or fact, how many tests on it before)
    for rule in rules:
        for alternative in _dnf(rule.when):
            cells: dict[tuple[str, int], Literal] = {}
            seen: dict[str, int] = {}
            for literal in alternative:
                column = (literal[0], seen.get(literal[0], 0))
                seen[literal[0]] = column[1] + 1
                cells[column] = literal
                columns.setdefault(column)
            rows.append((rule.id, cells))
    ids = {column: f"in{i}" for i, column in enumerate(columns)}
    inputs = [
        {
            "id": ids[column],
            "name": name if not slot else f"{name} ({slot + 1})",
            "field": _fact_field(name[5:], concluders) if name.startswith("fact:") else name,
        }
        for column in columns
        for name, slot in [column]
    ]
    table_rows = [
        {
            **{ids[column]: _cell(test, negated) for column, (_, test, negated) in cells.items()},
            "rule": _literal(rule_id),
        }
        for rule_id, cells in rows
    ]
    return _node(level, inputs, table_rows)


def decision_graph(ruleset: ir.RuleSet, encoding: str = "table") -> tuple[dict[str, Any], int]:
    """The JDM graph of a rule set's evaluable rules, and how many stratum tables it has."""
    from intervention_rules._compile import strata_of

    live: list[Rule] = [r for r in ruleset.rules if r.status != "retired"]
    levels = strata_of(live)
    concluders: dict[str, list[tuple[int, str]]] = {}
    for rule in live:
        for action in rule.then:
            if isinstance(action, Conclude):
                concluders.setdefault(action.fact, []).append((levels[rule.id], rule.id))
    translator = _Translator(concluders)
    strata = sorted(set(levels.values())) or [0]
    nodes: list[dict[str, Any]] = [
        {"id": "input", "type": "inputNode", "name": "Assessment", "position": {"x": 0, "y": 0}}
    ]
    for level in strata:
        members = [r for r in live if levels[r.id] == level]
        if encoding == "table":
            nodes.append(_column_table(level, members, concluders))
        else:
            nodes.append(_table(level, [(r.id, translator.expression(r.when)) for r in members]))
    nodes.append(
        {
            "id": "output",
            "type": "outputNode",
            "name": "Decision",
            "position": {"x": 200 * (len(strata) + 1), "y": 0},
        }
    )
    edges = [
        {"id": f"edge{i}", "sourceId": a["id"], "targetId": b["id"], "type": "edge"}
        for i, (a, b) in enumerate(itertools.pairwise(nodes))
    ]
    return {"nodes": nodes, "edges": edges}, len(strata)


class ZenRuleSet:
    """A zen-engine decision built from a loaded rule set; ``fired`` answers in definition order."""

    def __init__(self, ruleset: ir.RuleSet, encoding: str = "table") -> None:
        graph, self.tables = decision_graph(ruleset, encoding)
        self.rows = sum(len(n["content"]["rules"]) for n in graph["nodes"] if "content" in n)
        self.engine = zen.ZenEngine()
        self.decision = self.engine.create_decision(json.dumps(graph))
        self.order = {r.id: r.order for r in ruleset.rules}
        self.keys = [f"s{level}" for level in range(self.tables)]

    def evaluate(self, assessment: Mapping[str, Any]) -> Any:
        return self.decision.evaluate(dict(assessment))

    def fired(self, assessment: Mapping[str, Any]) -> tuple[str, ...]:
        result = self.evaluate(assessment)["result"]
        ids = {hit["rule"] for key in self.keys for hit in result.get(key, [])}  # a rule may have many rows
        return tuple(sorted(ids, key=self.order.__getitem__))

    def serialised(self, assessment: Mapping[str, Any]) -> str:
        """The result as JSON text, as a service would send it."""
        return json.dumps(self.decision.evaluate(dict(assessment)))
