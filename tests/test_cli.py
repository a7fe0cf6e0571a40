"""The command line, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import cli, make_ruleset, recommend, rule

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "adolescent.json"
INVALID_RULES = ROOT / "tests" / "fixtures" / "invalid"


def test_evaluate_prints_the_decision_as_json() -> None:
    result = cli("evaluate", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["recommendations"][0]["rank"] == 1
    assert decision["ruleset"]["digest"].startswith("sha256:")
    assert result.stderr == ""


def test_evaluate_reads_standard_input_and_prints_text() -> None:
    result = cli("evaluate", "--format", "text", "-", stdin=EXAMPLE.read_text())
    assert result.returncode == 0, result.stderr
    assert "RECOMMENDED" in result.stdout
    assert " 1. " in result.stdout
    assert "not a substitute for clinical judgement" in result.stdout


def test_evaluate_with_an_explicit_rule_set_equals_the_default() -> None:
    assert cli("evaluate", "--rules", "rules", str(EXAMPLE)).stdout == cli("evaluate", str(EXAMPLE)).stdout


@pytest.mark.parametrize(
    ("assessment", "fields"),
    [
        ('{"age": "15"}', ["age: expected an integer, got a string"]),
        ('{"age": true}', ["age: expected an integer, got a boolean"]),
        ('{"age": 200}', ["age: out of range (0 to 120)"]),
        ("{}", ["age: required but not recorded"]),
        ('{"age": 15, "reason": []}', ["reason: unknown feature; did you mean 'reasons'?"]),
        ('{"age": 15, "pattern": "often"}', ["pattern: unknown value; expected one of"]),
        ("{not json", ["not valid JSON"]),
    ],
)
def test_invalid_assessments_exit_1_with_nothing_on_stdout(assessment: str, fields: list[str]) -> None:
    result = cli("evaluate", "-", stdin=assessment)
    assert result.returncode == 1
    assert result.stdout == ""
    for text in fields:
        assert text in result.stderr


def test_validate_reports_each_problem_as_file_line_column(tmp_path: Path) -> None:
    result = cli("validate", "--rules", str(INVALID_RULES))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{INVALID_RULES}/rules.yaml:15:19: unknown feature 'reason'")
    assert lines[-1] == "13 problem(s); the rule set was not loaded"


def test_evaluate_refuses_a_broken_rule_set() -> None:
    result = cli("evaluate", "--rules", str(INVALID_RULES), str(EXAMPLE))
    assert (result.returncode, result.stdout) == (1, "")


def test_validate_accepts_the_bundled_rule_set() -> None:
    result = cli("validate")
    assert result.returncode == 0, result.stderr
    assert ": valid; " in result.stdout


def test_validate_counts_one_file_and_one_rule_in_the_singular(tmp_path: Path) -> None:
    path = make_ruleset(tmp_path, rule("ONLY", {"age": {"gte": 0}}, recommend("cbt", 1))).files[0]
    result = cli("validate", "--rules", str(tmp_path / path))
    assert result.returncode == 0, result.stderr
    assert ": valid; 1 rule (1 active, 0 draft, 0 retired), " in result.stdout
    assert " interventions, 1 file; sha256:" in result.stdout
    result = cli("validate")
    assert " rules (" in result.stdout
    assert " files; sha256:" in result.stdout


def test_explain_says_why_and_why_not() -> None:
    result = cli("explain", str(EXAMPLE), "safety_plan")
    assert result.returncode == 0, result.stderr
    assert "recommended, rank" in result.stdout
    result = cli("explain", "--format", "json", str(EXAMPLE), "safety_plan")
    assert json.loads(result.stdout)["outcome"] == "recommended"


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("frobnicate",),
        ("evaluate", "--format", "xml", str(EXAMPLE)),
        ("evaluate", "no-such-file.json"),
        ("explain", str(EXAMPLE), "family_therapi"),
    ],
)
def test_wrong_usage_exits_2(args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr


def test_version_and_help() -> None:
    assert cli("--version").stdout.startswith("intervention-rules ")
    assert cli("--help").returncode == 0


def cli_bytes(*args: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "intervention_rules", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"age": 15, "age": 40}', b"the key 'age' appears more than once in one object"),
        (b'{"age": 15, "pattern": "\xff"}', b"the input is not UTF-8 text"),
        (b'{"age": ' + b"1" * 5000 + b"}", b"not accepted"),
        (b"[" * 100000 + b"]" * 100000, b"not accepted: the JSON is nested too deeply"),
        (b'{"age": 1' + b"0" * 400 + b"}", b"age: out of range (0 to 120)"),
    ],
)
def test_hostile_input_is_an_invalid_assessment(data: bytes, message: bytes) -> None:
    result = cli_bytes("evaluate", "-", stdin=data)
    assert (result.returncode, result.stdout) == (1, b"")
    assert message in result.stderr
    assert b"Traceback" not in result.stderr


def test_a_byte_order_mark_is_accepted() -> None:
    result = cli_bytes("evaluate", "-", stdin=b"\xef\xbb\xbf" + EXAMPLE.read_bytes())
    assert result.returncode == 0, result.stderr


MISSING = "/no/such/rules"
RULES = str(ROOT / "rules")


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("validate", "--rules", MISSING), "--rules"),
        (("evaluate", "--rules", MISSING, str(EXAMPLE)), "--rules"),
        (("evaluate", "--batch", str(EXAMPLE.with_name("assessments.jsonl")), "--rules", MISSING), "--rules"),
        (("explain", "--rules", MISSING, str(EXAMPLE), "cbt"), "--rules"),
        (("digest", "--rules", MISSING), "--rules"),
        (("lint", "--rules", MISSING), "--rules"),
        (("report", "--rules", MISSING, "--format", "md"), "--rules"),
        (("approve", "--rules", MISSING, "--by", "A. Reviewer"), "--rules"),
        (("diff", RULES, MISSING), "NEW"),
        (("diff", MISSING, RULES), "OLD"),
        (("test", "--rules", MISSING, str(ROOT / "scenarios")), "--rules"),
        (("fhir", "questionnaire", "--rules", MISSING), "--rules"),
        (("serve", "--rules", MISSING, "--port", "0"), "--rules"),
    ],
    ids=lambda value: value if isinstance(value, str) else " ".join(value[:2]),
)
def test_a_rule_set_path_that_does_not_exist_is_wrong_usage_for_every_command(
    args: tuple[str, ...], option: str
) -> None:
    """Exit 2, as errors.md says, whichever command and whichever argument names the path; a rule
    set that is there but does not load stays exit 1 (invalid rules)."""
    result = cli(*args)
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert result.stderr.splitlines()[-1].endswith(f"error: argument {option}: no rule set at {MISSING}")


def test_a_rule_set_that_is_there_but_does_not_load_is_invalid_rules() -> None:
    invalid = str(ROOT / "tests" / "fixtures" / "invalid")
    for args in (("validate", "--rules", invalid), ("diff", RULES, invalid)):
        result = cli(*args)
        assert (result.returncode, result.stdout) == (1, ""), result.stderr
        assert result.stderr.splitlines()[-1].endswith("; the rule set was not loaded")
