"""The audit trail's two real back ends, SQLite and a PostgreSQL 15 server started by the test run:
records are appended and read back in time order, never updated or deleted, and feedback is found
through the card it answers. Also the export and report commands over a real store."""

from __future__ import annotations

import datetime
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

import intervention_rules as ir
from helpers import cli
from intervention_rules.service import (
    AuditError,
    AuditSink,
    DecisionRecord,
    FeedbackRecord,
    PostgresSink,
    ServiceConfig,
    SQLiteSink,
    input_hash,
    open_sink,
)
from postgres import postgres_url
from service_server import (
    RULES,
    draft_orders,
    follow_up,
    hook_request,
    medication_request,
    running,
    sqlite_config,
)

__all__ = ["postgres_url"]  # the session fixture, shared with the service tests


@pytest.fixture
def postgres_database(postgres_url: str) -> str:
    """A database of its own for one test, on the session's server."""
    name = "audit_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]  # a generated name
    return postgres_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgres"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "audit.sqlite3")
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture
def sink(where: str) -> Iterator[AuditSink]:
    store = open_sink(where)
    yield store
    store.close()


def decision(
    n: int, time: str, cards: tuple[str, ...] = ("card-a",), service: str = "patient-view"
) -> DecisionRecord:
    return DecisionRecord(
        decision_id=f"decision-{n}",
        time=time,
        service=service,
        hook_instance=f"hook-{n}",
        ruleset_name="example",
        ruleset_version="1.0.0",
        ruleset_digest="sha256:" + "0" * 64,
        fired=("RULE-A", "RULE-B"),
        recommendations=("cbt",),
        cautions=({"intervention": "cbt", "rule": "RULE-B", "severity": "warning"},),
        alerts=(),
        cards=tuple(
            {
                "uuid": c,
                "summary": "Consider CBT",
                "indicator": "warning",
                "interventions": ["cbt"],
                "rules": ["RULE-A", "RULE-B"],
            }
            for c in cards
        ),
        input_hash=input_hash(b"salt", {"n": n}),
    )


def feedback(n: int, decision_id: str, card: str, outcome: str, time: str) -> FeedbackRecord:
    reason = {"code": "patient-declined", "display": "Patient declined"} if outcome == "overridden" else None
    return FeedbackRecord(
        feedback_id=f"feedback-{n}",
        time=time,
        decision_id=decision_id,
        card=card,
        outcome=outcome,
        outcome_time=time,
        override_reason=reason,
    )


def test_records_come_back_in_time_order_and_feedback_finds_its_decision(sink: AuditSink) -> None:
    sink.record_decision(decision(1, "2026-01-01T10:00:00.000000+00:00"))
    sink.record_decision(decision(2, "2026-01-02T10:00:00.000000+00:00", cards=("card-a", "card-b")))
    assert sink.decision_for_card("card-a") == "decision-2"  # the latest decision that showed it
    assert sink.decision_for_card("card-b") == "decision-2"
    assert sink.decision_for_card("card-z") is None
    sink.record_feedback(
        [feedback(1, "decision-2", "card-b", "overridden", "2026-01-02T11:00:00.000000+00:00")]
    )
    records = list(sink.export())
    assert [r["kind"] for r in records] == ["decision", "decision", "feedback"]
    assert records[0]["fired"] == ["RULE-A", "RULE-B"]
    assert records[0]["input"] is None
    assert records[0]["input_hash"].startswith("hmac-sha256:")
    assert records[2]["override_reason"] == {"code": "patient-declined", "display": "Patient declined"}
    day2 = datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)
    assert [r.get("decision_id") for r in sink.export(since=day2)] == ["decision-2", "decision-2"]
    assert [r["decision_id"] for r in sink.export(until=day2)] == ["decision-1"]


def test_a_card_is_found_for_the_service_that_showed_it(sink: AuditSink) -> None:
    """Feedback is checked against the service whose decision showed the card (read from the
    decision's own record): the latest decision of that service, or None when only another showed it."""
    sink.record_decision(decision(1, "2026-01-01T10:00:00.000000+00:00", ("card-a",), "order-select"))
    sink.record_decision(decision(2, "2026-01-01T11:00:00.000000+00:00", ("card-a",), "order-sign"))
    sink.record_decision(decision(3, "2026-01-01T12:00:00.000000+00:00", ("card-a",), "order-select"))
    sink.record_decision(decision(4, "2026-01-01T13:00:00.000000+00:00", ("card-v",), "patient-view"))
    assert sink.decision_for_card("card-a", "order-sign") == "decision-2"
    assert sink.decision_for_card("card-a", "order-select") == "decision-3"
    assert sink.decision_for_card("card-a") == "decision-3"
    assert sink.decision_for_card("card-a", "patient-view") is None
    assert sink.decision_for_card("card-v", "order-sign") is None
    assert sink.decision_for_card("card-v", "patient-view") == "decision-4"
    assert sink.decision_for_card("card-z", "patient-view") is None


