"""The service's OpenAPI description, fuzzed with schemathesis against the running service: no input
it describes (or that breaks its description) makes the service fail with a 5xx."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

import intervention_rules as ir
from service_server import RULES, running, sqlite_config


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running(ir.load_ruleset(RULES), sqlite_config(tmp_path_factory.mktemp("audit"))) as url:
        yield url


@pytest.fixture(scope="module")
def api(base: str) -> Any:
    return schemathesis.openapi.from_url(f"{base}/openapi.json")


def test_the_description_names_the_services_and_their_errors(base: str) -> None:
    description = httpx.get(f"{base}/openapi.json").json()
    call = description["paths"]["/cds-services/{service_id}"]["post"]
    assert {"200", "400", "404", "412", "413", "503"} <= set(call["responses"])
    assert "/cds-services/{service_id}/feedback" in description["paths"]


def _fuzz(operation: Any, mode: GenerationMode) -> Any:
    @given(case=operation.as_strategy(mode))
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def call(case: Any) -> None:
        response = case.call()
        assert response.status_code < 500, (operation.label, mode, response.status_code, response.text[:300])

    return call


def test_no_input_makes_the_service_fail(api: Any) -> None:
    """Every operation, with generated valid and invalid input (bounded, derandomised)."""
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 5
    for operation, mode in itertools.product(operations, GenerationMode):
        if mode is GenerationMode.NEGATIVE and operation.method.upper() != "POST":
            continue  # a GET without parameters has no invalid input to generate
        _fuzz(operation, mode)()
