"""The real service for the tests: uvicorn on 127.0.0.1 on a free port, in a thread of the test
process, driven by a real HTTP client (httpx). Also the requests an EHR would send."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

import intervention_rules as ir
from intervention_rules import fhir
from intervention_rules.service import ServiceConfig, SQLiteSink, create_app

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
AUTHORED = "2026-11-30"


@contextmanager
def running(ruleset: ir.RuleSet, config: ServiceConfig) -> Iterator[str]:
    """Serve the rule set until the block ends; yields the base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(ruleset, config), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    while thread.is_alive() and not started.wait(0.01):
        if server.started:
            started.set()
    assert server.started, "the service did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@contextmanager
def serve_process(*args: str, cwd: Path) -> Iterator[str]:
    """``intervention-rules serve --port 0`` with ``args`` as a real process, until the block ends;
    yields the base URL it announces once it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "intervention_rules", "serve", "--port", "0", *args],
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )
    try:
        assert process.stderr is not None
        announced = ""
        while not announced.startswith("serving"):
            announced = process.stderr.readline()
            assert announced, "the service ended without announcing itself"
        yield announced.rsplit(" on ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=30)


def sqlite_config(tmp_path: Path, **options: Any) -> ServiceConfig:
    return ServiceConfig(sink=SQLiteSink(tmp_path / "audit.sqlite3"), salt=b"test salt", **options)


def patient(birth_date: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Patient", "id": "example"}
    if birth_date:
        resource["birthDate"] = birth_date
    return resource


def searchset(*resources: Mapping[str, Any]) -> dict[str, Any]:
    """A search result Bundle, as the EHR fills the prefetch template for the latest response."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": dict(r)} for r in resources],
    }


def hook_request(
    hook: str, ruleset: ir.RuleSet, assessment: Mapping[str, Any] | None, **context: Any
) -> dict[str, Any]:
    """A CDS Hooks request with the prefetch filled (None: no prefetch at all)."""
    request: dict[str, Any] = {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/example", "patientId": "example", **context},
    }
    if assessment is not None:
        response = fhir.questionnaire_response_from_assessment(dict(assessment), ruleset)
        response.update(authored=AUTHORED, subject={"reference": "Patient/example"})
        born = f"{int(AUTHORED[:4]) - assessment['age'] - 1}-12-01"  # the age in years on AUTHORED
        request["prefetch"] = {"patient": patient(born), "assessment": searchset(response)}
    return request


def medication_request(
    text: str, *, rid: str = "draft-1", supply_days: int | None = None, authored: str = "2026-11-30"
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/example"},
        "authoredOn": authored,
        "medicationCodeableConcept": {"text": text},
    }
    if supply_days is not None:
        resource["dispenseRequest"] = {
            "expectedSupplyDuration": {
                "value": supply_days,
                "unit": "days",
                "system": "http://unitsofmeasure.org",
                "code": "d",
            }
        }
    return resource


def follow_up(start: str) -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "id": "review",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/example"},
        "code": {"text": "Review after starting an antidepressant"},
        "occurrenceDateTime": start,
    }


def draft_orders(*resources: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": dict(r)} for r in resources],
    }