def test_feedback_through_the_wrong_service_is_refused_on_either_store(where: str) -> None:
    """End to end on SQLite and PostgreSQL: an order-sign card's feedback sent to patient-view is a
    400 naming the field and nothing is recorded; sent to order-sign it is recorded."""
    ruleset = ir.load_ruleset(RULES)
    orders = draft_orders(
        medication_request("Paroxetine 20 mg tablet", supply_days=7), follow_up("2026-12-04")
    )
    request = hook_request(
        "order-sign", ruleset, {"age": 15, "conditions": ["depression"]}, draftOrders=orders
    )
    config = ServiceConfig(sink=open_sink(where), salt=b"salt")
    with running(ruleset, config) as base:
        (card,) = httpx.post(f"{base}/cds-services/order-sign", json=request).json()["cards"]
        answer = {"feedback": [{"card": card["uuid"], "outcome": "accepted"}]}
        refused = httpx.post(f"{base}/cds-services/patient-view/feedback", json=answer)
        assert refused.status_code == 400
        assert refused.json()["issue"][0]["expression"] == ["feedback[0].card"]
        assert [r["kind"] for r in config.sink.export()] == ["decision"]
        assert httpx.post(f"{base}/cds-services/order-sign/feedback", json=answer).status_code == 200
    records = list(config.sink.export())
    config.sink.close()
    assert [(r["kind"], r["decision_id"]) for r in records] == [
        ("decision", records[0]["decision_id"]),
        ("feedback", records[0]["decision_id"]),
    ]


def test_each_order_card_records_the_order_it_concerns(tmp_path: Path) -> None:
    """An order hook's card records, under ``order``, the draft order it concerns: its FHIR reference
    when its id is a valid FHIR id, otherwise its place in the bundle (an id that is not a FHIR id is
    text the client wrote, so it is not copied). A patient-view card concerns no order and has none."""
    ruleset = ir.load_ruleset(RULES)
    assessment = {"age": 15, "conditions": ["depression"]}
    orders = draft_orders(
        medication_request("Paroxetine 20 mg tablet", supply_days=7),
        follow_up("2026-12-04"),
        medication_request("Paroxetine 20 mg tablet", rid="Jane Doe 2011", supply_days=7),
    )
    config = sqlite_config(tmp_path)
    with running(ruleset, config) as base:
        signed = httpx.post(
            f"{base}/cds-services/order-sign",
            json=hook_request("order-sign", ruleset, assessment, draftOrders=orders),
        )
        viewed = httpx.post(
            f"{base}/cds-services/patient-view", json=hook_request("patient-view", ruleset, assessment)
        )
    assert signed.status_code == viewed.status_code == 200
    records = [r for r in config.sink.export() if r["kind"] == "decision"]
    config.sink.close()
    by_service = {r["service"]: r for r in records}
    assert {card["uuid"]: card["order"] for card in by_service["order-sign"]["cards"]} == {
        signed.json()["cards"][0]["uuid"]: "MedicationRequest/draft-1",
        signed.json()["cards"][1]["uuid"]: "context.draftOrders.entry[2].resource",
    }
    assert "Jane Doe" not in json.dumps(records)
    assert by_service["patient-view"]["cards"]
    assert all("order" not in card for card in by_service["patient-view"]["cards"])


def test_the_trail_is_append_only(where: str, sink: AuditSink) -> None:
    """A record cannot be changed or removed, even with SQL typed by hand."""
    sink.record_decision(decision(1, "2026-01-01T10:00:00.000000+00:00"))
    for statement in (
        "UPDATE ir_decision SET time = 'x'",
        "DELETE FROM ir_decision",
        "DELETE FROM ir_decision_card",
    ):
        if where.startswith("postgresql://"):
            with (
                psycopg.connect(where, autocommit=True) as db,
                pytest.raises(psycopg.Error, match="append-only"),
            ):
                db.execute(statement)  # type: ignore[arg-type]  # constant SQL
        else:
            with sqlite3.connect(where) as db, pytest.raises(sqlite3.DatabaseError, match="append-only"):
                db.execute(statement)
    assert len(list(sink.export())) == 1


def test_a_record_that_cannot_be_written_raises_and_leaves_nothing_half_written(sink: AuditSink) -> None:
    sink.record_decision(decision(1, "2026-01-01T10:00:00.000000+00:00"))
    with pytest.raises(AuditError, match="cannot write the audit record"):
        sink.record_decision(decision(1, "2026-01-01T10:00:00.000000+00:00", cards=("card-new",)))
    assert sink.decision_for_card("card-new") is None  # the card row went with the failed transaction


def test_unreachable_stores_are_audit_errors(tmp_path: Path, postgres_url: str) -> None:
    with pytest.raises(AuditError, match="cannot open the SQLite audit store"):
        SQLiteSink(tmp_path / "no" / "such" / "dir" / "audit.sqlite3")
    with pytest.raises(AuditError, match="cannot open the PostgreSQL audit store"):
        PostgresSink(postgres_url.rsplit("/", 1)[0] + "/no_such_database")


