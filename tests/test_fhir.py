"""The FHIR R4 mapping: the generated Questionnaire, QuestionnaireResponse both ways, RequestGroup."""

from __future__ import annotations

import copy
import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.requestgroup import RequestGroup
from hypothesis import given

import intervention_rules as ir
from helpers import ROOT, TOOLKIT_RULES, toolkit_ruleset
from intervention_rules.cli import main
from intervention_rules.errors import MissingExtraError
from intervention_rules.fhir import (
    CONTEXT_FEATURES,
    DIGEST_SYSTEM,
    NONE_CODING,
    ORDER_FEATURE,
    answer_system,
    assessment_from_questionnaire_response,
    canonical,
    questionnaire,
    questionnaire_response_from_assessment,
    request_group,
)
from intervention_rules.testing import assessments

RULESET = ir.load_ruleset()
TOOLKIT = toolkit_ruleset()
MARKER = "PATIENT-SAID-SOMETHING-PRIVATE"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def response(ruleset: ir.RuleSet, *items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": canonical(ruleset),
        "status": "completed",
        **extra,
        "item": list(items),
    }


def answer(link: str, **value: Any) -> dict[str, Any]:
    return {"linkId": link, "answer": [value]}


def problems(error: pytest.ExceptionInfo[ir.AssessmentError]) -> list[tuple[str, str]]:
    return [(p.field, p.message) for p in error.value.problems]


# --- Questionnaire -----------------------------------------------------------------------------


def test_questionnaire_has_one_item_per_feature_with_its_type_values_and_text() -> None:
    """Every feature becomes an item: its type, closed values as options, description, required."""
    q = questionnaire(RULESET)
    Questionnaire.model_validate(q)
    items = {i["linkId"]: i for i in q["item"]}
    assert list(items) == [
        "age",
        "reasons",
        "conditions",
        "pattern",
        "family",
        "can_become_pregnant",
        "medications",
    ]  # no `order`: the medicine being ordered comes from the order hooks' context, not a clinician
    assert ORDER_FEATURE == "order"  # the documented name, which the order services fill
    assert ORDER_FEATURE in RULESET.features or ORDER_FEATURE in RULESET.objects
    assert set(CONTEXT_FEATURES) == {ORDER_FEATURE}
    assert items["age"]["type"] == "integer"
    assert items["age"]["required"] is True
    assert items["age"]["text"] == RULESET.features["age"].description
    reasons = items["reasons"]
    assert (reasons["type"], reasons["repeats"], reasons["required"]) == ("choice", True, False)
    codes = [o["valueCoding"]["code"] for o in reasons["answerOption"]]
    assert codes == [*RULESET.features["reasons"].values, NONE_CODING["code"]]
    assert items["pattern"]["type"] == "choice"
    assert "repeats" not in items["pattern"]
    assert [o["valueCoding"]["code"] for o in items["pattern"]["answerOption"]] == list(
        RULESET.features["pattern"].values
    )
    family = items["family"]
    assert family["type"] == "group"
    assert [(c["linkId"], c["type"]) for c in family["item"]] == [
        ("family.involved", "boolean"),
        ("family.conflict", "boolean"),
        ("family.safeguarding_concern", "boolean"),
    ]
    assert items["medications"]["type"] == "open-choice"
    assert items["medications"]["repeats"] is True


def test_a_local_rule_set_gets_its_own_questionnaire() -> None:
    """Another vocabulary, another questionnaire: a number feature is a decimal item with its range."""
    q = questionnaire(TOOLKIT)
    Questionnaire.model_validate(q)
    distress = next(i for i in q["item"] if i["linkId"] == "distress")
    assert distress["type"] == "decimal"
    assert [e.get("valueDecimal") for e in distress["extension"]] == [0.0, 10.0]
    assert q["url"] != questionnaire(RULESET)["url"]
    assert canonical(TOOLKIT) == f"{q['url']}|{q['version']}"


