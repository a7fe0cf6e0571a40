"""Invalid assessments are refused with every problem named; valid ones are normalised."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import intervention_rules as ir
from helpers import make_ruleset, recommend, rule


@pytest.fixture(scope="module")
def ruleset(tmp_path_factory: pytest.TempPathFactory) -> ir.RuleSet:
    return make_ruleset(tmp_path_factory.mktemp("rs"), rule("ANY", {"age": {"gte": 0}}, recommend("cbt", 1)))


def problems(ruleset: ir.RuleSet, assessment: Any) -> list[str]:
    with pytest.raises(ir.AssessmentError) as caught:
        ruleset.evaluate(assessment)
    assert isinstance(caught.value, ir.InterventionRulesError)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("assessment", "expected"),
    [
        ({"age": "15"}, ["age: expected an integer, got a string"]),
        ({"age": True}, ["age: expected an integer, got a boolean"]),
        ({"age": 15.0}, ["age: expected an integer, got 15.0"]),
        ({"age": 121}, ["age: 121 is out of range (0 to 120)"]),
        ({"age": -1}, ["age: -1 is out of range (0 to 120)"]),
        ({}, ["age: required but not recorded"]),
        ({"age": 15, "reason": ["coping"]}, ["reason: unknown feature; did you mean 'reasons'?"]),
        (
            {"age": 15, "reasons": ["copin"]},
            [
                "reasons[0]: unknown value 'copin'; expected one of: emotional_regulation, coping, "
                "communication, self_punishment, sense_of_control; did you mean 'coping'?"
            ],
        ),
        ({"age": 15, "reasons": "coping"}, ["reasons: expected a list of strings, got a string"]),
        ({"age": 15, "reasons": ["coping", "coping"]}, ["reasons: listed more than once: coping"]),
        (
            {"age": 15, "family": {"involvd": True}},
            ["family.involvd: unknown field; did you mean 'involved'?"],
        ),
        (
            {"age": 15, "family": {"involved": "yes"}},
            ["family.involved: expected true or false, got a string"],
        ),
        ({"age": 15, "family": True}, ["family: expected an object, got a boolean"]),
        (
            {"age": 15, "medications": ["Lithium"]},
            ["medications[0]: 'Lithium' does not match the expected form ^[a-z][a-z0-9 -]*$"],
        ),
        ({"age": 15, "score": float("nan")}, ["score: expected a finite number"]),
        ({"age": 15, "pattern": None}, ["pattern: expected a string, got null"]),
        ([], ["an assessment is a JSON object, got a list"]),
    ],
)
def test_invalid_assessments_name_each_field(
    ruleset: ir.RuleSet, assessment: Any, expected: list[str]
) -> None:
    assert problems(ruleset, assessment) == expected


def test_every_problem_is_reported_at_once(ruleset: ir.RuleSet) -> None:
    found = problems(ruleset, {"age": "15", "reasons": ["x"], "colour": "red", "family": {"involved": 1}})
    assert [p.split(":")[0] for p in found] == ["age", "colour", "family.involved", "reasons[0]"]


def test_normal_form_is_canonical(ruleset: ir.RuleSet) -> None:
    """Lists sorted in vocabulary order, open lists alphabetically, object fields flattened,
    number features as floats; absent features stay absent (not recorded)."""
    values = ruleset.normalise(
        {
            "reasons": ["coping", "emotional_regulation"],
            "medications": ["sertraline", "lithium"],
            "family": {"involved": False},
            "score": 2,
            "age": 15,
        }
    )
    assert values == {
        "age": 15,
        "reasons": ("emotional_regulation", "coping"),
        "medications": ("lithium", "sertraline"),
        "family.involved": False,
        "score": 2.0,
    }
    assert isinstance(values["score"], float)


def test_empty_list_is_recorded_and_differs_from_absent(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path,
        rule("NONE-RECORDED", {"conditions": {"recorded": False}}, recommend("cbt", 1)),
        rule("NO-DEPRESSION", {"conditions": {"contains_none": ["depression"]}}, recommend("dbt", 1)),
    )
    assert rs.evaluate({"age": 30}).fired == ("NONE-RECORDED",)
    assert rs.evaluate({"age": 30, "conditions": []}).fired == ("NO-DEPRESSION",)


@pytest.mark.parametrize(
    ("assessment", "expected"),
    [
        ({"age": 10**400}, "age: 10000000000000000000...(401 characters) is out of range (0 to 120)"),
        (
            {"age": 30, "score": 10**400},
            "score: 10000000000000000000...(401 characters) is out of range (-5 to 5)",
        ),
        ({"age": 30, "medications": ["x"] * 3 + ["y"]}, "medications: listed more than once: x"),
    ],
)
def test_extreme_values_are_refused_cleanly(ruleset: ir.RuleSet, assessment: Any, expected: str) -> None:
    assert problems(ruleset, assessment) == [expected]


def test_a_required_field_is_required_even_when_its_object_is_absent(tmp_path: Path) -> None:
    import copy

    import yaml

    from strategies import BASE

    document = copy.deepcopy(BASE)
    document["features"]["family"]["fields"]["safeguarding_concern"]["required"] = True
    document["rules"] = []
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(document))
    rs = ir.load_ruleset(tmp_path)
    for case in ({"age": 30}, {"age": 30, "family": {}}):
        assert problems(rs, case) == ["family.safeguarding_concern: required but not recorded"]
    assert rs.evaluate({"age": 30, "family": {"safeguarding_concern": False}}).fired == ()
