"""Privacy by default: a marker planted in every kind of field, for every kind of problem, shows
up nowhere (messages, ``str``, ``repr``, logs, the command line's output, batch records, the pytest
plugin's reports) unless the caller asks for values.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import intervention_rules as ir
from helpers import ROOT
from intervention_rules.cli import main
from intervention_rules.scale import Batch

MARK = "Zq7Mark she said"  # fails every vocabulary: upper case and a space
LOW = "zq7mark she said"  # the medications pattern accepts its form
NUMBER = 987654321
FRACTION = 15.123456789

#: Each kind of problem an assessment can have, with the marker where the assessment's text goes.
CASES: dict[str, Any] = {
    "unknown value in a list": {"age": 15, "reasons": [MARK]},
    "unknown value": {"age": 15, "pattern": MARK},
    "wrong form": {"age": 15, "medications": [MARK]},
    "repeated item": {"age": 15, "medications": [LOW, LOW]},
    "wrong type": {"age": MARK},
    "wrong type of item": {"age": 15, "reasons": [{MARK: MARK}]},
    "wrong type of object": {"age": 15, "family": MARK},
    "unknown key": {"age": 15, MARK: 1},
    "value of an unknown key": {"age": 15, "colour": MARK},
    "unknown field of an object": {"age": 15, "family": {MARK: MARK}},
    "out of range": {"age": NUMBER},
    "not an integer": {"age": FRACTION},
    "lone surrogate": {"age": 15, "pattern": MARK + "\ud800"},
    "not an object": [MARK],
    "deeply nested": {"age": 15, "reasons": [[[[[[[[[[[MARK]]]]]]]]]]]},
}
#: Text the JSON reader refuses, each holding the marker.
RAW: dict[str, bytes] = {
    "not JSON": f'{{"age": 15, "pattern": "{MARK}'.encode(),
    "repeated key": f'{{"{MARK}": 1, "{MARK}": 2}}'.encode(),
    "not UTF-8": f'{{"age": 15, "pattern": "{MARK}\xff"}}'.encode("latin-1"),
    "escaped lone surrogate": f'{{"age": 15, "pattern": "{MARK}\\udc80"}}'.encode(),
    "too deep": b"[" * 5000 + MARK.encode() + b"]" * 5000,
}
SECRETS = (MARK, LOW, str(NUMBER), str(FRACTION), "she said")


def leaks(text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    return [secret for secret in SECRETS if secret in text]


@pytest.fixture(scope="module")
def ruleset() -> ir.RuleSet:
    return ir.load_ruleset()


def deep(levels: int) -> Any:
    value: Any = MARK
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize("case", sorted(CASES))
def test_library_errors_name_fields_never_values(
    ruleset: ir.RuleSet, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    assessment = CASES[case]
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ir.AssessmentError) as caught:
        ruleset.evaluate(assessment)
    error = caught.value
    shown = [str(error), repr(error), repr(error.problems), *map(str, error.args), caplog.text]
    shown += [f"{p} {p!r} {p.field} {p.message}" for p in error.problems]
    assert not leaks("\n".join(shown)), case
    assert all(p.value is None for p in error.problems)
    with pytest.raises(ir.AssessmentError):
        ruleset.explain(assessment, "cbt")


def test_values_are_there_when_asked_for(ruleset: ir.RuleSet) -> None:
    """``AssessmentError.values`` gives the offending values back, in ``value`` and quoted."""
    for case in ("unknown value", "wrong form", "unknown key", "out of range", "not an integer"):
        assessment = CASES[case]
        with pytest.raises(ir.AssessmentError) as caught:
            ruleset.evaluate(assessment)
        shown = caught.value.values(assessment)
        assert leaks(" ".join(map(str, shown))), case
        assert any(p.value is not None for p in shown), case


def test_a_ten_thousand_deep_value_has_a_repr(ruleset: ir.RuleSet) -> None:
    """The problems of a value nested 10,000 deep print without a RecursionError, with values
    or without."""
    assessment = {"age": 15, "reasons": deep(10_000)}
    with pytest.raises(ir.AssessmentError) as caught:
        ruleset.evaluate(assessment)
    assert repr(caught.value.problems)
    assert str(caught.value)
    shown = caught.value.values(assessment)
    assert repr(shown)
    assert "\n".join(map(str, shown))


def run_cli(*argv: str, stdin: bytes) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    raw = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    status = main(list(argv), stdin=raw, stdout=stdout, stderr=stderr)
    return status, stdout.getvalue(), stderr.getvalue()


def _inputs() -> dict[str, bytes]:
    return {case: json.dumps(a).encode() for case, a in CASES.items()} | RAW


@pytest.mark.parametrize("case", sorted(_inputs()))
@pytest.mark.parametrize("command", [["evaluate"], ["explain", "-", "cbt"]])
def test_the_command_line_names_fields_never_values(command: list[str], case: str) -> None:
    status, out, err = run_cli(*command, stdin=_inputs()[case])
    assert status == 1, err
    assert out == ""
    assert err.startswith("invalid assessment:")
    assert not leaks(err), (case, err)


def test_show_values_quotes_them_on_the_command_line() -> None:
    status, _, err = run_cli("evaluate", "--show-values", stdin=json.dumps(CASES["wrong form"]).encode())
    assert status == 1
    assert MARK in err


def batch_input(tmp_path: Path) -> Path:
    source = tmp_path / "in.jsonl"
    lines = [json.dumps(a).encode() for a in CASES.values()] + [r for r in RAW.values() if b"\n" not in r]
    source.write_bytes(b"\n".join(lines) + b"\n")
    return source


def test_batch_records_and_messages_name_fields_never_values(tmp_path: Path) -> None:
    """A real process: every line gets an error record, and neither the records nor standard
    error hold the marker; with --show-values both do."""
    source = batch_input(tmp_path)
    count = len(source.read_bytes().splitlines())
    argv = [sys.executable, "-m", "intervention_rules", "evaluate", "--batch", str(source), "--workers", "1"]
    plain = subprocess.run(argv, capture_output=True, cwd=ROOT, timeout=120)
    assert plain.returncode == 1
    records = [json.loads(line) for line in plain.stdout.decode("utf-8").splitlines()]
    assert [r["line"] for r in records] == list(range(1, count + 1))
    assert all("error" in r for r in records)
    assert not leaks(plain.stdout)
    assert not leaks(plain.stderr)
    assert b"Traceback" not in plain.stderr
    shown = subprocess.run([*argv, "--show-values"], capture_output=True, cwd=ROOT, timeout=120)
    assert MARK in shown.stdout.decode("utf-8")
    assert MARK in shown.stderr.decode("utf-8")


def test_batch_in_the_library_names_fields_never_values(tmp_path: Path) -> None:
    lines = batch_input(tmp_path).read_bytes().splitlines()
    with Batch() as batch:
        results = list(batch.evaluate(lines))
    assert len(results) == len(lines)
    assert not any(r.ok for r in results)
    assert not leaks("\n".join(r.record + "".join(r.problems) + repr(r) for r in results))


PLUGIN_SCENARIOS = f"""
scenarios:
  - name: a refused assessment that was meant to be valid
    assessment: {{age: 15, pattern: "{MARK}", medications: ["{MARK}"], "{MARK}": 1}}
    expect: {{recommended: [cbt]}}
  - name: a refused assessment refused for another field than expected
    assessment: {{age: {NUMBER}, reasons: ["{MARK}"]}}
    expect: {{invalid: [conditions]}}
"""


def test_pytest_plugin_failures_name_fields_never_values(pytester: pytest.Pytester) -> None:
    (pytester.path / "privacy.scenario.yaml").write_text(PLUGIN_SCENARIOS, encoding="utf-8")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=2)
    output = result.stdout.str() + result.stderr.str()
    assert "pattern: unknown value" in output
    assert "age: out of range" in output
    assert not leaks(output), output
