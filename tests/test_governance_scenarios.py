"""Scenario files, and assessments generated from a rule set's vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import intervention_rules as ir
from copies import ROOT
from helpers import cli, make_ruleset, recommend, rule
from intervention_rules.governance._scenarios import generate, read_assessments, rule_examples
from intervention_rules.testing import ScenarioError


def test_files_lists_and_directories_of_assessments(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "b.json").write_text('{"age": 20}')
    (tmp_path / "dir" / "a.json").write_text('[{"age": 15}, {"age": 16}]')
    (tmp_path / "one.json").write_text('{"age": 40}')
    found = read_assessments([tmp_path / "one.json", tmp_path / "dir"])
    assert [(s.name.split("/")[-1], s.assessment) for s in found] == [
        ("one.json", {"age": 40}),
        ("a.json[0]", {"age": 15}),
        ("a.json[1]", {"age": 16}),
        ("b.json", {"age": 20}),
    ]


def test_every_bad_scenario_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{oops")
    (tmp_path / "number.json").write_text("3")
    with pytest.raises(ScenarioError) as caught:
        read_assessments([tmp_path / "bad.json", tmp_path / "number.json", tmp_path / "missing.json"])
    messages = sorted(p.message for p in caught.value.problems)
    assert messages == [
        "a JSON scenario file holds an assessment (a JSON object) or a non-empty list of them",
        "no scenario file or directory here",
        "not valid JSON: Expecting property name enclosed in double quotes",
    ]


def test_a_json_scenario_file_is_read_as_strictly_as_an_assessment(tmp_path: Path) -> None:
    """A repeated key is refused rather than the last value taken; what Python's reader cannot
    take (too deep, too many digits) is a problem with the file, not an internal error."""
    (tmp_path / "twice.json").write_text('{"age": 30,\n "age": 40}')
    (tmp_path / "digits.json").write_text('{"age": ' + "9" * 5000 + "}")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "lines.jsonl").write_text('{"age": 30}\n{"age": 1, "age": 2}\n')
    with pytest.raises(ScenarioError) as caught:
        read_assessments(sorted(tmp_path.iterdir()))
    assert [(Path(p.file).name, p.line, p.code, p.message) for p in caught.value.problems] == [
        ("deep.json", 1, "IR509", "not accepted: the JSON is nested too deeply"),
        ("digits.json", 1, "IR509", "not accepted: a number has too many digits"),
        ("lines.jsonl", 2, "IR509", "the key 'age' appears more than once in one object"),
        ("twice.json", 1, "IR509", "the key 'age' appears more than once in one object"),
    ]


def test_generated_assessments_are_valid_deterministic_and_reach_thresholds(tmp_path: Path) -> None:
    ruleset = make_ruleset(
        tmp_path, rule("R", {"all": [{"age": {"lt": 18}}, {"score": {"gte": 2.5}}]}, recommend("dbt", 1))
    )
    first = generate(ruleset, 200, seed=3)
    assert first == generate(ruleset, 200, seed=3)
    assert first != generate(ruleset, 200, seed=4)
    for scenario in first:
        ruleset.evaluate(scenario.assessment)  # raises if invalid
    ages = {s.assessment["age"] for s in first}
    assert {17, 18, 19} <= ages
    assert (
        sum("dbt" in [r.intervention for r in ruleset.evaluate(s.assessment).recommendations] for s in first)
        > 5
    )


def test_generated_assessments_are_valid_for_the_bundled_rule_set() -> None:
    ruleset = ir.load_ruleset(ROOT / "rules")
    for scenario in generate(ruleset, 300):
        ruleset.evaluate(scenario.assessment)


def test_the_bundled_examples_are_scenarios() -> None:
    """The example assessment and the example batch's lines."""
    first, *lines = read_assessments([ROOT / "examples"])
    assert first.assessment == json.loads((ROOT / "examples" / "adolescent.json").read_text())
    batch = (ROOT / "examples" / "assessments.jsonl").read_text().splitlines()
    assert [s.assessment for s in lines] == [json.loads(line) for line in batch]


