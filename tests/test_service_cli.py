"""``intervention-rules serve`` as a real process: it serves only the rule set it was told to
(fail closed on a rule set that does not load, a digest that differs or an audit store it cannot
open), and answers on the port it was given."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import intervention_rules as ir
from helpers import ROOT, cli
from service_server import serve_process

RULES = ROOT / "rules"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_digest_that_differs_means_the_service_does_not_start(tmp_path: Path) -> None:
    result = cli(
        "serve",
        "--rules",
        str(RULES),
        "--expected-digest",
        "sha256:" + "0" * 64,
        "--audit",
        str(tmp_path / "a.db"),
    )
    assert result.returncode == 1
    assert "is not the expected sha256:000" in result.stderr
    assert "the service does not start" in result.stderr
    assert not (tmp_path / "a.db").exists()


def test_a_rule_set_that_does_not_load_means_the_service_does_not_start(tmp_path: Path) -> None:
    result = cli(
        "serve", "--rules", str(ROOT / "tests" / "fixtures" / "invalid"), "--audit", str(tmp_path / "a.db")
    )
    assert result.returncode == 1
    assert "the rule set was not loaded" in result.stderr
    result = cli("serve", "--rules", str(tmp_path / "nothing"))
    assert result.returncode == 2
    assert "no rule set at" in result.stderr


def test_an_audit_store_that_cannot_be_opened_means_the_service_does_not_start(tmp_path: Path) -> None:
    closed = f"postgresql://postgres@127.0.0.1:{_free_port()}/postgres?connect_timeout=5"
    result = cli("serve", "--audit", closed)
    assert result.returncode == 1
    assert "cannot open the PostgreSQL audit store" in result.stderr
    result = cli("serve", "--audit", str(tmp_path / "missing-folder" / "audit.db"))
    assert result.returncode == 1
    assert "cannot open the SQLite audit store" in result.stderr


def test_a_port_it_cannot_listen_on_means_the_service_does_not_start(tmp_path: Path) -> None:
    """Exit 1 with one line saying why, and no "serving" announcement, as for any failure to start."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--port", str(port), "--audit", str(tmp_path / "a.db"))
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"intervention-rules: error: cannot listen on 127.0.0.1:{port}: Address already in use; "
        "the service does not start"
    )
    assert not any(line.startswith("serving") for line in result.stderr.splitlines())
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_port_that_is_not_a_port_number_is_wrong_usage(tmp_path: Path, port: str) -> None:
    result = cli("serve", "--port", port, "--audit", str(tmp_path / "a.db"))
    assert result.returncode == 2, result.stderr
    assert "argument --port: not a port number (0 to 65535)" in result.stderr
    assert not (tmp_path / "a.db").exists()


@pytest.mark.parametrize("port", ["\uff18\uff10", "\u0668\u0660", "\u00b2"])
def test_a_port_written_in_other_digits_is_not_a_port_number(tmp_path: Path, port: str) -> None:
    """``int`` reads any script's digits (fullwidth or Arabic-Indic "80" is 80); a port is written
    in ASCII digits, as every other tool writes it. The digest after it is wrong usage too, so that
    a regression is a failed test naming the digest rather than a service started on port 80."""
    result = cli("serve", "--port", port, "--expected-digest", "nonsense", "--audit", str(tmp_path / "a.db"))
    assert result.returncode == 2, result.stderr
    assert "argument --port: not a port number (0 to 65535)" in result.stderr


@pytest.mark.parametrize("digest", ["nonsense", "sha256:" + "0" * 63, "sha256:" + "A" * 64, "0" * 64])
def test_an_expected_digest_that_is_not_a_digest_is_wrong_usage(tmp_path: Path, digest: str) -> None:
    """Not a rule set that fails its check (1), but a value that could never match any."""
    result = cli("serve", "--expected-digest", digest, "--audit", str(tmp_path / "a.db"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == (
        "intervention-rules serve: error: argument --expected-digest: not a digest: expected sha256: "
        "and 64 lower-case hexadecimal digits, as 'intervention-rules digest' prints"
    )
    assert not (tmp_path / "a.db").exists()


def test_port_0_serves_on_a_free_port_and_announces_it(tmp_path: Path) -> None:
    """The announcement comes once the port is bound, with the port itself: connect at once."""
    with serve_process("--audit", str(tmp_path / "a"), cwd=tmp_path) as base:
        assert base.startswith("http://127.0.0.1:")
        assert not base.endswith(":0")
        with httpx.Client(base_url=base, timeout=30) as client:
            assert client.get("/health").json()["status"] == "ok"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    digest = ir.load_ruleset(RULES).digest
    env = {**os.environ, "INTERVENTION_RULES_AUDIT_SALT": "a secret salt"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "intervention_rules",
            "serve",
            "--rules",
            str(RULES),
            "--expected-digest",
            digest,
            "--port",
            str(port),
            "--audit",
            str(tmp_path / "audit.sqlite3"),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stderr is not None
        announced = process.stderr.readline()
        assert announced.startswith("serving guiding-hand-self-harm"), announced
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_answers_on_its_port_with_the_rule_set_it_checked(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    base, _ = served
    with httpx.Client(base_url=base, timeout=30) as client:  # announced once the port is bound
        health = client.get("/health").json()
        assert health["ruleset"]["digest"] == ir.load_ruleset(RULES).digest
        assert [s["id"] for s in client.get("/cds-services").json()["services"]] == [
            "patient-view",
            "order-select",
            "order-sign",
        ]
