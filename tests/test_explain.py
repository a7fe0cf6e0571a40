"""Why and why not: ``RuleSet.explain`` and the explanations on each recommendation."""

from __future__ import annotations

from pathlib import Path

import pytest

import intervention_rules as ir
from helpers import make_ruleset, recommend, rule


@pytest.fixture
def ruleset(tmp_path: Path) -> ir.RuleSet:
    return make_ruleset(
        tmp_path,
        rule("MINOR", {"age": {"lt": 18}}, {"conclude": "f0"}),
        rule(
            "FAMILY",
            {
                "all": [
                    {"fact": "f0"},
                    {"family.involved": True},
                    {"not": {"family.safeguarding_concern": True}},
                ]
            },
            recommend("family_therapy", 2, "Family involved ({family})."),
        ),
        rule(
            "NO-FAMILY",
            {"family.safeguarding_concern": True},
            {"not_recommend": {"intervention": "family_therapy", "text": "Safeguarding concern."}},
        ),
    )


def test_a_recommendation_names_the_inputs_behind_derived_facts(ruleset: ir.RuleSet) -> None:
    rec = ruleset.evaluate({"age": 15, "family": {"involved": True}}).recommendations[0]
    explanation = rec.explanations[0]
    assert explanation.matched == {"family.involved": True, "age": 15}
    assert explanation.not_recorded == ("family.safeguarding_concern",)
    assert explanation.facts == ("f0",)


def test_why_not_names_each_failed_test_and_what_it_saw(ruleset: ir.RuleSet) -> None:
    result = ruleset.explain({"age": 30}, "family_therapy")
    assert result.outcome == "not_recommended"
    family = result.rules[0]
    assert (family.rule, family.fired, family.actions) == ("FAMILY", False, ("recommend",))
    assert [(f.condition, f.seen) for f in family.failed] == [
        ("f0 (derived)", "not concluded"),
        ("family.involved is yes", "not recorded"),
    ]
    assert family.failed[0].path == "rules[1].when.all[0].fact"


def test_why_not_under_a_negation_names_what_held(ruleset: ir.RuleSet) -> None:
    result = ruleset.explain(
        {"age": 15, "family": {"involved": True, "safeguarding_concern": True}}, "family_therapy"
    )
    assert result.outcome == "ruled_out"
    assert result.summary == "not recommended: Safeguarding concern. (NO-FAMILY)"

    failed = result.rules[0].failed
    assert [(f.condition, f.seen, f.holds) for f in failed] == [
        ("not family.safeguarding_concern is yes", "yes", True)
    ]


def test_why_not_marks_a_draft_veto(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path,
        rule(
            "VETO",
            {"age": {"gte": 0}},
            {"not_recommend": {"intervention": "cbt", "text": "No."}},
            status="draft",
        ),
    )
    assert rs.explain({"age": 30}, "cbt").summary == "not recommended: No. (VETO, draft)"


def test_why_names_rank_and_strength(ruleset: ir.RuleSet) -> None:
    result = ruleset.explain({"age": 15, "family": {"involved": True}}, "family_therapy")
    assert (result.outcome, result.rank, result.strength) == ("recommended", 1, 2.0)
    assert result.rules[0].fired
    assert result.rules[0].failed == ()
    assert "FAMILY (recommend) fired" in result.to_text()
    assert result.to_dict()["rules"][0]["text"] == ["Family involved (involved: yes)."]


def test_unknown_intervention_is_a_clear_error(ruleset: ir.RuleSet) -> None:
    with pytest.raises(
        ValueError, match="unknown intervention 'family_therapi'; did you mean 'family_therapy'"
    ):
        ruleset.explain({"age": 15}, "family_therapi")


def test_an_intervention_no_rule_mentions(ruleset: ir.RuleSet) -> None:
    result = ruleset.explain({"age": 15}, "cbt")
    assert result.rules == ()
    assert "no rule in this rule set concerns it" in result.to_text()
