"""No traceback ever reaches a command-line user, and every batch line gets a record: closed
streams, broken pipes, interrupts, full disks, runaway inputs and text UTF-8 cannot hold, each in a
real process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import ROOT, cli_after
from intervention_rules.scale import Batch
from intervention_rules.scale._batch import available_cores

COMMAND = [sys.executable, "-m", "intervention_rules"]
VALID = {"age": 15, "reasons": ["coping"], "conditions": ["depression"]}


def run(*args: str, stdin: bytes | None = None, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    options: dict[str, object] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "cwd": ROOT}
    options.update(timeout=120, **kwargs)
    if stdin is not None:
        options["input"] = stdin
    return subprocess.run([*COMMAND, *args], **options)  # type: ignore[call-overload, no-any-return]


def shell(script: str) -> subprocess.CompletedProcess[bytes]:
    """A shell line, with ``IR`` the command."""
    ir = " ".join(f"'{part}'" for part in COMMAND)
    return subprocess.run(
        ["bash", "-c", script.replace("IR", ir)], capture_output=True, cwd=ROOT, timeout=120
    )


def no_traceback(result: subprocess.CompletedProcess[bytes]) -> None:
    assert b"Traceback" not in result.stderr, result.stderr.decode("utf-8", "replace")


@pytest.mark.parametrize("command", ["evaluate", "evaluate -", "explain - cbt", "evaluate --batch -"])
def test_closed_standard_input_is_a_usage_error(command: str) -> None:
    result = shell(f"IR {command} <&-")
    no_traceback(result)
    assert result.returncode == 2
    assert b"standard input is closed" in result.stderr


BROKEN_LOADER = """
import intervention_rules.cli


def load_ruleset(path=None):
    raise ValueError("cannot read 'a secret from the rule files'")