def test_json_lines_files_give_one_assessment_a_line(tmp_path: Path) -> None:
    """The batch input (``evaluate --batch``) is also an impact analysis's population: a ``.jsonl``
    file gives one named assessment per non-blank line, in a directory too."""
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "people.jsonl").write_text('{"age": 15}\n\n{"age": 16, "pattern": "x"}\n')
    found = read_assessments([tmp_path / "dir"])
    assert [(s.name.split("/")[-1], s.assessment) for s in found] == [
        ("people.jsonl:1", {"age": 15}),
        ("people.jsonl:3", {"age": 16, "pattern": "x"}),
    ]
    assert len(read_assessments([ROOT / "examples" / "assessments.jsonl"])) == 3
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"age": 15}\n{"age": \n[1]\n')
    with pytest.raises(ScenarioError) as error:
        read_assessments([broken])
    assert [(p.line, p.column, p.code) for p in error.value.problems] == [(2, 9, "IR509"), (3, 1, "IR507")]
    assert (
        error.value.problems[1].message == "a line of a JSON Lines file holds one assessment (a JSON object)"
    )


def test_json_lines_are_split_at_line_feeds_only_as_the_batch_splits_them(tmp_path: Path) -> None:
    """JSON lets a string hold U+2028, U+2029 or U+0085 as they are; ``evaluate --batch`` reads
    such a line as one assessment, and so must an impact analysis over the same file (it was cut
    in two: two problems, and the lines after it numbered wrong)."""
    people = tmp_path / "people.jsonl"
    people.write_text(
        '{"age": 15}\r\n{"age": 16, "note\u2028\x85\u2029": 1}\n{"age": 17}\n', encoding="utf-8"
    )
    found = read_assessments([people])
    assert [(s.name.rsplit(":", 1)[1], s.assessment) for s in found] == [
        ("1", {"age": 15}),
        ("2", {"age": 16, "note\u2028\x85\u2029": 1}),
        ("3", {"age": 17}),
    ]
    batch = cli("evaluate", "--batch", str(people), "--summary")
    assert [json.loads(line)["line"] for line in batch.stdout.splitlines()] == [1, 2, 3]


def test_a_byte_order_mark_is_accepted_as_evaluate_accepts_it(tmp_path: Path) -> None:
    """Files that ``evaluate`` and ``evaluate --batch`` read (a BOM first, as some editors save
    UTF-8) are read by ``diff`` and ``report --scenarios`` too; they were refused as not JSON."""
    (tmp_path / "one.json").write_bytes(b'\xef\xbb\xbf{"age": 15}\n')
    (tmp_path / "many.jsonl").write_bytes(b'\xef\xbb\xbf{"age": 16}\n{"age": 17}\n')
    found = read_assessments([tmp_path / "one.json", tmp_path / "many.jsonl"])
    assert [s.assessment for s in found] == [{"age": 15}, {"age": 16}, {"age": 17}]
    for name in ("one.json", "many.jsonl"):
        option = ("--batch", str(tmp_path / name)) if name.endswith("l") else (str(tmp_path / name),)
        assert cli("evaluate", *option).returncode == 0


def test_rule_examples_fire_their_rule(tmp_path: Path) -> None:
    ruleset = make_ruleset(
        tmp_path,
        rule(
            "NARROW", {"all": [{"age": {"between": [40, 41]}}, {"pattern": "frequent"}]}, recommend("dbt", 1)
        ),
        rule("NEVER", {"age": {"recorded": False}}, recommend("cbt", 1)),
    )
    (example,) = rule_examples(ruleset)
    assert example.name == f"fires NARROW ({ruleset.version})"
    assert "NARROW" in ruleset.evaluate(example.assessment).fired


def test_the_testing_toolkit_scenario_files_are_read_for_their_assessments(tmp_path: Path) -> None:
    """*.scenario.yaml files give their scenarios' assessments, named; their structure is checked."""
    source = ROOT / "tests" / "fixtures" / "toolkit" / "scenarios" / "basics.scenario.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    found = read_assessments([source])
    assert [(s.name, s.assessment) for s in found] == [
        (f"{source}: {raw['name']}", raw["assessment"]) for raw in data["scenarios"]
    ]
    broken = tmp_path / "broken.scenario.yaml"
    broken.write_text(
        "scenarios:\n  - name: no assessment\n    expect: {recommended: [dbt]}\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as caught:
        read_assessments([tmp_path])
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (str(broken), 2)
    assert "assessment" in problem.message
