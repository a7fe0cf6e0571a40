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
from helpers import ROOT, make_ruleset, recommend, rule
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


def _quoting_ruleset(tmp_path: Path) -> Path:
    """A rule set whose every text quotes the recorded medicines through a template."""
    quote = "Medicines: {medications}."
    matched = "Matched: {matched.medications}."
    rules = [
        rule(
            "QUOTE",
            {"medications": {"recorded": True}},
            recommend("cbt", 2, quote),
            {"caution": {"intervention": "cbt", "severity": "warning", "text": quote}},
            {"collaborate": {"intervention": "cbt", "role": "pharmacist", "prompt": quote}},
            {"alert": {"severity": "warning", "text": quote}},
            recommend("mindfulness", 1, quote),
            {"adjust": {"intervention": "mindfulness", "by": -1, "text": quote}},
        ),
        rule(
            "VETO",
            {"medications": {"contains_other_than": ["sertraline"]}},
            {"not_recommend": {"intervention": "dbt", "text": matched}},
        ),
    ]
    make_ruleset(tmp_path, *rules, zero_strength="considered")
    return tmp_path / "ruleset.yaml"


#: Scenarios whose failures would quote the texts above, or the values seen, or a refused value.
QUOTING_SCENARIOS = f"""
invariants:
  - name: CBT only with paracetamol
    intervention: cbt
    only_when: {{medications: {{contains_any: [paracetamol]}}}}
scenarios:
  - name: every expectation kind that lists texts
    assessment: {{age: 30, medications: ["{LOW}"]}}
    expect:
      recommended: [dbt, mindfulness]
      exact_order: [mindfulness, cbt]
      cautions: [{{intervention: cbt, severity: critical}}]
      alerts: [{{severity: critical}}]
      collaboration: [{{intervention: cbt, role: psychiatrist}}]
  - name: refused for another field than expected
    assessment: {{age: 30, pattern: "{MARK}"}}
    expect: {{invalid: [reasons]}}
"""


@pytest.fixture
def quoting(tmp_path: Path) -> tuple[Path, Path]:
    """(rule set, scenario file) whose failure reports would quote the marker if they could."""
    rules = _quoting_ruleset(tmp_path)
    scenarios = tmp_path / "quoting.scenario.yaml"
    scenarios.write_text(QUOTING_SCENARIOS, encoding="utf-8")
    return rules, scenarios


@pytest.mark.parametrize("form", ["text", "json"])
def test_scenario_failures_on_the_command_line_name_things_never_values(
    quoting: tuple[Path, Path], form: str
) -> None:
    """``intervention-rules test`` reports every failure by expectation, intervention, rule and
    field, and quotes the texts (filled from the assessment) and values only with --show-values."""
    rules, scenarios = quoting
    argv = ["test", "--rules", str(rules), "--format", form, str(scenarios)]
    status, out, err = run_cli(*argv, stdin=b"")
    assert status == 1, err
    assert not leaks(out + err), out
    if form == "text":
        for named in (
            "dbt is ruled out (not_recommended) by VETO",
            "mindfulness is considered, not suggested",
            "  - cbt [warning] QUOTE",
            "  - [warning] QUOTE",
            "  - cbt pharmacist QUOTE",
            "invariant 'CBT only with paracetamol'",
            "  needs medications includes any of paracetamol\n",
            "DBT [dbt]: not recommended: ruled out by VETO",
            "Mindfulness [mindfulness]: considered, not suggested: strength 0 after QUOTE\n",
            "  pattern: unknown value",
        ):
            assert named in out, named
    status, shown, _ = run_cli(*argv, "--show-values", stdin=b"")
    assert status == 1
    assert LOW in shown
    assert MARK in shown
    assert "Medicines: zq7mark she said." in shown


def test_scenario_failures_in_the_pytest_plugin_name_things_never_values(
    pytester: pytest.Pytester, quoting: tuple[Path, Path]
) -> None:
    """The plugin's reports, in a real pytest process, hold no marker; ``--ir-show-values`` (or
    ``ir_show_values = true``) quotes the texts and values."""
    rules, scenarios = quoting
    (pytester.path / scenarios.name).write_text(scenarios.read_text(encoding="utf-8"), encoding="utf-8")
    result = pytester.runpytest_subprocess(f"--ir-rules={rules}", "-rA")
    result.assert_outcomes(failed=2)
    output = result.stdout.str() + result.stderr.str()
    assert not leaks(output), output
    assert "dbt is ruled out (not_recommended) by VETO" in output
    assert "  - cbt [warning] QUOTE" in output
    assert "--ir-show-values quotes them" in output
    shown = pytester.runpytest_subprocess(f"--ir-rules={rules}", "--ir-show-values")
    shown.assert_outcomes(failed=2)
    assert "Medicines: zq7mark she said." in shown.stdout.str()
    assert MARK in shown.stdout.str()
    pytester.makeini("[pytest]\nir_show_values = true\n")
    by_ini = pytester.runpytest_subprocess(f"--ir-rules={rules}")
    assert "Medicines: zq7mark she said." in by_ini.stdout.str()