def test_the_version_follows_the_vocabulary_not_the_rules(tmp_path: Path) -> None:
    """A rule change keeps the questionnaire (and stored responses valid); a vocabulary change does not."""
    rules = tmp_path / "rules"
    shutil.copytree(TOOLKIT_RULES, rules)
    vocabulary = rules / "vocabulary.yaml"
    rule_file = rules / "rules.yaml"
    rule_file.write_text(rule_file.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    changed_rules = ir.load_ruleset(rules)
    assert changed_rules.digest != TOOLKIT.digest
    assert questionnaire(changed_rules) == questionnaire(TOOLKIT)
    text = vocabulary.read_text(encoding="utf-8").replace("Self-rated distress", "Distress")
    vocabulary.write_text(text, encoding="utf-8")
    assert questionnaire(ir.load_ruleset(rules))["version"] != questionnaire(TOOLKIT)["version"]


def test_the_shipped_questionnaire_is_the_generated_one() -> None:
    """docs/fhir/questionnaire.json equals `intervention-rules fhir questionnaire` for the bundled set
    (regenerate with: intervention-rules fhir questionnaire > docs/fhir/questionnaire.json)."""
    status, out, err = run("fhir", "questionnaire")
    assert (status, err) == (0, "")
    assert json.loads(out) == questionnaire(RULESET)
    assert (ROOT / "docs" / "fhir" / "questionnaire.json").read_text(encoding="utf-8") == out


def test_the_command_takes_a_rule_set_and_refuses_a_missing_one() -> None:
    status, out, _ = run("fhir", "questionnaire", "--rules", str(TOOLKIT_RULES))
    assert status == 0
    assert json.loads(out) == questionnaire(TOOLKIT)
    status, out, err = run("fhir", "questionnaire", "--rules", "no/such/rules")
    assert (status, out) == (2, "")
    assert "no rule set at no/such/rules" in err


def test_without_the_extra_the_command_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """fhir.resources missing: exit 2 and the pip command that installs the extra."""
    monkeypatch.setitem(sys.modules, "fhir.resources.R4B", None)
    monkeypatch.setitem(sys.modules, "pydantic", None)  # fhir.resources brings pydantic
    status, out, err = run("fhir", "questionnaire")
    assert (status, out) == (2, "")
    assert "pip install 'intervention-rules[fhir]'" in err
    for needs_the_models in (
        lambda: questionnaire(RULESET),
        lambda: assessment_from_questionnaire_response({}, RULESET),
        lambda: request_group(RULESET.evaluate({"age": 30})),
    ):
        with pytest.raises(MissingExtraError) as error:
            needs_the_models()
        assert error.value.extra == "fhir"


def test_importing_the_layer_loads_no_fhir_models() -> None:
    """The package imports without fhir.resources (the command line registers it at start)."""
    import subprocess

    code = "import intervention_rules.fhir, sys; print(any(m.startswith('fhir.') for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --- QuestionnaireResponse ---------------------------------------------------------------------


@given(assessments(RULESET))
def test_assessment_to_response_and_back_is_the_identity(assessment: dict[str, Any]) -> None:
    """Round trip on generated assessments (less the order, which the hook context fills); every
    response validates as FHIR R4B."""
    assessment = {k: v for k, v in assessment.items() if k not in CONTEXT_FEATURES}
    qr = questionnaire_response_from_assessment(assessment, RULESET)
    QuestionnaireResponse.model_validate(qr)
    back = assessment_from_questionnaire_response(qr, RULESET)
    assert RULESET.normalise(back) == RULESET.normalise(assessment)


@given(assessments(TOOLKIT))
def test_the_round_trip_holds_for_a_local_vocabulary(assessment: dict[str, Any]) -> None:
    qr = questionnaire_response_from_assessment(assessment, TOOLKIT)
    QuestionnaireResponse.model_validate(qr)
    assert TOOLKIT.normalise(assessment_from_questionnaire_response(qr, TOOLKIT)) == TOOLKIT.normalise(
        assessment
    )


def test_an_empty_list_travels_as_none_and_absent_stays_absent() -> None:
    """Asked-and-none (SNOMED CT None) differs from not recorded (no item)."""
    qr = questionnaire_response_from_assessment({"age": 30, "conditions": []}, RULESET)
    assert [i["linkId"] for i in qr["item"]] == ["age", "conditions"]
    assert qr["item"][1]["answer"] == [{"valueCoding": NONE_CODING}]
    assert assessment_from_questionnaire_response(qr, RULESET) == {"age": 30, "conditions": []}


def test_a_response_evaluates_like_its_assessment() -> None:
    assessment = {
        "age": 15,
        "reasons": ["emotional_regulation"],
        "pattern": "repeated",
        "family": {"involved": True, "conflict": False},
        "medications": ["venlafaxine"],
    }
    qr = questionnaire_response_from_assessment(
        assessment, RULESET, subject="Patient/p1", authored="2026-11-30"
    )
    assert qr["subject"] == {"reference": "Patient/p1"}
    assert qr["authored"] == "2026-11-30"
    decision = RULESET.evaluate(assessment_from_questionnaire_response(qr, RULESET))
    assert decision.to_dict() == RULESET.evaluate(assessment).to_dict()


def test_unknown_link_ids_are_errors_naming_them() -> None:
    qr = response(
        RULESET,
        answer("age", valueInteger=30),
        answer("mood", valueString=MARKER),
        {"linkId": "family", "item": [answer("family.pets", valueBoolean=True)]},
        answer("family.involved", valueBoolean=True),
    )
    with pytest.raises(ir.AssessmentError) as error:
        assessment_from_questionnaire_response(qr, RULESET)
    assert problems(error) == [
        ("mood", "unknown linkId in the questionnaire"),
        ("family.pets", "unknown linkId in group 'family'"),
        ("family.involved", "unknown linkId in the questionnaire"),
    ]
    assert {p.code for p in error.value.problems} == {"IR604"}
    assert MARKER not in str(error.value)


def test_the_order_is_neither_asked_nor_answered_in_a_response() -> None:
    """The medicine being ordered is filled from the order hooks' context: a response may not
    answer it (IR612, naming the linkId, not the answer), and an assessment holding it is refused
    rather than recorded without it."""
    ordered = {"linkId": "order", "item": [answer("order.medicine", valueString=MARKER)]}
    for item in (ordered, answer("order.medicine", valueString=MARKER)):
        with pytest.raises(ir.AssessmentError) as error:
            assessment_from_questionnaire_response(
                response(RULESET, answer("age", valueInteger=30), item), RULESET
            )
        assert [(p.field, p.code) for p in error.value.problems] == [(item["linkId"], "IR612")]
        assert "context" in str(error.value)
        assert MARKER not in str(error.value)
    with pytest.raises(ir.AssessmentError) as error:
        questionnaire_response_from_assessment({"age": 30, "order": {"medicine": "paroxetine"}}, RULESET)
    assert [(p.field, p.code) for p in error.value.problems] == [("order", "IR612")]
    assert "paroxetine" not in str(error.value)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (answer("age", valueString="15"), ("age", "expected valueInteger, got valueString", "IR606")),
        (answer("age", valueDecimal=15.5), ("age", "expected valueInteger, got valueDecimal", "IR606")),
        (
            answer("can_become_pregnant", valueString="yes"),
            ("can_become_pregnant", "expected valueBoolean, got valueString", "IR606"),
        ),
        (
            answer("pattern", valueString="repeated"),
            ("pattern", "expected valueCoding, got valueString", "IR606"),
        ),
        (
            answer("pattern", valueCoding={"system": "http://example.org", "code": "repeated"}),
            ("pattern", "the coding is not one of the item's answer options", "IR607"),
        ),
        (
            answer("medications", valueCoding={"system": "http://snomed.info/sct", "code": "1"}),
            ("medications", "a coded answer here can only be SNOMED CT 260413007 (None)", "IR607"),
        ),
        (
            {
                "linkId": "reasons",
                "answer": [{"valueCoding": NONE_CODING}, {"valueCoding": {"system": "x", "code": "coping"}}],
            },
            ("reasons", "the coding is not one of the item's answer options", "IR607"),
        ),
        (
            {
                "linkId": "pattern",
                "answer": [
                    {"valueCoding": {"system": answer_system(RULESET, "pattern"), "code": c}}
                    for c in ("repeated", "frequent")
                ],
            },
            ("pattern", "expected at most one answer", "IR608"),
        ),
        (
            {"linkId": "family", "answer": [{"valueBoolean": True}]},
            ("family", "a group item holds items, not answers", "IR606"),
        ),
    ],
)
def test_wrong_answer_types_are_errors_naming_the_link_id(
    item: dict[str, Any], expected: tuple[str, str, str]
) -> None:
    age = [] if item["linkId"] == "age" else [answer("age", valueInteger=30)]
    qr = response(RULESET, *age, item)
    with pytest.raises(ir.AssessmentError) as error:
        assessment_from_questionnaire_response(qr, RULESET)
    assert [(p.field, p.message, p.code) for p in error.value.problems] == [expected]


