"""The medication code map: FHIR MedicationRequest to the rule set's medications vocabulary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import intervention_rules as ir
from intervention_rules.coverage import condition_tests
from intervention_rules.fhir import RXNORM, SNOMED, MedicationCodesError, load_medication_codes
from intervention_rules.model import Test as FeatureTest

RULESET = ir.load_ruleset()
CODES = load_medication_codes()


def medicine_names(ruleset: ir.RuleSet) -> set[str]:
    """Every medicine name the rule set's rules test."""
    names: set[str] = set()
    for rule in ruleset.rules:
        for test in condition_tests(rule.when):
            if isinstance(test, FeatureTest) and test.feature == "medications" and test.op != "recorded":
                operands = test.operand if isinstance(test.operand, tuple) else (test.operand,)
                names.update(operands)
    return names


def order(**medication: Any) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "status": "draft", "intent": "order", **medication}


def test_every_medicine_the_rules_name_has_an_entry_and_every_entry_is_vocabulary() -> None:
    names = medicine_names(RULESET)
    assert len(names) > 30
    mapped = {name for entry in CODES.entries for name in entry.names}
    assert sorted(names - mapped) == []
    assert sorted(mapped - names) == []
    assert set(CODES.values) <= names
    for entry in CODES.entries:
        RULESET.normalise({"age": 30, "medications": [entry.value]})


def test_every_code_cites_where_it_was_confirmed() -> None:
    for entry in CODES.entries:
        for code in entry.codes:
            assert code.system in (RXNORM, SNOMED)
            assert code.code.isdigit()
            if code.confirmed and code.system == RXNORM:
                assert code.source.startswith("openFDA NDC directory")
                assert "https://api.fda.gov/drug/ndc.json?search=" in code.source
            elif code.confirmed:
                # a SNOMED CT code cites the published value set that lists it with its description
                assert code.display.endswith("(substance)")
                assert "http://fhir.ch/ig/ch-term/ValueSet/ActivePharmaceuticalIngredient" in code.source
                assert f'concept {code.code} "{code.display}"' in code.source
            else:
                assert code.source.startswith("not confirmed")
    assert sum(c.confirmed for e in CODES.entries for c in e.codes) >= 30


def test_an_order_matches_by_its_code() -> None:
    """Every confirmed code matches its medicine by the code alone."""
    coded = [(e.value, c) for e in CODES.entries for c in e.codes if c.confirmed]
    assert {value for value, _ in coded} >= {
        "venlafaxine",
        "paroxetine",
        "valproate",
        "lithium",
        "olanzapine",
        "duloxetine",
        "escitalopram",
    }
    for value, code in coded:
        request = order(medicationCodeableConcept={"coding": [{"system": code.system, "code": code.code}]})
        assert CODES.match(request) == value


def test_an_order_coded_only_in_snomed_ct_matches_its_medicine() -> None:
    snomed = {(e.value, c.code) for e in CODES.entries for c in e.codes if c.system == SNOMED}
    assert {value for value, _ in snomed} >= {
        "sertraline",
        "lithium",
        "valproate",
        "olanzapine",
        "quetiapine",
    }
    assert ("sertraline", "372594008") in snomed
    for value, code in sorted(snomed):
        coding = {"system": SNOMED, "code": code}
        assert CODES.match(order(medicationCodeableConcept={"coding": [coding]})) == value
        contained = order(
            medicationReference={"reference": "#med"},
            contained=[{"resourceType": "Medication", "id": "med", "code": {"coding": [coding]}}],
        )
        assert CODES.match(contained) == value
        # the same code under another system is not this medicine
        assert (
            CODES.match(order(medicationCodeableConcept={"coding": [{"system": RXNORM, "code": code}]}))
            != value
        )


