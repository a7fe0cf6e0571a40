"""The CDS Hooks service, served by a real uvicorn on 127.0.0.1 and called with httpx as an EHR
would: discovery, patient-view with prefetch, order-select and order-sign with conflicting and
safe orders, feedback, the error answers (412, 400, 413, 503), and 200 concurrent requests."""

from __future__ import annotations

import asyncio
import functools
import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import intervention_rules as ir
from intervention_rules import fhir
from service_server import (
    RULES,
    draft_orders,
    follow_up,
    hook_request,
    medication_request,
    running,
    sqlite_config,
)


@functools.cache
def _ruleset() -> ir.RuleSet:
    return ir.load_ruleset(RULES)


@pytest.fixture(scope="module")
def audit_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audit") / "audit.sqlite3"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, audit_path: Path) -> Iterator[str]:
    from intervention_rules.service import ServiceConfig, SQLiteSink

    config = ServiceConfig(sink=SQLiteSink(audit_path), salt=b"test salt", max_body=200_000)
    with running(_ruleset(), config) as url:
        yield url


@pytest.fixture
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30) as c:
        yield c


def _in_process(assessment: dict[str, Any]) -> list[dict[str, Any]]:
    ruleset = _ruleset()
    return ruleset.evaluate(assessment).to_cds_hooks(ruleset=ruleset)