def test_none_cannot_be_combined_with_an_answer() -> None:
    coping = {"system": answer_system(RULESET, "reasons"), "code": "coping"}
    qr = response(
        RULESET,
        answer("age", valueInteger=30),
        {"linkId": "reasons", "answer": [{"valueCoding": NONE_CODING}, {"valueCoding": coping}]},
    )
    with pytest.raises(ir.AssessmentError) as error:
        assessment_from_questionnaire_response(qr, RULESET)
    assert problems(error) == [("reasons", "None cannot be combined with other answers")]
    assert error.value.problems[0].code == "IR608"


def test_a_response_to_another_questionnaire_is_refused() -> None:
    qr = response(RULESET, answer("age", valueInteger=30))
    qr["questionnaire"] = canonical(TOOLKIT)
    with pytest.raises(ir.AssessmentError) as error:
        assessment_from_questionnaire_response(qr, RULESET)
    assert problems(error) == [
        (
            "QuestionnaireResponse.questionnaire",
            f"the response answers another questionnaire; expected {canonical(RULESET)}",
        )
    ]
    assert error.value.problems[0].code == "IR602"
    del qr["questionnaire"]
    with pytest.raises(ir.AssessmentError):
        assessment_from_questionnaire_response(qr, RULESET)


def test_an_unfinished_response_is_refused() -> None:
    qr = response(RULESET, answer("age", valueInteger=30))
    qr["status"] = "in-progress"
    with pytest.raises(ir.AssessmentError) as error:
        assessment_from_questionnaire_response(qr, RULESET)
    assert problems(error) == [("QuestionnaireResponse.status", "expected 'completed' or 'amended'")]
    assert error.value.problems[0].code == "IR603"


