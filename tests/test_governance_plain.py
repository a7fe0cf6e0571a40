"""Rules in plain language."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import make_ruleset, recommend, rule
from intervention_rules.governance._plain import condition_text, rule_sentence


def test_the_issue_example_reads_as_a_sentence(tmp_path: Path) -> None:
    ruleset = make_ruleset(
        tmp_path,
        rule("UNDER-18", {"age": {"lt": 18}}, {"conclude": "f0"}),
        rule(
            "FAMILY",
            {"all": [{"fact": "f0"}, {"family.involved": True}]},
            recommend("family_therapy", 2, "Family are involved."),
        ),
    )
    assert rule_sentence(ruleset.rule("FAMILY"), ruleset) == (
        "When fact 0 and family involved is yes: "
        "recommend Family therapy, strength 2, because “Family are involved.”."
    )
    assert rule_sentence(ruleset.rule("UNDER-18"), ruleset) == "When age is under 18: conclude that fact 0."


@pytest.mark.parametrize(
    ("when", "text"),
    [
        ({"age": {"gte": 18}}, "age is 18 or more"),
        ({"age": {"between": [12, 17]}}, "age is between 12 and 17"),
        ({"pattern": {"in": ["repeated", "frequent"]}}, "pattern is repeated or frequent"),
        ({"pattern": {"ne": "frequent"}}, "pattern is recorded and is not frequent"),
        (
            {"reasons": {"contains_all": ["coping", "communication"]}},
            "reasons include coping and communication",
        ),
        ({"reasons": {"contains_none": ["coping"]}}, "reasons are recorded and include none of coping"),
        ({"medications": {"recorded": False}}, "medications is not recorded"),
        ({"not": {"family.involved": True}}, "it is not so that family involved is yes"),
        (
            {"all": [{"age": {"lt": 18}}, {"any": [{"pattern": "frequent"}, {"score": {"gt": 0.5}}]}]},
            "age is under 18 and (either pattern is frequent or score is over 0.5)",
        ),
    ],
)
def test_conditions_in_words(tmp_path: Path, when: dict[str, object], text: str) -> None:
    ruleset = make_ruleset(tmp_path, rule("R", when, recommend("dbt", 1)))
    assert condition_text(ruleset.rule("R").when, ruleset) == text


def test_every_action_kind_in_words(tmp_path: Path) -> None:
    ruleset = make_ruleset(
        tmp_path,
        rule(
            "ALL",
            {"age": {"gte": 18}},
            recommend("dbt", 1.5, "Why {age}."),
            {"adjust": {"intervention": "dbt", "by": -0.5, "text": "Less."}},
            {"not_recommend": {"intervention": "ssri", "text": "No."}},
            {"caution": {"intervention": "dbt", "severity": "warning", "text": "Careful."}},
            {"collaborate": {"intervention": "dbt", "role": "social_worker", "prompt": "Ask."}},
            {"alert": {"severity": "critical", "text": "Now."}},
        ),
    )
    assert rule_sentence(ruleset.rule("ALL"), ruleset) == (
        "When age is 18 or more: recommend DBT, strength 1.5, because “Why {age}.”; "
        "lower the strength of DBT by 0.5 (if recommended), because “Less.”; "
        "do not recommend SSRI, because “No.”; "
        "caution (warning) on DBT: “Careful.”; "
        "with DBT, involve the social worker: “Ask.”; alert (critical): “Now.”."
    )


def test_a_value_outside_a_set_in_words(tmp_path: Path) -> None:
    ruleset = make_ruleset(
        tmp_path,
        rule("R", {"medications": {"contains_other_than": ["lithium", "valproate"]}}, recommend("dbt", 1)),
    )
    assert (
        condition_text(ruleset.rule("R").when, ruleset)
        == "medications include something other than lithium or valproate"
    )


def test_every_operator_has_its_own_wording() -> None:
    """A new operator needs words here; until then the rule book falls back to the explanations' form."""
    from intervention_rules.conditions import OPERATORS
    from intervention_rules.governance._plain import WORDED

    assert set(OPERATORS) == WORDED
