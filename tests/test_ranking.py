"""Aggregation, not-recommend, tie-break and ranking constraints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import intervention_rules as ir
from helpers import make_ruleset, recommend, rule

ADULT = {"age": {"gte": 18}}


def ranked(decision: ir.Decision) -> list[tuple[str, float]]:
    return [(r.intervention, r.strength) for r in decision.recommendations]


def test_strengths_sum_and_ties_follow_catalogue_order(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path,
        rule("A", ADULT, recommend("dbt", 2), recommend("cbt", 1)),
        rule("B", ADULT, recommend("cbt", 1), recommend("safety_plan", 2)),
    )
    # cbt 1+1=2 ties with dbt 2 and safety_plan 2: catalogue order is safety_plan, cbt, dbt
    assert ranked(rs.evaluate({"age": 30})) == [("safety_plan", 2.0), ("cbt", 2.0), ("dbt", 2.0)]


def test_max_aggregation_takes_the_largest(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path,
        rule("A", ADULT, recommend("cbt", 1)),
        rule("B", ADULT, recommend("cbt", 3)),
        aggregate="max",
    )
    assert ranked(rs.evaluate({"age": 30})) == [("cbt", 3.0)]


def test_not_recommend_wins_and_drops_cautions(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path,
        rule(
            "REC",
            ADULT,
            recommend("snri", 3),
            {"caution": {"intervention": "snri", "severity": "warning", "text": "c"}},
        ),
        rule(
            "NO",
            {"age": {"lt": 25}},
            {"not_recommend": {"intervention": "snri", "text": "Not under 25 (age {age})."}},
        ),
    )
    decision = rs.evaluate({"age": 19})
    assert decision.recommendations == ()
    assert [n.to_dict() for n in decision.not_recommended] == [
        {
            "intervention": "snri",
            "title": "SNRI",
            "rule": "NO",
            "text": "Not under 25 (age 19).",
            "status": "active",
        }
    ]
    assert ranked(rs.evaluate({"age": 30})) == [("snri", 3.0)]


def test_adjustments_change_strength_but_never_recommend(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path,
        rule("REC", {"age": {"lt": 18}}, recommend("family_therapy", 3)),
        rule("LOWER", ADULT, {"adjust": {"intervention": "family_therapy", "by": -1, "text": "Lowered."}}),
        rule(
            "LOWER-MORE",
            {"age": {"lt": 18}},
            {"adjust": {"intervention": "family_therapy", "by": -5, "text": "x"}},
        ),
    )
    assert ranked(rs.evaluate({"age": 30})) == []
    rec = rs.evaluate({"age": 15}).recommendations[0]
    assert rec.strength == 0.0  # never below zero
    assert [(e.rule, e.kind, e.contribution) for e in rec.explanations] == [
        ("REC", "recommend", 3.0),
        ("LOWER-MORE", "adjust", -5.0),
    ]


def zero_strength_rules() -> tuple[dict[str, Any], ...]:
    lower = {"adjust": {"intervention": "mindfulness", "by": -2, "text": "Little support here."}}
    return (
        rule("REC", ADULT, recommend("mindfulness", 2, "Suggested."), recommend("cbt", 1)),
        rule(
            "LOWER",
            ADULT,
            lower,
            {"caution": {"intervention": "mindfulness", "severity": "info", "text": "Careful."}},
        ),
        rule("MED", ADULT, recommend("ssri", 1)),
        rule("VETO", {"age": {"gte": 60}}, {"not_recommend": {"intervention": "mindfulness", "text": "No."}}),
    )


def test_strength_zero_is_ranked_last_unless_the_rule_set_says_otherwise(tmp_path: Path) -> None:
    rs = make_ruleset(tmp_path, *zero_strength_rules())
    assert rs.zero_strength == "ranked"
    decision = rs.evaluate({"age": 30})
    assert ranked(decision) == [("cbt", 1.0), ("ssri", 1.0), ("mindfulness", 0.0)]
    assert decision.considered == ()
    assert rs.explain({"age": 30}, "mindfulness").outcome == "recommended"


def test_strength_zero_can_be_declared_considered_not_suggested(tmp_path: Path) -> None:
    rs = make_ruleset(tmp_path, *zero_strength_rules(), zero_strength="considered")
    assert rs.zero_strength == "considered"
    decision = rs.evaluate({"age": 30})
    assert ranked(decision) == [("cbt", 1.0), ("ssri", 1.0)]
    assert decision.recommendation("mindfulness") is None
    (weighed,) = decision.considered
    out = decision.to_dict()["considered"]
    assert out == [weighed.to_dict()]
    assert {k: out[0][k] for k in ("intervention", "title", "category", "strength")} == {
        "intervention": "mindfulness",
        "title": "Mindfulness",
        "category": "therapeutic",
        "strength": 0.0,
    }
    assert [(e["rule"], e["kind"], e["contribution"]) for e in out[0]["explanations"]] == [
        ("REC", "recommend", 2.0),
        ("LOWER", "adjust", -2.0),
    ]
    assert [c["text"] for c in out[0]["cautions"]] == ["Careful."]
    assert "collaboration" not in out[0]
    why = rs.explain({"age": 30}, "mindfulness")
    assert (why.outcome, why.rank, why.strength) == ("considered", None, 0.0)
    assert (
        why.summary
        == "considered, not suggested: strength 0 after Suggested. (REC); Little support here. (LOWER)"
    )
    text = decision.to_text()
    assert "CONSIDERED, NOT SUGGESTED" in text
    assert "  - Mindfulness [mindfulness, therapeutic] strength 0" in text
    assert "    why: Little support here. (LOWER)" in text
    # a veto still wins: a ruled-out intervention is never shown as considered
    old = rs.evaluate({"age": 70})
    assert old.considered == ()
    assert [n.intervention for n in old.not_recommended] == ["mindfulness"]


def test_medicine_is_capped_below_the_best_psychological_intervention(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path,
        rule("MED", ADULT, recommend("ssri", 5), recommend("cbt", 2)),
        rule("PLAN", ADULT, recommend("safety_plan", 9)),
    )
    decision = rs.evaluate({"age": 30})
    assert ranked(decision) == [("safety_plan", 9.0), ("cbt", 2.0), ("ssri", 2.0)]
    ssri = decision.recommendation("ssri")
    assert ssri is not None
    note = ssri.explanations[-1]
    assert (note.rule, note.kind) == ("MEDICINE-BELOW-PSYCHOLOGICAL", "constraint")
    assert "Placed below CBT; strength capped from 5 to 2." in note.text


def test_constraint_without_a_psychological_option_has_no_effect(tmp_path: Path) -> None:
    rs = make_ruleset(tmp_path, rule("MED", ADULT, recommend("ssri", 5)))
    assert ranked(rs.evaluate({"age": 30})) == [("ssri", 5.0)]


def test_equal_strength_medicine_yields_to_psychological(tmp_path: Path) -> None:
    rs = make_ruleset(tmp_path, rule("MED", ADULT, recommend("ssri", 2), recommend("group_therapy", 2)))
    assert ranked(rs.evaluate({"age": 30})) == [("group_therapy", 2.0), ("ssri", 2.0)]


def test_without_constraints_medicine_can_rank_first(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path, rule("MED", ADULT, recommend("ssri", 5), recommend("cbt", 2)), constraints=False
    )
    assert ranked(rs.evaluate({"age": 30})) == [("ssri", 5.0), ("cbt", 2.0)]


def test_collaboration_defaults_first_then_rules_without_duplicates(tmp_path: Path) -> None:
    prompt = {
        "collaborate": {"intervention": "ssri", "role": "pharmacist", "prompt": "Review {medications}."}
    }
    rs = make_ruleset(
        tmp_path,
        rule("MED", ADULT, recommend("ssri", 1), recommend("cbt", 2), prompt),
        rule("MED-AGAIN", ADULT, prompt),
    )
    ssri = rs.evaluate({"age": 30, "medications": ["lithium"]}).recommendation("ssri")
    assert ssri is not None
    assert [c.to_dict() for c in ssri.collaboration] == [
        {"role": "psychiatrist", "prompt": "Prescriber-led.", "rule": None, "status": None},
        {"role": "pharmacist", "prompt": "Review lithium.", "rule": "MED", "status": "active"},
    ]


def test_alerts_and_cautions_are_ordered_by_severity(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path,
        rule(
            "I",
            ADULT,
            {"alert": {"severity": "info", "text": "i"}},
            recommend("cbt", 1),
            {"caution": {"intervention": "cbt", "severity": "info", "text": "ci"}},
        ),
        rule(
            "C",
            ADULT,
            {"alert": {"severity": "critical", "text": "c"}},
            {"caution": {"intervention": "cbt", "severity": "critical", "text": "cc"}},
        ),
    )
    decision = rs.evaluate({"age": 30})
    assert [a.severity for a in decision.alerts] == ["critical", "info"]
    assert [c.text for c in decision.recommendations[0].cautions] == ["cc", "ci"]


def test_retired_rules_never_fire_and_drafts_are_marked(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path,
        rule("OLD", ADULT, recommend("cbt", 1), status="retired"),
        rule("NEW", ADULT, recommend("dbt", 1), status="draft"),
    )
    decision = rs.evaluate({"age": 30})
    assert decision.fired == ("NEW",)
    assert decision.recommendations[0].explanations[0].status == "draft"


def test_decision_json_shape(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path,
        rule(
            "DBT",
            {"reasons": {"contains_any": ["emotional_regulation"]}},
            recommend("dbt", 3, "Used to regulate emotions ({reasons}), at {age}; pattern {pattern}."),
        ),
    )
    out = rs.evaluate({"age": 15, "reasons": ["emotional_regulation"]}).to_dict()
    assert list(out) == ["ruleset", "recommendations", "not_recommended", "considered", "alerts", "trace"]
    assert out["ruleset"] == {"name": "generated", "version": "1", "digest": rs.digest}
    rec = out["recommendations"][0]
    assert {k: rec[k] for k in ("intervention", "title", "category", "rank", "strength")} == {
        "intervention": "dbt",
        "title": "DBT",
        "category": "therapeutic",
        "rank": 1,
        "strength": 3.0,
    }
    explanation = rec["explanations"][0]
    assert explanation["rule"] == "DBT"
    assert (
        explanation["text"]
        == "Used to regulate emotions (emotional regulation), at 15; pattern not recorded."
    )
    assert explanation["matched"] == {"reasons": ["emotional_regulation"]}
    assert explanation["evidence"] == [{"source": "Source of DBT", "grade": "moderate", "confidence": "high"}]
    assert explanation["source"]["path"] == "rules[0]"
    assert out["trace"] == {"fired": ["DBT"]}


def test_contains_other_than_flags_values_outside_a_list(tmp_path: Path) -> None:
    """An alert for medicines the rule set does not recognise; unrecorded or empty lists hold none."""
    rs = make_ruleset(
        tmp_path,
        rule(
            "UNKNOWN-MEDICINE",
            {"medications": {"contains_other_than": ["lithium", "sertraline"]}},
            {"alert": {"severity": "warning", "text": "Not checked: {medications}."}},
        ),
    )
    assert rs.evaluate({"age": 30}).fired == ()
    assert rs.evaluate({"age": 30, "medications": []}).fired == ()
    assert rs.evaluate({"age": 30, "medications": ["lithium", "sertraline"]}).fired == ()
    decision = rs.evaluate({"age": 30, "medications": ["lithium", "lithum"]})
    assert [a.text for a in decision.alerts] == ["Not checked: lithium, lithum."]


def chained(tmp_path: Path, constraints: list[dict[str, object]]) -> ir.RuleSet:
    import copy

    import yaml

    from strategies import BASE

    document = copy.deepcopy(BASE)
    document["ruleset"]["ranking"]["constraints"] = constraints
    document["rules"] = [
        rule("R", ADULT, recommend("cbt", 3), recommend("dbt", 2), recommend("mindfulness", 1))
    ]
    path = tmp_path / "ruleset.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return ir.load_ruleset(path)


def never_above(cid: str, lower: str, upper: str) -> dict[str, object]:
    return {
        "id": cid,
        "never_above": {"lower": {"interventions": [lower]}, "upper": {"interventions": [upper]}},
        "text": f"{lower} never above {upper}.",
    }


def test_chained_constraints_all_hold_and_explain_once(tmp_path: Path) -> None:
    """cbt below dbt, dbt below mindfulness: both hold at once, each change explained once."""
    rs = chained(tmp_path, [never_above("C0", "cbt", "dbt"), never_above("C1", "dbt", "mindfulness")])
    decision = rs.evaluate({"age": 30})
    assert ranked(decision) == [("mindfulness", 1.0), ("dbt", 1.0), ("cbt", 1.0)]
    notes = {
        r.intervention: [e.rule for e in r.explanations if e.kind == "constraint"]
        for r in decision.recommendations
    }
    assert notes == {"mindfulness": [], "dbt": ["C1"], "cbt": ["C0"]}


def test_contradictory_constraints_are_a_load_error(tmp_path: Path) -> None:
    import pytest

    with pytest.raises(
        ir.RuleSetError, match="ranking constraints contradict each other: cbt above dbt above cbt"
    ):
        chained(tmp_path, [never_above("C0", "cbt", "dbt"), never_above("C1", "dbt", "cbt")])
    with pytest.raises(ir.RuleSetError, match="constraint C0 selects cbt on both sides"):
        chained(tmp_path, [never_above("C0", "cbt", "cbt")])