def _audit(audit_path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(audit_path) as db:
        rows = db.execute("SELECT record FROM ir_decision ORDER BY time").fetchall()
    return [json.loads(r[0]) for r in rows]


def test_discovery_lists_three_services_with_their_prefetch(client: httpx.Client) -> None:
    services = {s["id"]: s for s in client.get("/cds-services").json()["services"]}
    assert {s["hook"] for s in services.values()} == {"patient-view", "order-select", "order-sign"}
    prefetch = services["patient-view"]["prefetch"]
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    url = fhir.questionnaire(_ruleset())["url"]
    assert prefetch["assessment"].startswith("QuestionnaireResponse?subject=Patient/{{context.patientId}}")
    assert f"questionnaire={url}" in prefetch["assessment"]
    assert "_sort=-authored" in prefetch["assessment"]


def test_the_integration_guide_shows_the_real_prefetch_templates(client: httpx.Client) -> None:
    text = (RULES.parent / "docs" / "integration.md").read_text(encoding="utf-8")
    (documented,) = re.findall(r"^```json prefetch\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    for service in client.get("/cds-services").json()["services"]:
        assert service["prefetch"] == json.loads(documented)


def test_health_reports_the_rule_set(client: httpx.Client) -> None:
    ruleset = _ruleset()
    assert client.get("/health").json() == {
        "status": "ok",
        "ruleset": {"name": ruleset.name, "version": ruleset.version, "digest": ruleset.digest},
    }


def test_patient_view_returns_the_ranked_cards_and_audits_them(
    client: httpx.Client, audit_path: Path
) -> None:
    assessment = {
        "age": 15,
        "reasons": ["emotional_regulation"],
        "pattern": "repeated",
        "conditions": ["depression"],
    }
    request = hook_request("patient-view", _ruleset(), assessment)
    reply = client.post("/cds-services/patient-view", json=request)
    assert reply.status_code == 200, reply.text
    cards = reply.json()["cards"]
    assert cards == _in_process(assessment)
    assert any("Dialectical" in c["summary"] or "DBT" in c["summary"] for c in cards)
    record = next(r for r in _audit(audit_path) if r["hook_instance"] == request["hookInstance"])
    decision = _ruleset().evaluate(assessment)
    assert record["ruleset_digest"] == _ruleset().digest
    assert record["fired"] == list(decision.fired)
    assert record["recommendations"] == [r.intervention for r in decision.recommendations]
    assert [c["uuid"] for c in record["cards"]] == [c["uuid"] for c in cards]
    assert record["input"] is None  # only the salted hash of the input is kept
    assert "emotional_regulation" not in json.dumps(record["input_hash"])


@pytest.mark.parametrize("birth_date", [None, "2011"])
def test_an_answered_age_is_enough_when_the_patient_has_no_full_birth_date(
    client: httpx.Client, birth_date: str | None
) -> None:
    """FHIR's Patient.birthDate is optional and may be a year alone; the age item answers it."""
    assessment = {"age": 15, "reasons": ["coping"]}
    request = hook_request("patient-view", _ruleset(), assessment)
    request["prefetch"]["patient"].pop("birthDate")
    if birth_date is not None:
        request["prefetch"]["patient"]["birthDate"] = birth_date
    reply = client.post("/cds-services/patient-view", json=request)
    assert reply.status_code == 200, reply.text
    assert reply.json()["cards"] == _in_process(assessment)


def _order_cards(
    client: httpx.Client, hook: str, assessment: dict[str, Any], *orders: dict[str, Any], **context: Any
) -> list[dict[str, Any]]:
    request = hook_request(hook, _ruleset(), assessment, draftOrders=draft_orders(*orders), **context)
    reply = client.post(f"/cds-services/{hook}", json=request)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["cards"])


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
@pytest.mark.parametrize(
    "medicine", ["Venlafaxine 75 mg modified-release capsule", "Paroxetine 20 mg tablet"]
)
def test_an_antidepressant_not_for_under_18s_gets_a_critical_card_before_signing(
    client: httpx.Client, hook: str, medicine: str
) -> None:
    order = medication_request(medicine, supply_days=7)
    context = {"selections": ["MedicationRequest/draft-1"]} if hook == "order-select" else {}
    cards = _order_cards(
        client, hook, {"age": 15, "conditions": ["depression"]}, order, follow_up("2026-12-04"), **context
    )
    assert [c["indicator"] for c in cards] == ["critical"]
    assert medicine.split()[0].lower() in cards[0]["summary"]
    assert "ORDER-U18-ANTIDEPRESSANT-NOT-RECOMMENDED" in cards[0]["detail"]


def test_valproate_for_someone_who_can_become_pregnant_gets_a_critical_card(client: httpx.Client) -> None:
    assessment = {"age": 30, "conditions": ["bipolar_disorder"], "can_become_pregnant": True}
    cards = _order_cards(
        client, "order-sign", assessment, medication_request("Sodium valproate 500 mg tablet")
    )
    rules = [c["detail"] for c in cards]
    assert cards[0]["indicator"] == "critical"
    assert "ORDER-VALPROATE-PREGNANCY" in rules[0]
    assert any("ORDER-VALPROATE-UNDER-55" in d for d in rules)


def test_an_antidepressant_under_25_without_an_early_review_gets_a_card_and_with_one_none(
    client: httpx.Client,
) -> None:
    assessment = {"age": 22, "conditions": ["depression"]}
    order = medication_request("Sertraline 50 mg tablet", supply_days=14)
    cards = _order_cards(client, "order-sign", assessment, order)
    assert len(cards) == 1
    assert "ORDER-ANTIDEPRESSANT-EARLY-REVIEW" in cards[0]["detail"]
    assert _order_cards(client, "order-sign", assessment, order, follow_up("2026-12-07")) == []
    # a review booked later than a week after the order does not count
    assert len(_order_cards(client, "order-sign", assessment, order, follow_up("2026-12-08T09:00:00Z"))) == 1


def test_a_large_supply_gets_a_card(client: httpx.Client) -> None:
    order = medication_request("Lithium carbonate 400 mg modified-release tablet", supply_days=28)
    cards = _order_cards(client, "order-sign", {"age": 40, "conditions": ["bipolar_disorder"]}, order)
    assert len(cards) == 2
    (large,) = [c for c in cards if "ORDER-LARGE-SUPPLY" in c["detail"]]
    assert "28 days" in large["summary"]
    (lithium,) = [c for c in cards if "ORDER-LITHIUM" in c["detail"]]
    assert lithium["indicator"] == "warning"
    assert "weekly until stable" in lithium["detail"]


def test_an_antidepressant_for_someone_taking_an_maoi_gets_a_critical_card(client: httpx.Client) -> None:
    assessment = {"age": 33, "medications": ["phenelzine"], "conditions": ["depression"]}
    order = medication_request("Sertraline 50 mg tablet", supply_days=7)
    cards = _order_cards(client, "order-sign", assessment, order, follow_up("2026-12-04"))
    assert [c["indicator"] for c in cards] == ["critical"]
    assert "ORDER-MAOI-COMBINATION" in cards[0]["detail"]
    assert "phenelzine" not in json.dumps(cards)  # the order's card names the order, not the assessment
    without = {**assessment, "medications": ["lithium"]}
    assert _order_cards(client, "order-sign", without, order, follow_up("2026-12-04")) == []


def test_olanzapine_under_18_gets_a_card_and_an_under_18_review_cites_the_childrens_guideline(
    client: httpx.Client,
) -> None:
    olanzapine = medication_request("Olanzapine 5 mg tablet", supply_days=7)
    (card,) = _order_cards(
        client, "order-sign", {"age": 15, "conditions": ["psychotic_symptoms"]}, olanzapine
    )
    assert (card["indicator"], "ORDER-OLANZAPINE-ADOLESCENT" in card["detail"]) == ("warning", True)
    fluoxetine = medication_request("Fluoxetine 10 mg tablet", supply_days=7)
    (card,) = _order_cards(client, "order-sign", {"age": 15, "conditions": ["depression"]}, fluoxetine)
    assert "ORDER-U18-ANTIDEPRESSANT-EARLY-REVIEW" in card["detail"]
    assert "NG134" in card["detail"]
    assert "NG222" not in json.dumps(card)


def test_the_order_comes_from_the_hook_context_never_from_the_assessment(client: httpx.Client) -> None:
    """The served Questionnaire does not ask for the order; an assessment that answers it anyway is
    a 400 naming the linkId (it could otherwise slip a made-up order into patient-view), while
    order-sign still takes the order from context.draftOrders."""
    served = client.get("/questionnaire").json()
    assert "order" not in [item["linkId"] for item in served["item"]]
    assert served == fhir.questionnaire(_ruleset())
    request = hook_request("patient-view", _ruleset(), {"age": 15, "conditions": ["depression"]})
    ordered = {
        "linkId": "order",
        "item": [{"linkId": "order.medicine", "answer": [{"valueString": "paroxetine"}]}],
    }
    request["prefetch"]["assessment"]["entry"][0]["resource"]["item"].append(ordered)
    refused = client.post("/cds-services/patient-view", json=request)
    assert refused.status_code == 400, refused.text
    (issue,) = refused.json()["issue"]
    assert issue["expression"] == ["order"]
    assert issue["details"]["coding"][0]["code"] == "IR612"
    assert "paroxetine" not in refused.text
    (card,) = _order_cards(
        client,
        "order-sign",
        {"age": 15, "conditions": ["depression"]},
        medication_request("Paroxetine 20 mg tablet", supply_days=7),
        follow_up("2026-12-04"),
    )
    assert card["indicator"] == "critical"


def test_order_select_looks_only_at_the_selected_orders(client: httpx.Client) -> None:
    risky = medication_request("Venlafaxine 75 mg tablet", rid="risky")
    safe = medication_request("Fluoxetine 10 mg tablet", rid="safe", supply_days=7)
    assessment = {"age": 15, "conditions": ["depression"]}
    review = follow_up("2026-12-03")
    assert (
        _order_cards(
            client, "order-select", assessment, risky, safe, review, selections=["MedicationRequest/safe"]
        )
        == []
    )
    assert len(_order_cards(client, "order-sign", assessment, risky, safe, review)) == 1


def test_a_selection_that_names_no_draft_order_is_a_400_not_an_empty_answer(client: httpx.Client) -> None:
    """No cards would read as "no conflict": a selection the draft orders do not hold is refused."""
    request = hook_request(
        "order-select",
        _ruleset(),
        {"age": 15, "conditions": ["depression"]},
        draftOrders=draft_orders(medication_request("Venlafaxine 75 mg tablet", rid="risky")),
        selections=["MedicationRequest/risky-typo"],
    )
    reply = client.post("/cds-services/order-select", json=request)
    assert reply.status_code == 400, reply.text
    (issue,) = reply.json()["issue"]
    assert issue["expression"] == ["context.selections[0]"]
    assert "risky-typo" not in reply.text


def test_feedback_links_to_the_decision_and_card(client: httpx.Client, audit_path: Path) -> None:
    assessment = {"age": 40, "reasons": ["coping"]}
    cards = client.post(
        "/cds-services/patient-view", json=hook_request("patient-view", _ruleset(), assessment)
    ).json()["cards"]
    reason = {
        "code": "patient-declined",
        "system": "urn:intervention-rules:cds-hooks:override-reason",
        "display": "Patient declined",
    }
    body = {
        "feedback": [
            {"card": cards[0]["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-11-30T10:00:00Z"},
            {
                "card": cards[1]["uuid"],
                "outcome": "overridden",
                "overrideReason": {"reason": reason, "userComment": "private text"},
            },
        ]
    }
    reply = client.post("/cds-services/patient-view/feedback", json=body)
    assert reply.status_code == 200, reply.text
    with sqlite3.connect(audit_path) as db:
        rows = [json.loads(r[0]) for r in db.execute("SELECT record FROM ir_feedback ORDER BY time")]
    mine = [r for r in rows if r["card"] in (cards[0]["uuid"], cards[1]["uuid"])]
    decision_id = next(
        d["decision_id"]
        for d in reversed(_audit(audit_path))
        if cards[0]["uuid"] in [c["uuid"] for c in d["cards"]]
    )
    assert [(r["outcome"], r["decision_id"]) for r in mine] == [
        ("accepted", decision_id),
        ("overridden", decision_id),
    ]
    assert mine[1]["override_reason"]["code"] == "patient-declined"
    assert mine[1]["comment"] is None  # free text may hold patient data: kept only when configured
    unknown = client.post(
        "/cds-services/patient-view/feedback",
        json={"feedback": [{"card": "no-such-card", "outcome": "accepted"}]},
    )
    assert unknown.status_code == 400
    assert unknown.json()["issue"][0]["expression"] == ["feedback[0].card"]


def test_feedback_is_taken_only_by_the_service_that_showed_the_card(
    client: httpx.Client, audit_path: Path
) -> None:
    """A card's feedback belongs to the service whose answer showed it: sent to another service's
    feedback endpoint it is refused (400 naming the field, nothing recorded), as an unknown card is."""
    (order_card,) = _order_cards(
        client,
        "order-sign",
        {"age": 15, "conditions": ["depression"]},
        medication_request("Paroxetine 20 mg tablet", rid="wrong-door", supply_days=7),
        follow_up("2026-12-04"),
    )
    view_card = client.post(
        "/cds-services/patient-view",
        json=hook_request("patient-view", _ruleset(), {"age": 40, "reasons": ["coping"]}),
    ).json()["cards"][0]

    def feedback_rows() -> int:
        with sqlite3.connect(audit_path) as db:
            return int(db.execute("SELECT count(*) FROM ir_feedback").fetchone()[0])

    before = feedback_rows()
    for card, elsewhere in (
        (order_card, "patient-view"),
        (order_card, "order-select"),
        (view_card, "order-sign"),
    ):
        feedback = {"feedback": [{"card": card["uuid"], "outcome": "accepted"}]}
        refused = client.post(f"/cds-services/{elsewhere}/feedback", json=feedback)
        assert refused.status_code == 400, refused.text
        body = refused.json()
        assert body["resourceType"] == "OperationOutcome"
        (issue,) = body["issue"]
        assert issue["expression"] == ["feedback[0].card"]
        assert "another CDS service" in issue["diagnostics"]
        assert card["uuid"] not in refused.text
    assert feedback_rows() == before
    for card, service in ((order_card, "order-sign"), (view_card, "patient-view")):
        feedback = {"feedback": [{"card": card["uuid"], "outcome": "accepted"}]}
        accepted = client.post(f"/cds-services/{service}/feedback", json=feedback)
        assert accepted.status_code == 200, accepted.text
    unknown = client.post(
        "/cds-services/order-sign/feedback",
        json={"feedback": [{"card": str(uuid.uuid4()), "outcome": "accepted"}]},
    )
    assert unknown.status_code == 400
    assert unknown.json()["issue"][0]["code"] == "not-found"
    assert unknown.json()["issue"][0]["expression"] == ["feedback[0].card"]


def test_feedback_records_only_an_offered_override_reason(client: httpx.Client, audit_path: Path) -> None:
    """A reason the card did not offer is refused; an offered one is stored with the service's own
    display, so no text a client wrote into a coding reaches the audit trail."""
    cards = client.post(
        "/cds-services/patient-view", json=hook_request("patient-view", _ruleset(), {"age": 40})
    ).json()["cards"]
    offered = cards[0]["overrideReasons"][0]
    marker = "ZZ-PATIENT-NAME-MARKER"

    def overridden(reason: dict[str, str]) -> dict[str, object]:
        item = {"card": cards[0]["uuid"], "outcome": "overridden", "overrideReason": {"reason": reason}}
        return {"feedback": [item]}

    refused = client.post(
        "/cds-services/patient-view/feedback", json=overridden({"system": "x", "code": marker})
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["issue"][0]["expression"] == ["feedback[0].overrideReason.reason"]
    assert marker not in refused.text
    stored = client.post(
        "/cds-services/patient-view/feedback", json=overridden({**offered, "display": marker})
    )
    assert stored.status_code == 200, stored.text
    with sqlite3.connect(audit_path) as db:
        text = "\n".join(r[0] for r in db.execute("SELECT record FROM ir_feedback"))
    assert marker not in text
    assert offered["display"] in text


def test_missing_prefetch_is_412_and_names_it(client: httpx.Client) -> None:
    request = hook_request("patient-view", _ruleset(), None)
    reply = client.post("/cds-services/patient-view", json=request)
    assert reply.status_code == 412
    assert reply.json()["resourceType"] == "OperationOutcome"
    assert reply.json()["issue"][0]["expression"] == ["prefetch.patient"]
    request = hook_request("patient-view", _ruleset(), {"age": 30})
    request["prefetch"]["assessment"] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    reply = client.post("/cds-services/patient-view", json=request)
    assert (reply.status_code, reply.json()["issue"][0]["expression"]) == (412, ["prefetch.assessment"])


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda r: r.pop("hookInstance"), "hookInstance"),
        (lambda r: r.update(hook="order-sign"), "hook"),
        (
            lambda r: r["prefetch"].update(patient={"resourceType": "Observation"}),
            "prefetch.patient.resourceType",
        ),
        (
            lambda r: r["prefetch"]["assessment"]["entry"][0]["resource"]["item"].append(
                {"linkId": "secret_field", "answer": [{"valueString": "x"}]}
            ),
            "secret_field",
        ),
    ],
)
def test_malformed_input_is_400_with_an_operation_outcome_naming_the_problem(
    client: httpx.Client, change: Any, where: str
) -> None:
    request = hook_request("patient-view", _ruleset(), {"age": 33, "medications": ["private medicine"]})
    change(request)
    reply = client.post("/cds-services/patient-view", json=request)
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert body["resourceType"] == "OperationOutcome"
    assert any(
        where in e for issue in body["issue"] for e in [*issue.get("expression", []), issue["diagnostics"]]
    )
    assert "private medicine" not in reply.text
    assert "33" not in json.dumps(body)


