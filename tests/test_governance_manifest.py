"""The rule-set manifest: approval records pinned to a content digest."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

import intervention_rules as ir
from copies import copy_rules, edit_rule, recommending_rule
from intervention_rules.governance import (
    Manifest,
    ManifestError,
    load_approved,
    manifest_path,
    read_manifest,
    write_manifest,
)

DAY = datetime.date(2026, 11, 27)


def approve(root: Path, reviewed: str | None = "diff and rule book") -> Manifest:
    record = Manifest.for_ruleset(
        ir.load_ruleset(root), "Dr A. Reviewer, clinical safety officer", DAY, reviewed
    )
    write_manifest(manifest_path(root), record)
    return record


def test_a_manifest_round_trips_and_is_not_part_of_the_digest(tmp_path: Path) -> None:
    """Writing manifest.json into the directory leaves the rule set's digest unchanged."""
    root = copy_rules(tmp_path)
    before = ir.load_ruleset(root).digest
    record = approve(root)
    assert manifest_path(root) == root / "manifest.json"
    assert read_manifest(root / "manifest.json") == record
    assert record.digest == before == ir.load_ruleset(root).digest
    data = json.loads((root / "manifest.json").read_text())
    assert data["approval"] == {
        "by": "Dr A. Reviewer, clinical safety officer",
        "on": "2026-11-27",
        "reviewed": "diff and rule book",
    }
    assert data["$schema"].endswith("manifest.schema.json")


def test_a_single_file_rule_set_keeps_its_manifest_beside_it(tmp_path: Path) -> None:
    assert manifest_path(tmp_path / "set.yaml") == tmp_path / "set.manifest.json"


def test_load_approved_returns_the_approved_rule_set(tmp_path: Path) -> None:
    root = copy_rules(tmp_path)
    record = approve(root, reviewed=None)
    ruleset, found = load_approved(root)
    assert found == record
    assert ruleset.digest == record.digest
    assert ruleset.evaluate({"age": 30}).ruleset.digest == record.digest


def test_a_changed_rule_set_is_refused_against_a_stale_manifest(tmp_path: Path) -> None:
    """Changing one strength after approval: the manifest is stale and loading is refused."""
    root = copy_rules(tmp_path)
    record = approve(root)
    rule_id, _ = recommending_rule(ir.load_ruleset(root))

    def weaken(rule: dict) -> None:  # type: ignore[type-arg]
        for action in rule["then"]:
            if "recommend" in action:
                action["recommend"]["strength"] = 0.5

    edit_rule(root, rule_id, weaken)
    with pytest.raises(ir.RuleSetError) as caught:
        load_approved(root)
    (problem,) = caught.value.problems
    assert f"not the approved {record.digest}" in problem.message
    with pytest.raises(ir.RuleSetError, match="differs from the approved version"):
        ir.load_ruleset(root, expected_digest=record.digest)


def test_a_manifest_for_another_version_is_refused(tmp_path: Path) -> None:
    root = copy_rules(tmp_path)
    record = approve(root)
    write_manifest(manifest_path(root), Manifest(record.name, "99.0", record.digest, record.approval))
    with pytest.raises(ManifestError) as caught:
        load_approved(root)
    assert [p.message for p in caught.value.problems] == [
        f"the manifest is for version 99.0, the rule files declare {ir.load_ruleset(root).version}"
    ]


def test_no_manifest_means_not_approved(tmp_path: Path) -> None:
    root = copy_rules(tmp_path)
    with pytest.raises(ManifestError, match="has not been approved"):
        load_approved(root)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "the manifest is not valid JSON: Expecting property name enclosed in double quotes"),
        (
            '{"name": "x", "version": "1", "digest": "sha256:00", '
            '"approval": {"by": "A", "on": "2026-11-27"}}',
            "invalid manifest: 'sha256:00' is not sha256: followed by 64 hexadecimal digits",
        ),
        (
            '{"name": "x", "version": "1", "digest": "sha256:'
            + "0" * 64
            + '", "approval": {"by": "A", "on": "2026-13-40"}}',
            "invalid manifest: '2026-13-40' is not a 'date'",
        ),
        (
            '{"name": "x", "version": "1", "digest": "sha256:' + "0" * 64 + '"}',
            "invalid manifest: 'approval' is a required property",
        ),
        # Read as strictly as an assessment: which of two digests was approved would be a guess,
        # and what Python's JSON reader cannot take is a clear error, not an internal one.
        (
            '{"digest": "sha256:' + "0" * 64 + '", "digest": "sha256:' + "1" * 64 + '"}',
            "the manifest: the key 'digest' appears more than once in one object",
        ),
        ('{"version": ' + "9" * 5000 + "}", "the manifest: not accepted: a number has too many digits"),
        ("[" * 100_000 + "]" * 100_000, "the manifest: not accepted: the JSON is nested too deeply"),
    ],
)
def test_an_invalid_manifest_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        read_manifest(path)
    assert [p.message for p in caught.value.problems] == [message]
    assert caught.value.problems[0].file == str(path)
    assert isinstance(caught.value, ir.InterventionRulesError)
