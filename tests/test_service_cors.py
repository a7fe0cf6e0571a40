"""Cross-origin requests from browser-based CDS clients, against the real service on 127.0.0.1
called with httpx sending the headers a browser sends: preflight and actual requests from an
allowed and a disallowed origin, the default of no CORS header at all, the request-size limit and
the audit trail behind the middleware, and ``serve --cors-origin`` as a real process."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import intervention_rules as ir
from helpers import cli
from intervention_rules.service import AuditSink
from service_server import RULES, hook_request, running, serve_process, sqlite_config

EHR = "https://ehr.example.org"
OTHER = "https://elsewhere.example.com"
HOOK = "/cds-services/patient-view"
ASSESSMENT = {"age": 15, "reasons": ["emotional_regulation"]}


@functools.cache
def _ruleset() -> ir.RuleSet:
    return ir.load_ruleset(RULES)


def _preflight(client: httpx.Client, origin: str, path: str = HOOK, method: str = "POST") -> httpx.Response:
    """What a browser sends before a cross-origin POST of JSON with a bearer token."""
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )


def _call(client: httpx.Client, origin: str) -> httpx.Response:
    return client.post(
        HOOK,
        json=hook_request("patient-view", _ruleset(), ASSESSMENT),
        headers={"Origin": origin, "Authorization": "Bearer eyJhbGciOi.e30.c2ln"},
    )


@pytest.fixture
def cors(tmp_path: Path) -> Iterator[tuple[httpx.Client, AuditSink]]:
    config = sqlite_config(tmp_path, cors_origins=[EHR, "http://127.0.0.1:3000"], max_body=50_000)
    with running(_ruleset(), config) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client, config.sink


def _records(sink: AuditSink) -> list[str]:
    return [record["kind"] for record in sink.export()]


def test_a_preflight_from_an_allowed_origin_allows_posting_json_with_a_bearer_token(
    cors: tuple[httpx.Client, AuditSink],
) -> None:
    client, sink = cors
    for path, method in ((HOOK, "POST"), (f"{HOOK}/feedback", "POST"), ("/cds-services", "GET")):
        answer = _preflight(client, EHR, path, method)
        assert answer.status_code == 200, answer.text
        assert answer.headers["access-control-allow-origin"] == EHR
        methods = {m.strip() for m in answer.headers["access-control-allow-methods"].split(",")}
        assert methods == {"GET", "POST"}
        allowed = {h.strip().lower() for h in answer.headers["access-control-allow-headers"].split(",")}
        assert {"authorization", "content-type"} <= allowed
        assert "access-control-allow-credentials" not in answer.headers
        assert "Origin" in answer.headers["vary"]
    # the middleware answers a preflight itself: it is no hook call, and nothing is audited
    assert _records(sink) == []


def test_an_allowed_origin_reads_the_cards_and_the_call_is_audited(
    cors: tuple[httpx.Client, AuditSink],
) -> None:
    client, sink = cors
    answer = _call(client, EHR)
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == EHR
    assert "Origin" in answer.headers["vary"]
    ruleset = _ruleset()
    assert answer.json()["cards"] == ruleset.evaluate(ASSESSMENT).to_cds_hooks(ruleset=ruleset)
    assert _records(sink) == ["decision"]
    discovery = client.get("/cds-services", headers={"Origin": "http://127.0.0.1:3000"})
    assert discovery.headers["access-control-allow-origin"] == "http://127.0.0.1:3000"


def test_a_disallowed_origin_is_refused_its_preflight_and_gets_no_cors_header(
    cors: tuple[httpx.Client, AuditSink],
) -> None:
    client, sink = cors
    for origin in (OTHER, EHR + "/", "https://EHR.example.org", "null", "https://ehr.example.org.evil.test"):
        answer = _preflight(client, origin)
        assert answer.status_code == 400, origin
        assert "access-control-allow-origin" not in answer.headers
    # A preflight asking for a method the service does not take is refused too.
    assert _preflight(client, EHR, method="DELETE").status_code == 400
    # CORS is no access control: a request sent anyway is answered (and audited, like any call),
    # but without the header a browser would let the page read it by.
    answer = _call(client, OTHER)
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers
    assert _records(sink) == ["decision"]


def test_the_size_limit_still_applies_and_its_413_is_readable_by_an_allowed_origin(
    cors: tuple[httpx.Client, AuditSink],
) -> None:
    client, sink = cors
    answer = client.post(
        HOOK, content=b"{" + b" " * 60_000 + b"}", headers={"Origin": EHR, "Content-Type": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.headers["access-control-allow-origin"] == EHR
    assert answer.json()["issue"][0]["code"] == "too-long"
    assert _records(sink) == []


def test_the_try_out_page_and_health_still_work(cors: tuple[httpx.Client, AuditSink]) -> None:
    client, _ = cors
    page = client.get("/")  # same origin: a browser sends no Origin with a GET
    assert page.status_code == 200
    assert "<form" in page.text
    assert "access-control-allow-origin" not in page.headers
    health = client.get("/health", headers={"Origin": EHR})
    assert health.json()["ruleset"]["digest"] == _ruleset().digest
    assert health.headers["access-control-allow-origin"] == EHR


def test_by_default_no_origin_is_allowed_and_no_cors_header_is_sent(tmp_path: Path) -> None:
    config = sqlite_config(tmp_path)
    with running(_ruleset(), config) as base, httpx.Client(base_url=base, timeout=30) as client:
        answer = _preflight(client, EHR)
        assert answer.status_code == 405
        assert not [name for name in answer.headers if name.startswith("access-control-")]
        answer = _call(client, EHR)
        assert answer.status_code == 200
        assert not [name for name in answer.headers if name.startswith("access-control-")]


@pytest.mark.parametrize(
    ("origins", "message"),
    [
        (["*"], "'*' is not accepted"),
        (["https://ehr.example.org/"], "write 'https://ehr.example.org'"),
        (["https://EHR.example.org"], "write 'https://ehr.example.org'"),
        (["https://ehr.example.org:443"], "write 'https://ehr.example.org'"),
        (["https://ehr.example.org/cds"], "write 'https://ehr.example.org'"),
        (["ehr.example.org"], "not an origin"),
        (["null"], "not an origin"),
        (["ftp://ehr.example.org"], "not an origin"),
        (["https://ehr.example.org:99999"], "not an origin"),
    ],
)
def test_the_configuration_takes_only_origins(tmp_path: Path, origins: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("*", r"\*")):
        sqlite_config(tmp_path, cors_origins=origins)


def test_the_configuration_takes_a_list_not_one_string(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="a list of origins"):
        sqlite_config(tmp_path, cors_origins=EHR)
    config = sqlite_config(tmp_path, cors_origins=["http://[::1]:8443", "http://localhost:3000"])
    assert config.cors_origins == ("http://[::1]:8443", "http://localhost:3000")


@pytest.mark.parametrize("origin", ["*", "https://ehr.example.org/"])
def test_serve_refuses_what_is_not_an_origin_as_wrong_usage(tmp_path: Path, origin: str) -> None:
    result = cli("serve", "--cors-origin", origin, "--audit", str(tmp_path / "a.db"))
    assert result.returncode == 2, result.stderr
    assert "argument --cors-origin:" in result.stderr
    assert not (tmp_path / "a.db").exists()


def test_serve_with_cors_origins_answers_their_preflight(tmp_path: Path) -> None:
    args = ["--audit", str(tmp_path / "a.db"), "--cors-origin", EHR, "--cors-origin", "http://127.0.0.1:3000"]
    with serve_process(*args, cwd=tmp_path) as base, httpx.Client(base_url=base, timeout=30) as client:
        for origin in (EHR, "http://127.0.0.1:3000"):
            assert _preflight(client, origin).headers["access-control-allow-origin"] == origin
        assert _preflight(client, OTHER).status_code == 400
