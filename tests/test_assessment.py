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
    return [without_code(p) for p in caught.value.problems]


def without_code(problem: ir.AssessmentProblem) -> str:
    """The problem as text, its code checked and left off (the codes have a test of their own)."""
    assert problem.code.startswith("IR3")
    assert str(problem).endswith(f" [{problem.code}]")
    return str(problem).removesuffix(f" [{problem.code}]")


def problems_with_values(ruleset: ir.RuleSet, assessment: Any) -> list[str]:
    with pytest.raises(ir.AssessmentError) as caught:
        ruleset.evaluate(assessment)
    return [without_code(p) for p in caught.value.values(assessment)]


VOCABULARY = "emotional_regulation, coping, communication, self_punishment, sense_of_control"


@pytest.mark.parametrize(
    ("assessment", "expected", "with_values"),
    [
        ({"age": "15"}, "age: expected an integer, got a string", None),
        ({"age": True}, "age: expected an integer, got a boolean", None),
        (
            {"age": 15.0},
            "age: expected an integer, got a number with a fraction or decimal point",
            "age: expected an integer, got 15.0",
        ),
        ({"age": 121}, "age: out of range (0 to 120)", "age: 121 is out of range (0 to 120)"),
        ({"age": -1}, "age: out of range (0 to 120)", "age: -1 is out of range (0 to 120)"),
        ({}, "age: required but not recorded", None),
        ({"age": 15, "reason": ["coping"]}, "reason: unknown feature; did you mean 'reasons'?", None),
        (
            {"age": 15, "reasons": ["copin"]},
            f"reasons[0]: unknown value; expected one of: {VOCABULARY}; did you mean 'coping'?",
            f"reasons[0]: unknown value 'copin'; expected one of: {VOCABULARY}; did you mean 'coping'?",
        ),
        ({"age": 15, "reasons": "coping"}, "reasons: expected a list of strings, got a string", None),
        (
            {"age": 15, "reasons": ["coping", "coping"]},
            "reasons: an item is listed more than once",
            "reasons: listed more than once: 'coping'",
        ),
        (
            {"age": 15, "family": {"involvd": True}},
            "family.involvd: unknown field; did you mean 'involved'?",
            None,
        ),
        (
            {"age": 15, "family": {"involved": "yes"}},
            "family.involved: expected true or false, got a string",
            None,
        ),
        ({"age": 15, "family": True}, "family: expected an object, got a boolean", None),
        (
            {"age": 15, "medications": ["Lithium"]},
            "medications[0]: does not match the expected form ^[a-z][a-z0-9 -]*$",
            "medications[0]: 'Lithium' does not match the expected form ^[a-z][a-z0-9 -]*$",
        ),
        ({"age": 15, "score": float("nan")}, "score: expected a finite number", None),
        ({"age": 15, "pattern": None}, "pattern: expected a string, got null", None),
        ([], "an assessment is a JSON object, got a list", None),
        (
            {"age": 15, "a note: she said": 1},
            "<key>: unknown feature",
            "'a note: she said': unknown feature",
        ),
        (
            {"age": 15, "pattern": "first_episode\ud800"},
            "pattern: text that is not valid Unicode (a lone surrogate, such as \\ud800)",
            None,
        ),
    ],
)
def test_invalid_assessments_name_each_field(
    ruleset: ir.RuleSet, assessment: Any, expected: str, with_values: str | None
) -> None:
    """By default a problem names the field and the kind of problem, never the value; the values
    are there when asked for (the same message where the value adds nothing)."""
    assert problems(ruleset, assessment) == [expected]
    assert problems_with_values(ruleset, assessment) == [with_values or expected]


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
    ("assessment", "expected", "with_values"),
    [
        (
            {"age": 10**400},
            "age: out of range (0 to 120)",
            "age: a 1329-bit integer is out of range (0 to 120)",
        ),
        (
            {"age": 30, "score": 10**400},
            "score: out of range (-5 to 5)",
            "score: a 1329-bit integer is out of range (-5 to 5)",
        ),
        (
            {"age": 30, "medications": ["x"] * 3 + ["y"]},
            "medications: an item is listed more than once",
            "medications: listed more than once: 'x'",
        ),
    ],
)
def test_extreme_values_are_refused_cleanly(
    ruleset: ir.RuleSet, assessment: Any, expected: str, with_values: str
) -> None:
    """Even when values are asked for, a huge one is quoted shortened."""
    assert problems(ruleset, assessment) == [expected]
    assert problems_with_values(ruleset, assessment) == [with_values]


def test_a_required_field_is_required_even_when_its_object_is_absent(tmp_path: Path) -> None:
    import copy

    import yaml

    from strategies import BASE

    document = copy.deepcopy(BASE)
    document["features"]["family"]["fields"]["safeguarding_concern"]["required"] = True
    document["rules"] = [rule("FREQUENT", {"pattern": {"eq": "frequent"}}, recommend("dbt", 1))]
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(document))
    rs = ir.load_ruleset(tmp_path)
    for case in ({"age": 30}, {"age": 30, "family": {}}):
        assert problems(rs, case) == ["family.safeguarding_concern: required but not recorded"]
    assert rs.evaluate({"age": 30, "family": {"safeguarding_concern": False}}).fired == ()


@pytest.mark.parametrize(
    ("assessment", "code", "parts"),
    [
        ([], "IR301", ()),
        ({"age": 15, "reason": []}, "IR302", ("reason",)),
        ({"age": 15, "a note": 1}, "IR302", ("<key>",)),
        ({"age": 15, "family": {"involvd": True}}, "IR303", ("family", "involvd")),
        ({"age": "15"}, "IR304", ("age",)),
        ({"age": 15, "reasons": [3]}, "IR304", ("reasons", 0)),
        ({"age": 121}, "IR305", ("age",)),
        ({"age": 15, "score": float("inf")}, "IR306", ("score",)),
        ({"age": 15, "reasons": ["copin"]}, "IR307", ("reasons", 0)),
        ({"age": 15, "medications": ["Lithium"]}, "IR308", ("medications", 0)),
        ({"age": 15, "reasons": ["coping", "coping"]}, "IR309", ("reasons",)),
        ({}, "IR310", ("age",)),
        ({"age": 15, "pattern": "\ud800"}, "IR312", ("pattern",)),
    ],
)
def test_every_assessment_problem_has_its_code_and_place(
    ruleset: ir.RuleSet, assessment: Any, code: str, parts: tuple[str | int, ...]
) -> None:
    with pytest.raises(ir.AssessmentError) as caught:
        ruleset.evaluate(assessment)
    (problem,) = caught.value.problems
    assert (problem.code, problem.parts) == (code, parts)
    (with_values,) = caught.value.values(assessment)
    assert with_values.code == code
