"""Dask evaluation gives exactly the decisions of one-by-one evaluation, on a local cluster of two
worker processes (loopback only), each loading the rule set once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask.bag as db
import pytest
from distributed import Client, LocalCluster

import intervention_rules as ir
import intervention_rules.scale.dask as ir_dask
from intervention_rules.scale._project import Projection, project
from strategies import RandomSource, assessment, ruleset_document, write_ruleset


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=2,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("dask")
    return write_ruleset(directory, ruleset_document(RandomSource(9), 200, depth=3))


def one_by_one(ruleset: ir.RuleSet, cases: list[Any]) -> list[dict[str, Any]]:
    out = []
    for case in cases:
        try:
            out.append({"decision": ruleset.evaluate(case).to_dict()})
        except ir.AssessmentError:
            out.append({"error": "invalid"})
    return json.loads(json.dumps(out))


def test_a_bag_on_a_cluster_gives_the_one_by_one_decisions(client: Client, rules: Path) -> None:
    src = RandomSource(90)
    cases: list[Any] = [assessment(src) for _ in range(400)]
    cases[17] = {"age": "fifteen"}
    cases[250] = {"age": 20, "reason": ["coping"]}
    records = ir_dask.evaluate_bag(db.from_sequence(cases, npartitions=8), rules).compute()
    expected = one_by_one(ir.load_ruleset(rules), cases)
    assert len(records) == len(cases)
    for got, want in zip(records, expected, strict=True):
        if "error" in want:
            assert got["error"]["kind"] == "invalid_assessment"
            assert got["error"]["problems"]
        else:
            assert got == want
    # Each worker process loaded this rule set once, however many partitions it ran.
    loads = client.run(lambda: ir_dask.loads)
    assert sorted(loads.values()) == [1, 1]


@pytest.mark.parametrize("fields", [None, "summary"])
def test_map_decisions_full_and_compact_equal_one_by_one_evaluation_in_order(
    client: Client, rules: Path, fields: str | None
) -> None:
    """Records equal one-by-one evaluation (the full decision, or its projection), in order."""
    src = RandomSource(91)
    cases: list[Any] = [assessment(src) for _ in range(150)]
    ruleset = ir.load_ruleset(rules)
    tree = None if fields is None else Projection.named(fields).tree
    records = ir_dask.map_decisions(cases, rules, partitions=6, fields=fields)
    want = [{"decision": project(ruleset.evaluate(c).to_dict(), tree)} for c in cases]
    assert json.dumps(records) == json.dumps(want)


def test_an_unknown_field_fails_before_anything_is_computed(rules: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown field 'summary\.x'"):
        ir_dask.evaluate_bag(db.from_sequence([{"age": 20}]), rules, fields="summary.x")


def test_map_decisions_serves_an_impact_analysis_of_two_versions(client: Client, tmp_path: Path) -> None:
    """The same assessments under two rule set versions, as a governance diff needs them."""
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old = write_ruleset(tmp_path / "old", ruleset_document(RandomSource(1), 40))
    new = write_ruleset(tmp_path / "new", ruleset_document(RandomSource(2), 40))
    src = RandomSource(91)
    cases = [assessment(src) for _ in range(150)]
    before = ir_dask.map_decisions(cases, old, partitions=3)
    after = ir_dask.map_decisions(cases, new)
    assert before == one_by_one(ir.load_ruleset(old), cases)
    assert after == one_by_one(ir.load_ruleset(new), cases)
    assert before != after


def test_the_bundled_rule_set_is_the_default(client: Client) -> None:
    case = json.loads((Path(__file__).resolve().parents[1] / "examples" / "adolescent.json").read_text())
    (record,) = ir_dask.map_decisions([case])
    assert record == json.loads(json.dumps({"decision": ir.load_ruleset().evaluate(case).to_dict()}))


def test_an_invalid_rule_set_fails_before_anything_is_computed(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text("rules: [", encoding="utf-8")
    with pytest.raises(ir.RuleSetError):
        ir_dask.evaluate_bag(db.from_sequence([{"age": 3}]), tmp_path)


def test_rule_files_load_once_per_process_and_keep_their_digest(tmp_path: Path) -> None:
    path = write_ruleset(tmp_path, ruleset_document(RandomSource(3), 10))
    files = ir_dask.RuleFiles.read(path)
    assert files.digest == ir.load_ruleset(path).digest
    first = ir_dask.ruleset_for(files)
    assert ir_dask.ruleset_for(files) is first
    assert first.digest == files.digest
    assert first.files == ("ruleset.yaml",)
