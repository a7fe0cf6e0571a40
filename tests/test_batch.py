"""Batch evaluation gives exactly the decisions of one-by-one evaluation, in input order, on
worker processes, and turns every bad line into an error record without stopping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import intervention_rules as ir
from intervention_rules.scale import Batch, BatchError
from intervention_rules.scale._batch import CHUNK_LINES
from intervention_rules.scale._project import Projection, project
from strategies import RandomSource, assessment, ruleset_document, write_ruleset


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 generated rules, derived facts included."""
    directory = tmp_path_factory.mktemp("batch")
    return write_ruleset(directory, ruleset_document(RandomSource(6), 300, depth=3))


def expected_record(ruleset: ir.RuleSet, line: int, case: Any) -> dict[str, Any]:
    return {"line": line, "decision": ruleset.evaluate(case).to_dict()}


BAD_LINES = {
    "{not json": "invalid_json",
    "[1, 2]": "invalid_assessment",
    '{"age": "fifteen"}': "invalid_assessment",
    '{"age": 20, "reason": ["coping"]}': "invalid_assessment",
}


def test_workers_give_the_decisions_of_one_by_one_evaluation_in_input_order(rules: Path) -> None:
    src = RandomSource(60)
    cases = [assessment(src) for _ in range(5 * CHUNK_LINES + 7)]
    lines = [json.dumps(c) for c in cases]
    bad_at = {
        3: "{not json",
        70: "[1, 2]",
        200: '{"age": "fifteen"}',
        320: '{"age": 20, "reason": ["coping"]}',
    }
    for index, text in bad_at.items():
        lines[index] = text
    lines.insert(100, "   ")  # blank: skipped, but still counted as a line

    with Batch(rules, workers=2) as batch:
        results = list(batch.evaluate(line + "\n" for line in lines))
    ruleset = ir.load_ruleset(rules)

    assert [r.line for r in results] == [n for n in range(1, len(lines) + 1) if n != 101]
    for result in results:
        record = json.loads(result.record)
        index = result.line - 1
        if lines[index] in BAD_LINES:
            assert not result.ok
            assert record["line"] == result.line
            assert record["error"]["kind"] == BAD_LINES[lines[index]]
            assert record["error"]["problems"]
            assert result.problems
        else:
            assert result.ok, result.problems
            case = cases[index if index < 100 else index - 1]
            assert record == json.loads(json.dumps(expected_record(ruleset, result.line, case)))


def test_one_worker_runs_in_process_and_agrees(rules: Path) -> None:
    src = RandomSource(61)
    cases = [assessment(src) for _ in range(40)]
    with Batch(rules, workers=1) as batch:
        results = list(batch.evaluate_assessments(cases))
        assert batch._pool is None
    ruleset = ir.load_ruleset(rules)
    assert [json.loads(r.record) for r in results] == [
        json.loads(json.dumps(expected_record(ruleset, n, c))) for n, c in enumerate(cases, start=1)
    ]


def test_bytes_that_are_not_utf8_are_an_error_record(rules: Path) -> None:
    with Batch(rules) as batch:
        (result,) = batch.evaluate([b'{"age": "\xff"}\n'])
    assert json.loads(result.record) == {
        "line": 1,
        "error": {
            "kind": "invalid_json",
            "problems": [
                {
                    "field": "",
                    "message": "the line is not UTF-8 text (invalid start byte at byte 9)",
                    "suggestion": None,
                    "code": "IR311",
                }
            ],
        },
    }


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"age": 20, "age": 30}', "the key 'age' appears more than once in one object"),
        (
            '{"age": 20, "reasons": ["coping"], "family": {"a": 1, "b": 2, "b": 3, "a": 4}}',
            "the key 'b' appears more than once in one object",
        ),
        ("\ufeff" + '{"age": 20}', "not valid JSON: Unexpected UTF-8 BOM"),
        ("[" * 100_000 + "]" * 100_000, "not accepted: the JSON is nested too deeply"),
        ('{"age": ' + "9" * 5000 + "}", "not accepted: a number has too many digits"),
    ],
)
def test_json_is_read_as_strictly_as_a_single_assessment(rules: Path, line: str, message: str) -> None:
    """What ``evaluate`` refuses in a file, a batch refuses in a line, as an error record."""
    with Batch(rules) as batch:
        (result,) = batch.evaluate([line])
    record = json.loads(result.record)
    assert record["error"]["kind"] == "invalid_json"
    assert record["error"]["problems"][0]["message"].startswith(message)


def test_an_assessment_error_record_names_field_and_suggestion(rules: Path) -> None:
    with Batch(rules) as batch:
        (result,) = batch.evaluate(['{"age": 20, "reason": ["coping"]}'])
    record = json.loads(result.record)
    assert record["error"]["problems"] == [
        {"field": "reason", "message": "unknown feature", "suggestion": "reasons", "code": "IR302"}
    ]
    assert result.problems == ("reason: unknown feature; did you mean 'reasons'? [IR302]",)


def test_workers_refuse_a_rule_set_changed_after_the_batch_started(tmp_path: Path) -> None:
    """Every decision of a batch comes from the rule set whose digest was loaded first."""
    path = write_ruleset(tmp_path, ruleset_document(RandomSource(7), 5))
    with Batch(path, workers=2) as batch:
        path.write_text(path.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
        with pytest.raises(BatchError, match="differs from the approved version"):
            list(batch.evaluate(['{"age": 30}'] * 10))


def test_invalid_rules_fail_before_any_line_is_read(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text("rules: [", encoding="utf-8")
    with pytest.raises(ir.RuleSetError):
        Batch(tmp_path)


def test_at_least_one_worker() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        Batch(workers=0)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("fields", [None, "summary", "recommendations.intervention,trace"])
def test_full_and_compact_records_equal_one_by_one_evaluation_in_order(
    rules: Path, workers: int, fields: str | None
) -> None:
    """Each record is the decision (or its projection) one-by-one evaluation gives, in input order."""
    src = RandomSource(62)
    cases = [assessment(src) for _ in range(3 * CHUNK_LINES + 5)]
    ruleset = ir.load_ruleset(rules)
    tree = None if fields is None else Projection.named(fields).tree
    with Batch(rules, workers=workers, fields=fields) as batch:
        got = [r.record for r in batch.evaluate_assessments(cases)]
    want = [
        json.dumps(
            {
                "line": n,
                "decision": project(ruleset.evaluate(c).to_dict(), tree),
            },
            ensure_ascii=False,
        )
        for n, c in enumerate(cases, start=1)
    ]
    assert got == want


def test_an_unknown_field_fails_before_any_line_is_read(rules: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown field 'trace\.rules'"):
        Batch(rules, fields="trace.rules")
