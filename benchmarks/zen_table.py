"""A loaded rule set expressed as a GoRules zen-engine decision graph, for side-by-side timing.

Each stratum of rules (see the compiler: a rule that tests a derived fact runs after the rules
that conclude it) becomes one decision table with the *collect* hit policy. Every row holds the
rule's whole condition as one zen expression in a single input column and outputs the rule id;
the tables pass their input through, and each writes its hits under its own key (``s0``,
``s1``, ...), so a later table tests a derived fact by asking whether any rule that concludes it
was collected. Unrecorded features are ``null`` in zen; every test is guarded so that, as in the
rule language, a test on an unrecorded feature is false (and its negation true).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import zen

import intervention_rules as ir
from intervention_rules.model import AllOf, AnyOf, Conclude, Condition, FactTest, Not, Rule, Test

__all__ = ["ZenRuleSet"]


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


def _table(level: int, rules: list[tuple[str, str]]) -> dict[str, Any]:
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
            "inputs": [{"id": "condition", "name": "Condition", "field": ""}],
            "outputs": [{"id": "rule", "name": "Rule", "field": "rule"}],
            "rules": [
                {"_id": f"row{i}", "condition": expression, "rule": _literal(rule_id)}
                for i, (rule_id, expression) in enumerate(rules)
            ],
        },
    }


def decision_graph(ruleset: ir.RuleSet) -> tuple[dict[str, Any], int]:
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
        rows = [(r.id, translator.expression(r.when)) for r in live if levels[r.id] == level]
        nodes.append(_table(level, rows))
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

    def __init__(self, ruleset: ir.RuleSet) -> None:
        graph, self.tables = decision_graph(ruleset)
        self.engine = zen.ZenEngine()
        self.decision = self.engine.create_decision(json.dumps(graph))
        self.order = {r.id: r.order for r in ruleset.rules}
        self.keys = [f"s{level}" for level in range(self.tables)]

    def evaluate(self, assessment: Mapping[str, Any]) -> Any:
        return self.decision.evaluate(dict(assessment))

    def fired(self, assessment: Mapping[str, Any]) -> tuple[str, ...]:
        result = self.evaluate(assessment)["result"]
        ids = [hit["rule"] for key in self.keys for hit in result.get(key, [])]
        return tuple(sorted(ids, key=self.order.__getitem__))