def test_unconfirmed_codes_never_match() -> None:
    unconfirmed = [c for e in CODES.entries for c in e.codes if not c.confirmed]
    for code in unconfirmed:
        request = order(medicationCodeableConcept={"coding": [{"system": code.system, "code": code.code}]})
        assert CODES.match(request) is None


@pytest.mark.parametrize(
    ("medication", "expected"),
    [
        (
            {"medicationCodeableConcept": {"text": "Venlafaxine 75 MG Extended Release Oral Capsule"}},
            "venlafaxine",
        ),
        ({"medicationCodeableConcept": {"text": "Efexor XL 150mg capsules"}}, "venlafaxine"),
        (
            {
                "medicationCodeableConcept": {
                    "coding": [
                        {"system": "urn:local", "code": "9", "display": "Paroxetine 20 MG Oral Tablet"}
                    ]
                }
            },
            "paroxetine",
        ),
        ({"medicationCodeableConcept": {"text": "Lithium carbonate 400mg MR tablets"}}, "lithium"),
        (
            {"medicationCodeableConcept": {"text": "Sodium valproate 500 mg gastro-resistant tablets"}},
            "valproate",
        ),
        ({"medicationCodeableConcept": {"text": "Desvenlafaxine 50 mg"}}, "desvenlafaxine"),
        ({"medicationCodeableConcept": {"text": "Paracetamol 500 mg tablets"}}, None),
        ({"medicationCodeableConcept": {"text": "Epilimited edition"}}, None),
        (
            {
                "contained": [
                    {"resourceType": "Medication", "id": "m", "code": {"text": "Fluoxetine 20 mg capsules"}}
                ],
                "medicationReference": {"reference": "#m"},
            },
            "fluoxetine",
        ),
        ({"medicationReference": {"reference": "Medication/elsewhere"}}, None),
    ],
)
def test_an_order_matches_by_its_text_as_whole_words(
    medication: dict[str, Any], expected: str | None
) -> None:
    assert CODES.match(order(**medication)) == expected


def test_only_a_medication_request_is_matched() -> None:
    with pytest.raises(ValueError, match="MedicationRequest"):
        CODES.match({"resourceType": "Patient"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("medicines: 3", "expected a mapping with a 'medicines' list"),
        ("medicines: [{value: Prozac}]", "medicines[0].value: expected a lower-case generic name"),
        ("medicines: [{value: a, colour: red}]", "medicines[0]: unknown keys: colour"),
        (
            "medicines: [{value: a, codes: [{system: atc, code: '1', display: a, source: b}]}]",
            "medicines[0].codes[0].system: expected one of: rxnorm, snomed",
        ),
        (
            "medicines: [{value: a, codes: [{system: rxnorm, code: '1', display: a}]}]",
            "medicines[0].codes[0].source: expected a non-empty string",
        ),
        (
            "medicines: [{value: a, names: [b]}, {value: c, names: [b]}]",
            "the name 'b' belongs to both a and c",
        ),
    ],
)
def test_a_broken_map_is_refused_naming_the_file_and_entry(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "codes.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MedicationCodesError) as error:
        load_medication_codes(path)
    assert str(error.value) == f"{path}: {message}"
    assert issubclass(MedicationCodesError, ir.InterventionRulesError)


def test_a_map_that_is_not_yaml_or_cannot_be_read_is_one_line_naming_the_file(tmp_path: Path) -> None:
    """Not PyYAML's multi-line report about "<unicode string>", nor an OSError."""
    path = tmp_path / "codes.yaml"
    path.write_text("medicines: [{value: a}\n", encoding="utf-8")
    with pytest.raises(MedicationCodesError) as error:
        load_medication_codes(path)
    assert str(error.value) == f"{path}:2:1: not valid YAML: expected ',' or ']', but got '<stream end>'"
    with pytest.raises(MedicationCodesError) as error:
        load_medication_codes(tmp_path / "missing.yaml")
    assert str(error.value) == f"{tmp_path / 'missing.yaml'}: cannot read it: No such file or directory"