def test_the_input_hash_is_salted_and_ignores_key_order() -> None:
    assert input_hash(b"a", {"x": 1, "y": 2}) == input_hash(b"a", {"y": 2, "x": 1})
    assert input_hash(b"a", {"x": 1}) != input_hash(b"b", {"x": 1})
    assert "1" not in input_hash(b"a", {"x": 1}).split(":")[0]


def _fill(where: str) -> None:
    store = open_sink(where)
    store.record_decision(decision(1, "2026-03-01T09:00:00.000000+00:00", cards=("card-a",)))
    store.record_decision(decision(2, "2026-03-02T09:00:00.000000+00:00", cards=("card-b",)))
    store.record_decision(decision(3, "2026-04-01T09:00:00.000000+00:00", cards=("card-c",)))
    store.record_feedback(
        [
            feedback(1, "decision-1", "card-a", "accepted", "2026-03-01T10:00:00.000000+00:00"),
            feedback(2, "decision-2", "card-b", "overridden", "2026-03-02T10:00:00.000000+00:00"),
            feedback(3, "decision-3", "card-c", "overridden", "2026-04-01T10:00:00.000000+00:00"),
        ]
    )
    store.close()


def test_export_writes_json_lines_over_a_date_range(where: str, tmp_path: Path) -> None:
    _fill(where)
    result = cli(*["audit", "export", "--audit", where, "--since", "2026-03-02", "--until", "2026-04-01"])
    status, out, err = result.returncode, result.stdout, result.stderr
    assert status == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(r["kind"], r["decision_id"]) for r in lines] == [
        ("decision", "decision-2"),
        ("feedback", "decision-2"),
    ]


def test_report_counts_shown_accepted_and_overridden_per_rule_and_intervention(where: str) -> None:
    _fill(where)
    result = cli(*["audit", "report", "--audit", where, "--format", "md", "--until", "2026-04-01"])
    status, out, err = result.returncode, result.stdout, result.stderr
    assert status == 0, err
    assert "- Decisions served: 2" in out
    assert "| RULE-A | 2 | 1 | 1 | 50% | Patient declined (1) |" in out
    assert "| cbt | 2 | 1 | 1 | 50% | Patient declined (1) |" in out
    result = cli(*["audit", "report", "--audit", where, "--format", "html"])
    status, html, err = result.returncode, result.stdout, result.stderr
    assert status == 0, err
    assert '<strong id="decisions">3</strong>' in html
    assert "<td>Patient declined (2)</td>" in html


def test_audit_commands_on_a_missing_store_are_usage_errors(tmp_path: Path) -> None:
    result = cli(*["audit", "export", "--audit", str(tmp_path / "none.sqlite3")])
    status, out, err = result.returncode, result.stdout, result.stderr
    assert (status, out) == (2, "")
    assert "no audit store at" in err


def test_an_output_file_that_cannot_be_opened_is_wrong_usage_naming_it(tmp_path: Path) -> None:
    """As for the other commands' --output: status 2 naming the file, not 74 for "the output"."""
    where = str(tmp_path / "audit.sqlite3")
    _fill(where)
    target = tmp_path / "missing-folder" / "trail.jsonl"
    for command in ("export", "report"):
        result = cli("audit", command, "--audit", where, "--output", str(target))
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert (
            result.stderr == f"intervention-rules: error: cannot write {target}: No such file or directory\n"
        )


def test_two_workers_share_one_postgres_trail(postgres_database: str) -> None:
    """Stateless workers: a card served by one worker gets its feedback through another, and the
    same request hashes alike on both (one salt), all in one PostgreSQL trail."""
    ruleset = ir.load_ruleset(RULES)
    workers = [ServiceConfig(sink=PostgresSink(postgres_database), salt=b"shared salt") for _ in range(2)]
    request = hook_request("patient-view", ruleset, {"age": 30, "reasons": ["coping"]})
    with running(ruleset, workers[0]) as first, running(ruleset, workers[1]) as second:
        cards = httpx.post(f"{first}/cds-services/patient-view", json=request).json()["cards"]
        assert httpx.post(f"{second}/cds-services/patient-view", json=request).json()["cards"] == cards
        answer = {"feedback": [{"card": cards[0]["uuid"], "outcome": "accepted"}]}
        assert httpx.post(f"{second}/cds-services/patient-view/feedback", json=answer).status_code == 200
    for worker in workers:
        worker.sink.close()
    store = PostgresSink(postgres_database)
    records = list(store.export())
    store.close()
    decisions = [r for r in records if r["kind"] == "decision"]
    (feedback,) = [r for r in records if r["kind"] == "feedback"]
    assert len(decisions) == 2
    assert decisions[0]["input_hash"] == decisions[1]["input_hash"]
    assert feedback["decision_id"] == decisions[1]["decision_id"]  # the latest decision showing the card