def test_invalid_fhir_is_refused_by_element_without_its_value() -> None:
    qr = response(RULESET, answer("age", valueInteger=MARKER), extra=MARKER)
    with pytest.raises(ir.AssessmentError) as error:
        assessment_from_questionnaire_response(qr, RULESET)
    fields = [p.field for p in error.value.problems]
    assert "QuestionnaireResponse.item[0].answer[0].valueInteger" in fields
    assert "QuestionnaireResponse.extra" in fields
    assert MARKER not in str(error.value)
    assert MARKER not in repr(error.value.problems)
    assert {p.code for p in error.value.problems} == {"IR601"}
    with pytest.raises(ir.AssessmentError) as error:
        assessment_from_questionnaire_response({"resourceType": "Patient"}, RULESET)
    assert problems(error) == [("QuestionnaireResponse.resourceType", "expected 'QuestionnaireResponse'")]


def test_the_rule_sets_own_checks_apply() -> None:
    qr = response(RULESET, answer("age", valueInteger=130))
    with pytest.raises(ir.AssessmentError) as error:
        assessment_from_questionnaire_response(qr, RULESET)
    assert [p.field for p in error.value.problems] == ["age"]
    with pytest.raises(ir.AssessmentError) as error:
        assessment_from_questionnaire_response(response(RULESET), RULESET)
    assert problems(error) == [("age", "required but not recorded")]


PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "2010-12-01"}


@pytest.mark.parametrize(("authored", "age"), [("2026-11-30T23:00:00+10:00", 15), ("2026-12-01", 16)])
def test_age_comes_from_the_birth_date_at_the_authored_date(authored: str, age: int) -> None:
    qr = response(RULESET, authored=authored, subject={"reference": "Patient/p1"})
    assert assessment_from_questionnaire_response(qr, RULESET, patient=PATIENT) == {"age": age}
    qr["item"] = [answer("age", valueInteger=age)]
    assert assessment_from_questionnaire_response(qr, RULESET, patient=PATIENT) == {"age": age}


def test_age_from_the_patient_must_be_computable_and_agree() -> None:
    cases = [
        (
            response(RULESET, answer("age", valueInteger=40), authored="2026-11-30"),
            PATIENT,
            "the answer and Patient.birthDate (at the authored date) disagree",
        ),
        (
            response(RULESET),
            PATIENT,
            "not answered, and the response's authored date is needed to compute it from birthDate",
        ),
        (
            response(RULESET, authored="2026-11-30"),
            {**PATIENT, "birthDate": "2010"},
            "not answered, and Patient.birthDate is missing or not a full date, so age is unknown",
        ),
        (
            response(RULESET, authored="2009-01-01"),
            PATIENT,
            "Patient.birthDate is after the response was authored",
        ),
    ]
    for qr, patient, message in cases:
        with pytest.raises(ir.AssessmentError) as error:
            assessment_from_questionnaire_response(qr, RULESET, patient=patient)
        assert problems(error) == [("age", message)]
        assert error.value.problems[0].code == ("IR610" if "disagree" in message else "IR609")