intervention_rules.cli.load_ruleset = load_ruleset
"""


def test_an_internal_error_of_a_command_without_values_is_one_line() -> None:
    """A bug in a command that reads no assessment (so has no --show-values) is its type and
    exit status 70, never a traceback or the exception's message."""
    result = subprocess.run(
        [*cli_after(BROKEN_LOADER), "validate"], capture_output=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 70
    assert result.stdout == b""
    assert result.stderr.decode() == (
        "intervention-rules validate: an internal error (ValueError); please report it; its message "
        "and traceback are left out, as they can quote patient data\n"
    )


def test_closed_standard_output_is_reported() -> None:
    result = shell(f"echo '{json.dumps(VALID)}' | IR evaluate >&-")
    no_traceback(result)
    assert result.returncode == 74
    assert b"standard output is closed" in result.stderr


def test_closed_standard_error_still_gives_the_exit_status() -> None:
    result = shell("echo '{\"age\": 300}' | IR evaluate 2>&-")
    assert (result.returncode, result.stdout) == (1, b"")


@pytest.fixture(scope="module")
def many_lines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("batch") / "in.jsonl"
    source.write_text((json.dumps(VALID) + "\n") * 400, encoding="utf-8")
    return source


def test_a_broken_pipe_ends_the_run_quietly(many_lines: Path) -> None:
    """``... | head -1``: the reader goes away after one record; the writer stops with status 74."""
    result = shell(
        f"IR evaluate --batch {many_lines} --workers 1 | head -1; echo status=${{PIPESTATUS[0]}} >&2"
    )
    no_traceback(result)
    assert len(result.stdout.splitlines()) == 1
    assert json.loads(result.stdout)["line"] == 1
    assert b"status=74" in result.stderr
    assert b"the output was closed before everything was written" in result.stderr


@pytest.mark.parametrize("format_", ["json", "text"])
def test_a_broken_pipe_on_a_single_decision(format_: str) -> None:
    result = shell(
        f"echo '{json.dumps(VALID)}' | IR evaluate --format {format_} | head -c 10 > /dev/null; "
        "echo status=${PIPESTATUS[1]} >&2"
    )
    no_traceback(result)
    assert b"status=0" in result.stderr or b"status=74" in result.stderr  # depends on the pipe's buffer


def test_a_full_disk_on_output_is_reported(many_lines: Path) -> None:
    result = run("evaluate", "--batch", str(many_lines), "--workers", "1", "--output", "/dev/full")
    no_traceback(result)
    assert result.returncode == 74
    assert b"cannot write /dev/full: No space left on device" in result.stderr


def test_a_full_disk_on_standard_output_is_reported() -> None:
    with open("/dev/full", "wb") as full:
        result = run("evaluate", stdin=json.dumps(VALID).encode(), stdout=full, stderr=subprocess.PIPE)
    no_traceback(result)
    assert result.returncode == 74
    assert b"cannot write the output: No space left on device" in result.stderr


#: Ctrl-C handled as in a terminal: a shell without job control starts background commands with
#: SIGINT ignored, and a Python started so keeps ignoring it, so a test run launched that way would
#: otherwise see a batch shrug off the interrupt.
_AS_IN_A_TERMINAL = cli_after("import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)")


def _running_batch(stderr: int) -> subprocess.Popen[bytes]:
    """A batch of 2 worker processes in a session of its own, once its first record is out."""
    process = subprocess.Popen(
        [*_AS_IN_A_TERMINAL, "evaluate", "--batch", "-", "--workers", "2"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=ROOT,
        start_new_session=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    # Enough lines to fill the batch's read-ahead, so that records come out while stdin stays open.
    process.stdin.write(((json.dumps(VALID) + "\n") * 700).encode())
    process.stdin.flush()
    assert json.loads(process.stdout.readline())["line"] == 1  # the batch is running
    return process


def test_an_interrupt_stops_a_batch_with_status_130_and_no_traceback() -> None:
    """Ctrl-C reaches the whole process group, the batch's worker processes too."""
    process = _running_batch(subprocess.PIPE)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert b"Traceback" not in err
    assert err.strip().endswith(b"intervention-rules: interrupted")


def _children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            state, parent = stat.rsplit(")", 1)[1].split()[:2]
            if int(parent) == pid and state != "Z":
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_workers_do_not_outlive_a_batch_killed_outright(how: signal.Signals) -> None:
    """A batch stopped by SIGTERM or SIGKILL (a scheduler's timeout, the OOM killer) cannot stop
    its worker processes; they notice their parent is gone and leave rather than wait for ever."""
    process = _running_batch(subprocess.DEVNULL)
    workers = [
        pid for pid in _children(process.pid) if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    assert len(workers) == 2
    process.send_signal(how)  # the parent alone, not its process group
    process.wait(timeout=60)
    deadline = time.monotonic() + 60
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:  # do not leave them behind if the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == []


def test_worker_count_is_capped_at_the_cores_available(many_lines: Path) -> None:
    cores = available_cores()
    result = run("evaluate", "--batch", str(many_lines), "--workers", str(cores + 30))
    no_traceback(result)
    assert result.returncode == 0
    assert f"{cores + 30} workers asked for; {cores} used, one per core".encode() in result.stderr
    with Batch(workers=cores + 30) as batch:
        assert batch.workers == cores


def test_dev_zero_as_an_assessment_is_refused_after_the_limit() -> None:
    result = run("evaluate", "/dev/zero")
    no_traceback(result)
    assert result.returncode == 1
    assert b"the input is larger than the limit of 1048576 bytes" in result.stderr


def test_dev_zero_as_a_batch_gets_a_record_and_stops() -> None:
    result = run("evaluate", "--batch", "/dev/zero", "--max-input-bytes", "1000")
    no_traceback(result)
    assert result.returncode == 1
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["line"] == 1
    assert record["error"]["problems"][0]["message"] == "the line is larger than the limit of 1000 bytes"
    assert b"line 1 goes on past 64000 bytes without ending" in result.stderr


def test_an_overlong_line_gets_an_error_record_and_the_batch_goes_on(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    long_line = json.dumps({"age": 15, "medications": ["x" * 5000]})
    source.write_text("\n".join([json.dumps(VALID), long_line, json.dumps(VALID)]) + "\n")
    result = run("evaluate", "--batch", str(source), "--workers", "1", "--max-input-bytes", "2000")
    no_traceback(result)
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [("decision" in r, r["line"]) for r in records] == [(True, 1), (False, 2), (True, 3)]
    assert records[1]["error"]["kind"] == "invalid_json"
    assert result.stderr.decode().splitlines() == [
        f"{source}:2: the line is larger than the limit of 2000 bytes [IR313]"
    ]


def test_every_line_gets_a_record_whatever_it_holds(tmp_path: Path) -> None:
    """Lone surrogates (in a value, in a key), bytes that are not UTF-8, a NUL, nesting too deep:
    each line gets an error record, the rest their decisions, and the output is valid UTF-8."""
    source = tmp_path / "in.jsonl"
    hostile = [
        b'{"age": 15, "pattern": "\\ud800"}',
        b'{"age": 15, "\\udc80": 1}',
        b'{"age": 15, "pattern": "\xff\xfe"}',
        b'{"age": 15, "pattern": "\x00"}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"age": 1' + b"0" * 5000 + b"}",
    ]
    valid = json.dumps(VALID).encode()
    lines = [valid, *[line for bad in hostile for line in (bad, valid)]]
    source.write_bytes(b"\n".join(lines) + b"\n")
    result = run("evaluate", "--batch", str(source), "--workers", "1")
    no_traceback(result)
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]  # strict UTF-8
    assert [r["line"] for r in records] == list(range(1, len(lines) + 1))
    assert ["decision" in r for r in records] == [True] + [False, True] * len(hostile)
    assert "lone surrogate" in records[1]["error"]["problems"][0]["message"]
    assert "lone surrogate" in records[3]["error"]["problems"][0]["message"]


def test_a_fault_on_one_line_costs_only_that_line_its_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception (a bug, not the input's fault) is an internal_error record."""
    from intervention_rules.scale import _batch

    real = _batch.result_record

    def faulty(ruleset: object, assessment: dict[str, object], *args: object, **kwargs: bool) -> object:
        if assessment.get("age") == 16:
            raise RuntimeError("boom")
        return real(ruleset, assessment, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_batch, "result_record", faulty)
    lines = [json.dumps(dict(VALID, age=age)) for age in (15, 16, 17)]
    with Batch() as batch:
        records = [json.loads(r.record) for r in batch.evaluate(lines)]
    assert ["decision" in r for r in records] == [True, False, True]
    assert records[1]["error"] == {
        "kind": "internal_error",
        "problems": [
            {
                "field": "",
                "message": "the line could not be evaluated: an internal error (RuntimeError); "
                "please report it",
                "suggestion": None,
                "code": "IR314",
            }
        ],
    }


def test_a_lone_surrogate_never_reaches_a_single_decision() -> None:
    """A free-text feature whose template prints it would have written unencodable text."""
    result = run("evaluate", stdin=b'{"age": 15, "medications": ["lithium\\ud800"]}')
    no_traceback(result)
    assert result.returncode == 1
    assert b"not accepted: text that is not valid Unicode (a lone surrogate" in result.stderr
