"""``intervention-rules evaluate --batch``, run as a real process."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

import intervention_rules as ir
from helpers import cli
from intervention_rules.scale._project import Projection, project

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "examples" / "adolescent.json").read_text(encoding="utf-8"))


def assessments(count: int) -> list[dict[str, object]]:
    return [{**EXAMPLE, "age": age % 121} for age in range(count)]


def test_a_clean_batch_exits_0_writes_one_record_per_line_and_is_quiet(tmp_path: Path) -> None:
    cases = assessments(150)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    result = cli("evaluate", "--batch", str(source), "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    ruleset = ir.load_ruleset()
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records == [
        {"line": n, "decision": json.loads(json.dumps(ruleset.evaluate(c).to_dict()))}
        for n, c in enumerate(cases, start=1)
    ]


@pytest.mark.parametrize(
    "option", [["--summary"], ["--fields", "recommendations.intervention,recommendations.strength"]]
)
def test_compact_records_are_the_projection_of_the_full_ones(tmp_path: Path, option: list[str]) -> None:
    cases = assessments(70)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    full = cli("evaluate", "--batch", str(source), "--workers", "2")
    compact = cli("evaluate", "--batch", str(source), "--workers", "2", *option)
    assert compact.returncode == 0, compact.stderr
    tree = Projection.named("summary" if option == ["--summary"] else option[1]).tree
    want = [
        json.dumps({"line": r["line"], "decision": project(r["decision"], tree)}, ensure_ascii=False)
        for r in map(json.loads, full.stdout.splitlines())
    ]
    assert compact.stdout.splitlines() == want


def test_bad_lines_are_reported_with_their_number_and_exit_1(tmp_path: Path) -> None:
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [json.dumps(c) for c in assessments(5)]
    lines[1] = "{oops"
    lines[3] = json.dumps({"age": 300})
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("evaluate", "--batch", str(source), "--output", str(output), "--workers", "1")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{source}:2: not valid JSON: Expecting property name enclosed in double quotes at column 2 [IR311]",
        f"{source}:4: age: out of range (0 to 120) [IR305]",
    ]
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in records] == [1, 2, 3, 4, 5]
    assert [("decision" in r, "error" in r) for r in records] == [
        (True, False),
        (False, True),
        (True, False),
        (False, True),
        (True, False),
    ]


def test_standard_input_in_standard_output_out() -> None:
    text = "\n".join(json.dumps(c) for c in assessments(3)) + "\n"
    result = cli("evaluate", "--batch", "-", "--workers", "1", stdin=text)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["line"] for line in result.stdout.splitlines()] == [1, 2, 3]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output", "x.jsonl"], "--output, --workers, --fields and --summary go with --batch"),
        (["--summary"], "go with --batch"),
        (["--batch", "in.jsonl", "--fields", "trace.rules"], "--fields: unknown field 'trace.rules'"),
        (["--batch", "in.jsonl", "--fields", ","], "--fields: no field chosen"),
        (["--batch", "in.jsonl", "--fields", "trace", "--summary"], "not allowed with argument"),
        (["--batch", "in.jsonl", "case.json"], "not both"),
        (["--batch", "in.jsonl", "--workers", "0"], "--workers must be at least 1"),
        (["--batch", "in.jsonl", "--format", "text"], "--format text is for single assessments"),
        (["--batch", "does-not-exist.jsonl"], "cannot read does-not-exist.jsonl"),
    ],
)
def test_wrong_usage_exits_2(args: list[str], message: str, tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text("{}\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "intervention_rules", "evaluate", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_invalid_rules_exit_1_before_reading(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text("rules: [", encoding="utf-8")
    result = cli("evaluate", "--rules", str(tmp_path), "--batch", "-", stdin="{}\n")
    assert result.returncode == 1
    assert "the rule set was not loaded" in result.stderr


def test_a_terminal_sees_a_progress_bar_and_a_summary(tmp_path: Path) -> None:
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(c) + "\n" for c in assessments(20)), encoding="utf-8")
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 rows, 100 columns
    command = ["evaluate", "--batch", str(source), "--output", str(output), "--workers", "1"]
    process = subprocess.Popen(
        [sys.executable, "-m", "intervention_rules", *command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        cwd=ROOT,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closes when the process exits
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert process.wait(timeout=120) == 0
    text = seen.decode("utf-8", "replace")
    assert "20/20" in text  # tqdm's count against the total
    assert "20 lines: 20 evaluated, 0 invalid" in text