@pytest.mark.parametrize(
    ("patient", "authored"),
    [
        ({"resourceType": "Patient", "id": "p1"}, "2026-11-30"),  # no birthDate: it is optional in FHIR
        ({**PATIENT, "birthDate": "2010"}, "2026-11-30"),  # a partial birth date
        ({**PATIENT, "birthDate": "2010-12"}, "2026-11-30"),
        (PATIENT, None),  # no authored date to compute an age at
    ],
)
def test_an_answered_age_is_used_when_the_patient_cannot_give_one(
    patient: dict[str, Any], authored: str | None
) -> None:
    """The age item is the age; a birth date is only needed when the item is not answered."""
    extra = {"authored": authored} if authored else {}
    qr = response(RULESET, answer("age", valueInteger=15), subject={"reference": "Patient/p1"}, **extra)
    assert assessment_from_questionnaire_response(qr, RULESET, patient=patient) == {"age": 15}


def test_a_response_about_another_patient_is_refused() -> None:
    qr = response(RULESET, authored="2026-11-30", subject={"reference": "Patient/someone-else"})
    with pytest.raises(ir.AssessmentError) as error:
        assessment_from_questionnaire_response(qr, RULESET, patient=PATIENT)
    assert problems(error) == [("QuestionnaireResponse.subject", "the response is about another patient")]
    assert error.value.problems[0].code == "IR611"


# --- RequestGroup ------------------------------------------------------------------------------


@given(assessments(RULESET))
def test_a_decision_is_a_request_group_of_proposals_in_rank_order(assessment: dict[str, Any]) -> None:
    decision = RULESET.evaluate(assessment)
    group = request_group(decision, subject="Patient/p1", authored_on="2026-11-30T10:00:00Z")
    RequestGroup.model_validate(group)
    assert (group["intent"], group["status"]) == ("proposal", "draft")
    assert {"system": DIGEST_SYSTEM, "value": RULESET.digest} in group["identifier"]
    actions = group.get("action", [])
    assert [a["id"] for a in actions] == [r.intervention for r in decision.recommendations]
    assert [a["prefix"] for a in actions] == [str(r.rank) for r in decision.recommendations]
    for action, rec in zip(actions, decision.recommendations, strict=True):
        for explanation in rec.explanations:
            assert explanation.text in action["description"]
            assert explanation.rule in action["description"]
    notes = [n["text"] for n in group["note"]]
    assert len(notes) == len(decision.alerts) + len(decision.not_recommended) + len(decision.considered) + 1


def test_request_group_marks_draft_content() -> None:
    decision = RULESET.evaluate(
        {"age": 15, "reasons": ["emotional_regulation"], "family": {"safeguarding_concern": True}}
    )
    group = request_group(decision)
    drafts = [a for a in decision.alerts if a.status == "draft"]
    assert drafts
    texts = " ".join(n["text"] for n in group["note"])
    for alert in drafts:
        assert f"({alert.rule}, draft rule)" in texts
    assert copy.deepcopy(group) == request_group(decision)


def test_a_link_id_that_is_not_a_name_is_not_quoted() -> None:
    """As for an assessment's keys (docs/errors.md, Privacy): a linkId that does not look like a
    field name may be text a person wrote, and is shown as ``<linkId>``."""
    qr = response(
        RULESET,
        answer("age", valueInteger=30),
        answer("Jane Doe, 12 Acacia Avenue", valueBoolean=True),
        {"linkId": "family", "item": [answer("family.Jane Doe", valueBoolean=True)]},
        answer("order.Jane Doe", valueString="x"),
        answer("mood disorder?", valueString="x"),
        answer("mood disorder?", valueString="x"),
    )
    with pytest.raises(ir.AssessmentError) as error:
        assessment_from_questionnaire_response(qr, RULESET)
    assert [(p.field, p.code) for p in error.value.problems] == [
        ("<linkId>", "IR604"),
        ("family.<linkId>", "IR604"),
        ("order.<linkId>", "IR612"),
        ("<linkId>", "IR604"),
        ("<linkId>", "IR605"),
    ]
    assert "Jane" not in str(error.value)
    assert "mood" not in str(error.value)


def test_an_item_answered_twice_is_refused() -> None:
    qr = response(RULESET, answer("age", valueInteger=30), answer("age", valueInteger=31))
    with pytest.raises(ir.AssessmentError) as error:
        assessment_from_questionnaire_response(qr, RULESET)
    assert [(p.field, p.message, p.code) for p in error.value.problems] == [
        ("age", "answered more than once", "IR605")
    ]