def test_a_wrong_answer_type_names_the_link_id_not_the_value(client: httpx.Client) -> None:
    request = hook_request("patient-view", _ruleset(), {"age": 33})
    request["prefetch"]["assessment"]["entry"][0]["resource"]["item"][0]["answer"] = [
        {"valueString": "thirty-three"}
    ]
    reply = client.post("/cds-services/patient-view", json=request)
    assert reply.status_code == 400
    (issue,) = reply.json()["issue"]
    assert issue["expression"] == ["age"]
    assert issue["details"]["coding"][0]["system"] == "urn:intervention-rules:problem-code"
    assert issue["details"]["coding"][0]["code"].startswith("IR")
    assert "age" in json.dumps(reply.json())
    assert "thirty-three" not in reply.text


def test_not_json_and_unknown_services_are_answered_with_operation_outcomes(client: httpx.Client) -> None:
    reply = client.post(
        "/cds-services/patient-view", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert reply.status_code == 400
    assert reply.json()["resourceType"] == "OperationOutcome"
    reply = client.post(
        "/cds-services/nothing-here", json=hook_request("nothing-here", _ruleset(), {"age": 30})
    )
    assert reply.status_code == 404
    assert reply.json()["resourceType"] == "OperationOutcome"


def test_a_malformed_request_names_each_field_with_its_own_problem(client: httpx.Client) -> None:
    """One issue per problem, each naming its field as the other errors do (``feedback[0].card``);
    a body that is not JSON names no field (not the offset of the first bad character)."""
    reply = client.post(
        "/cds-services/patient-view", content=b'{"private', headers={"content-type": "application/json"}
    )
    assert reply.status_code == 400
    assert reply.json()["issue"] == [
        {"severity": "error", "code": "invalid", "diagnostics": "the request body is not valid JSON"}
    ]
    for body, headers in (("[]", {"content-type": "application/json"}), (json.dumps({"hook": "x"}), {})):
        reply = client.post("/cds-services/patient-view", content=body.encode(), headers=headers)
        assert reply.json()["issue"] == [
            {
                "severity": "error",
                "code": "invalid",
                "diagnostics": "the request body must be a JSON object, sent as application/json",
            }
        ]
    request = hook_request("patient-view", _ruleset(), {"age": 30})
    request.pop("hookInstance")
    request["hook"] = 7
    issues = client.post("/cds-services/patient-view", json=request).json()["issue"]
    assert sorted((i["expression"], i["diagnostics"]) for i in issues) == [
        (["hook"], "malformed request (string_type)"),
        (["hookInstance"], "malformed request (missing)"),
    ]
    reply = client.post(
        "/cds-services/patient-view/feedback", json={"feedback": [{"card": "x", "outcome": "accepted"}, {}]}
    )
    assert sorted(i["expression"][0] for i in reply.json()["issue"]) == [
        "feedback[1].card",
        "feedback[1].outcome",
    ]


def test_a_body_over_the_limit_is_413_whether_declared_or_streamed(base: str) -> None:
    big = b'{"hook": "patient-view", "padding": "' + b"x" * 300_000 + b'"}'
    with httpx.Client(base_url=base, timeout=30) as client:
        reply = client.post(
            "/cds-services/patient-view", content=big, headers={"content-type": "application/json"}
        )
        assert reply.status_code == 413
        assert reply.json()["issue"][0]["code"] == "too-long"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while reading
            for i in range(0, len(big), 16_384):
                yield big[i : i + 16_384]

        reply = client.post(
            "/cds-services/patient-view", content=chunks(), headers={"content-type": "application/json"}
        )
        assert reply.status_code == 413


def test_200_concurrent_requests_get_the_same_cards_as_in_process(base: str) -> None:
    reasons = ["emotional_regulation", "coping", "communication", "self_punishment", "sense_of_control"]
    conditions = [[], ["depression"], ["anxiety", "depression"], ["bipolar_disorder"], ["psychotic_symptoms"]]
    assessments = [
        {
            "age": 10 + (i * 7) % 70,
            "reasons": reasons[: 1 + i % 5],
            "conditions": conditions[i % 5],
            "pattern": ["first_episode", "repeated", "frequent"][i % 3],
            "family": {"involved": i % 2 == 0, "safeguarding_concern": i % 7 == 0},
        }
        for i in range(200)
    ]
    ruleset = _ruleset()

    async def call_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            base_url=base, timeout=120, limits=httpx.Limits(max_connections=200)
        ) as client:
            return await asyncio.gather(
                *(
                    client.post("/cds-services/patient-view", json=hook_request("patient-view", ruleset, a))
                    for a in assessments
                )
            )

    replies = asyncio.run(call_all())
    assert [r.status_code for r in replies] == [200] * 200
    assert [r.json()["cards"] for r in replies] == [_in_process(a) for a in assessments]


