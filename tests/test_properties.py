"""Properties over generated rule sets and generated assessments."""

from __future__ import annotations

import itertools
import json
import random
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import intervention_rules as ir
from intervention_rules.conditions import matched_values
from strategies import DrawSource, assessment, ruleset_document, write_ruleset


def load_generated(document: dict[str, Any]) -> ir.RuleSet:
    """Load a generated rule set; one whose every rule came out retired gets its first rule back as
    a draft, since a rule set in which nothing can fire is refused (IR237)."""
    if all(r["status"] == "retired" for r in document["rules"]):
        document["rules"][0]["status"] = "draft"
    with tempfile.TemporaryDirectory() as directory:
        return ir.load_ruleset(write_ruleset(Path(directory), document))


def shuffled(value: Any, rng: random.Random) -> Any:
    """The same assessment with every object's keys in another order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: shuffled(v, rng) for k, v in items}
    return value


@given(st.data())
def test_engine_and_reference_evaluator_fire_the_same_rules(data: st.DataObject) -> None:
    """The durable_rules path and the plain-Python evaluator agree on every rule, facts included."""
    src = DrawSource(data.draw)
    ruleset = load_generated(ruleset_document(src, src.integer(1, 25), depth=3))
    for _ in range(5):
        values = ruleset.normalise(assessment(src))
        engine_fired, engine_facts = ruleset._fire_engine(values)
        reference_fired, reference_facts = ruleset._fire_reference(values)
        assert [r.id for r in engine_fired] == [r.id for r in reference_fired]
        assert engine_facts == reference_facts


def _matched(
    ruleset: ir.RuleSet,
    rule: ir.Rule,
    values: dict[str, Any],
    fired: list[ir.Rule],
    facts: set[str],
    holds: bool,
) -> set[tuple[str, Any]]:
    """``matched_values`` of a fired rule, following its facts to the fired rules concluding them."""

    def through(fact: str) -> set[tuple[str, Any]]:
        out: set[tuple[str, Any]] = set()
        for producer in fired:
            if fact in ruleset._plan.concludes[producer.id]:
                out |= _matched(ruleset, producer, values, fired, facts, holds)
        return out

    return matched_values(rule.when, values, facts, through, holds=holds)


@given(st.data())
def test_matched_values_of_a_fired_rule_need_no_second_test(data: st.DataObject) -> None:
    """What ``{matched.X}`` shows for a fired rule is the same whether its condition is tested
    again part by part or taken to hold (as evaluation does, since the rule fired)."""
    src = DrawSource(data.draw)
    ruleset = load_generated(ruleset_document(src, src.integer(1, 25), depth=3))
    for _ in range(5):
        values = ruleset.normalise(assessment(src))
        fired, facts = ruleset._fire_engine(values)
        for rule in fired:
            taken = _matched(ruleset, rule, values, fired, facts, holds=True)
            assert taken == _matched(ruleset, rule, values, fired, facts, holds=False), rule.id


@given(st.data())
def test_decisions_are_explained_ranked_and_independent_of_key_order(data: st.DataObject) -> None:
    """Evaluation never raises on a valid assessment; ranks run 1..n, strength never rises down
    the list, every recommendation is explained, and the JSON does not depend on key order."""
    src = DrawSource(data.draw)
    ruleset = load_generated(ruleset_document(src, src.integer(1, 20)))
    case = assessment(src)
    decision = ruleset.evaluate(case)
    recs = decision.recommendations
    assert [r.rank for r in recs] == list(range(1, len(recs) + 1))
    assert all(a.strength >= b.strength for a, b in itertools.pairwise(recs))
    for rec in recs:
        assert rec.explanations, rec.intervention
        assert any(e.kind == "recommend" for e in rec.explanations)
        for e in rec.explanations:
            assert e.rule
    not_recommended = {n.intervention for n in decision.not_recommended}
    assert not not_recommended & {r.intervention for r in recs}
    text = json.dumps(decision.to_dict())
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    assert json.dumps(ruleset.evaluate(shuffled(case, rng)).to_dict()) == text
    for key in ("reasons", "conditions", "medications"):
        if key in case:
            case[key] = list(reversed(case[key]))
    assert json.dumps(ruleset.evaluate(case).to_dict()) == text


@given(st.data())
def test_medicine_never_ranks_above_best_psychological(data: st.DataObject) -> None:
    """The declared ranking constraint holds on every decision."""
    src = DrawSource(data.draw)
    ruleset = load_generated(ruleset_document(src, src.integer(1, 20)))
    recs = ruleset.evaluate(assessment(src)).recommendations
    psychological = [r.rank for r in recs if r.category in ("therapeutic", "supportive")]
    if psychological:
        assert all(r.rank > min(psychological) for r in recs if r.category == "pharmacological")


@given(st.data())
def test_any_consistent_set_of_ranking_constraints_holds(data: st.DataObject) -> None:
    """Constraints drawn from one hidden order can always hold together; after ranking, every
    'lower' intervention ranks below the best 'upper' one, and strength never rises down the list."""
    from strategies import INTERVENTIONS

    src = DrawSource(data.draw)
    hidden = data.draw(st.permutations(INTERVENTIONS))
    pairs = data.draw(
        st.lists(st.tuples(st.integers(0, 13), st.integers(0, 13)).filter(lambda p: p[0] != p[1]), max_size=8)
    )
    constraints = [
        {
            "id": f"C-{n}",
            "never_above": {
                "lower": {"interventions": [hidden[max(a, b)]]},
                "upper": {"interventions": [hidden[min(a, b)]]},
            },
            "text": "Constraint.",
        }
        for n, (a, b) in enumerate(pairs)
    ]
    document = ruleset_document(src, src.integer(3, 15))
    document["ruleset"]["ranking"]["constraints"] = constraints
    ruleset = load_generated(document)
    recs = ruleset.evaluate(assessment(src)).recommendations
    rank = {r.intervention: r.rank for r in recs}
    assert all(a.strength >= b.strength for a, b in itertools.pairwise(recs))
    for a, b in pairs:
        upper, lower = hidden[min(a, b)], hidden[max(a, b)]
        if upper in rank and lower in rank:
            assert rank[upper] < rank[lower], (upper, lower)