def test_a_request_whose_audit_record_cannot_be_written_gets_an_error_not_cards(tmp_path: Path) -> None:
    config = sqlite_config(tmp_path)
    with sqlite3.connect(tmp_path / "audit.sqlite3") as db:  # the store starts refusing every write
        db.execute(
            "CREATE TRIGGER broken BEFORE INSERT ON ir_decision BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    with running(_ruleset(), config) as base, httpx.Client(base_url=base) as client:
        reply = client.post(
            "/cds-services/patient-view", json=hook_request("patient-view", _ruleset(), {"age": 30})
        )
    assert reply.status_code == 503
    assert reply.json()["resourceType"] == "OperationOutcome"
    assert "cards" not in reply.json()


def test_the_input_is_stored_only_when_configured(tmp_path: Path) -> None:
    config = sqlite_config(tmp_path, store_input=True)
    request = hook_request("patient-view", _ruleset(), {"age": 30})
    with running(_ruleset(), config) as base, httpx.Client(base_url=base) as client:
        assert client.post("/cds-services/patient-view", json=request).status_code == 200
    (record,) = _audit(tmp_path / "audit.sqlite3")
    assert record["input"]["prefetch"] == request["prefetch"]


def test_the_audit_names_the_rule_behind_each_card_of_several_orders(
    client: httpx.Client, audit_path: Path
) -> None:
    """Cards of several orders (a warning for the first, a critical alert for the second) are each
    recorded with the rule they show."""
    assessment = {"age": 22, "conditions": ["depression", "bipolar_disorder"], "can_become_pregnant": True}
    orders = (
        medication_request("Sertraline 50 mg", rid="a"),
        medication_request("Sodium valproate", rid="b"),
    )
    request = hook_request("order-sign", _ruleset(), assessment, draftOrders=draft_orders(*orders))
    cards = client.post("/cds-services/order-sign", json=request).json()["cards"]
    assert [c["indicator"] for c in cards] == ["warning", "critical", "warning"]
    record = next(r for r in _audit(audit_path) if r["hook_instance"] == request["hookInstance"])
    assert [c["uuid"] for c in record["cards"]] == [c["uuid"] for c in cards]
    for card, kept in zip(cards, record["cards"], strict=True):
        (rule,) = kept["rules"]
        assert f"({rule}" in card["detail"]
    assert [a["rule"] for a in record["alerts"]] == [
        "ORDER-ANTIDEPRESSANT-EARLY-REVIEW",
        "ORDER-VALPROATE-PREGNANCY",
        "ORDER-VALPROATE-UNDER-55",
    ]


@pytest.mark.parametrize("value", ["Infinity", "NaN", "-1", "1e308", '"ten"'])
def test_an_unreadable_or_huge_supply_is_a_400_or_capped_never_a_failure(
    client: httpx.Client, value: str
) -> None:
    order = medication_request("Sertraline 50 mg", supply_days=14)
    request = hook_request("order-sign", _ruleset(), {"age": 40}, draftOrders=draft_orders(order))
    body = json.dumps(request).replace('"value": 14', f'"value": {value}')
    reply = client.post(
        "/cds-services/order-sign", content=body, headers={"content-type": "application/json"}
    )
    if value == "1e308":  # more days than anyone is supplied: capped, and a large supply
        assert any("ORDER-LARGE-SUPPLY" in card["detail"] for card in reply.json()["cards"])
    else:
        assert reply.status_code == 400
        where = "context.draftOrders.entry[0].resource.dispenseRequest.expectedSupplyDuration.value"
        assert reply.json()["issue"][0]["expression"] == [where]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda r: r["context"].update(userId="\udc00x"), "context.userId"),
        (lambda r: r["context"].update(extra={"\ud800": 1}), "context.extra"),
        # a key that is not name-like may be text a person wrote: not quoted (docs/errors.md)
        (lambda r: r["context"].update({"Jane Doe, 12 Acacia Avenue": {"x": "\ud800"}}), "context.<key>.x"),
        (
            lambda r: r["prefetch"]["patient"].update(name=[{"text": "a\udfffb"}]),
            "prefetch.patient.name[0].text",
        ),
    ],
)
def test_text_that_is_not_valid_unicode_is_a_400_naming_the_field(
    client: httpx.Client, change: Any, where: str
) -> None:
    request = hook_request("patient-view", _ruleset(), {"age": 33})
    change(request)
    # json.dumps writes the lone surrogate as a \\u escape, as a careless client would send it.
    reply = client.post(
        "/cds-services/patient-view",
        content=json.dumps(request).encode("ascii"),
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 400, reply.text
    assert reply.json()["resourceType"] == "OperationOutcome"
    assert reply.json()["issue"][0]["expression"] == [where]
    feedback = {"feedback": [{"card": "\udc00x", "outcome": "accepted"}]}
    reply = client.post(
        "/cds-services/patient-view/feedback",
        content=json.dumps(feedback).encode("ascii"),
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 400
    assert reply.json()["issue"][0]["expression"][0].endswith("card")


def _other_patient(where: str) -> Any:
    def change(request: dict[str, Any]) -> None:
        if where == "prefetch.patient.id":
            request["prefetch"]["patient"]["id"] = "someone-else"
        elif where == "prefetch.assessment.subject.reference":
            request["prefetch"]["assessment"]["entry"][0]["resource"]["subject"] = {
                "reference": "Patient/someone-else"
            }
        else:
            request["context"]["patientId"] = "someone-else"

    return change


@pytest.mark.parametrize(
    "where", ["context.patientId", "prefetch.patient.id", "prefetch.assessment.subject.reference"]
)
def test_cards_are_only_for_the_patient_in_context(client: httpx.Client, where: str) -> None:
    for hook in ("patient-view", "order-sign"):
        extra = (
            {"draftOrders": draft_orders(medication_request("sertraline"))} if hook == "order-sign" else {}
        )
        request = hook_request(hook, _ruleset(), {"age": 15}, **extra)
        _other_patient(where)(request)
        reply = client.post(f"/cds-services/{hook}", json=request)
        assert reply.status_code == 400, reply.text
        (issue,) = reply.json()["issue"]
        assert "context.patientId" in issue["expression"]
        assert where in issue["expression"]
        assert "someone-else" not in reply.text
        assert "example" not in reply.text


def test_the_assessment_must_name_its_subject(client: httpx.Client) -> None:
    request = hook_request("patient-view", _ruleset(), {"age": 30})
    del request["prefetch"]["assessment"]["entry"][0]["resource"]["subject"]
    reply = client.post("/cds-services/patient-view", json=request)
    assert reply.status_code == 400
    assert "prefetch.assessment.subject.reference" in reply.json()["issue"][0]["expression"]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda r: r["context"].update(patientId=42), "context.patientId"),
        (lambda r: r["context"].pop("patientId"), "context.patientId"),
        (lambda r: r.update(hookInstance="not-a-uuid"), "hookInstance"),
    ],
)
def test_patient_id_must_be_text_and_the_hook_instance_a_uuid(
    client: httpx.Client, change: Any, where: str
) -> None:
    request = hook_request("patient-view", _ruleset(), {"age": 30})
    change(request)
    reply = client.post("/cds-services/patient-view", json=request)
    assert reply.status_code == 400, reply.text
    assert where in reply.json()["issue"][0]["expression"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/cds-services/patient-view", None, 405),
        ("GET", "/no-such-path", None, 404),
        ("GET", "/docs", None, 404),
        ("POST", "/cds-services/patient-view", b"{not json", 400),
        ("POST", "/cds-services/patient-view", b"[" * 5000 + b"]" * 5000, 400),
    ],
)
def test_every_error_is_an_operation_outcome(
    client: httpx.Client, method: str, path: str, body: bytes | None, status: int
) -> None:
    """Errors the framework raises itself (wrong method, unknown path, unparseable body) are FHIR
    OperationOutcomes too; the browsable API pages, which load third-party scripts, are not served."""
    reply = client.request(method, path, content=body, headers={"content-type": "application/json"})
    assert reply.status_code == status, reply.text
    assert reply.json()["resourceType"] == "OperationOutcome"


def test_two_orders_with_the_same_conflict_give_cards_told_apart(client: httpx.Client) -> None:
    """Each order's card names its MedicationRequest and has its own uuid, so feedback and the
    audit trail know which order a clinician accepted or overrode."""
    first = medication_request("Venlafaxine 75 mg capsule", rid="draft-1", supply_days=7)
    second = medication_request("Venlafaxine 37.5 mg tablet", rid="draft-2", supply_days=7)

    def sign() -> list[dict[str, Any]]:
        assessment = {"age": 15, "conditions": ["depression"]}
        return _order_cards(client, "order-sign", assessment, first, second, follow_up("2026-12-02"))

    cards = sign()
    assert len(cards) >= 2
    assert len({c["uuid"] for c in cards}) == len(cards)
    named = {"draft-1": 0, "draft-2": 0}
    for card in cards:
        (order,) = [o for o in named if f"MedicationRequest/{o}" in card["detail"]]
        named[order] += 1
    assert named["draft-1"] == named["draft-2"] >= 1
    again = sign()
    assert [c["uuid"] for c in again] == [c["uuid"] for c in cards]  # stable for the same decision
