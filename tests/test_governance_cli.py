"""The governance commands: schema, lint, report, diff, digest, approve."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import intervention_rules as ir
from copies import ROOT, add_rules, copy_rules, edit_rule, recommending_rule, retire_drafts
from helpers import rule
from intervention_rules.cli import main
from intervention_rules.governance import EXIT_STATUS, read_manifest


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_schema_prints_the_packaged_schema_which_docs_publish() -> None:
    """`schema` prints the packaged JSON Schema byte for byte; docs/schemas holds identical copies."""
    packaged = ROOT / "src" / "intervention_rules" / "schemas"
    for flag, name in (((), "rule-file.schema.json"), (("--manifest",), "manifest.schema.json")):
        status, out, err = run("schema", *flag)
        assert (status, err) == (0, "")
        assert out == (packaged / name).read_text(encoding="utf-8")
        assert (ROOT / "docs" / "schemas" / name).read_text(encoding="utf-8") == out
        json.loads(out)


def test_lint_exit_status_is_that_of_the_worst_finding() -> None:
    status, out, err = run("lint", "--today", "2026-11-27", "--format", "json")
    data = json.loads(out)
    assert status == EXIT_STATUS[data["worst"]]
    assert err == ""
    status_text, text, _ = run("lint", "--today", "2026-11-27")
    assert status_text == status
    lines = text.splitlines()
    assert len(lines) == len(data["findings"]) + 1
    for line, finding in zip(lines, data["findings"], strict=False):
        assert line.startswith(
            f"{finding['file']}:{finding['line']}:{finding['column']}: {finding['severity']} ["
        )


def test_lint_on_a_copy_with_an_overdue_review_exits_1(tmp_path: Path) -> None:
    root = copy_rules(tmp_path)
    status, out, _ = run("lint", "--rules", str(root), "--today", "2100-01-01")
    assert status == 1
    assert "error [IR404 review-overdue]" in out


def test_lint_on_rules_that_do_not_load_prints_problems_on_stderr(tmp_path: Path) -> None:
    root = copy_rules(tmp_path)
    rule_id, _ = recommending_rule(ir.load_ruleset(root))
    edit_rule(root, rule_id, lambda r: r.update(status="final"))
    status, out, err = run("lint", "--rules", str(root))
    assert (status, out) == (1, "")
    assert "'final' is not one of: draft, active, retired" in err
    assert err.splitlines()[-1] == "1 problem(s); the rule set was not loaded"


def test_a_manifest_named_but_missing_is_an_error_at_its_file_with_no_line(tmp_path: Path) -> None:
    """Not ``FILE:0:0:``: a place with no line is the file alone."""
    missing = tmp_path / "approved.json"
    status, out, _ = run("lint", "--manifest", str(missing), "--today", "2026-11-27")
    assert status == 1
    assert f"{missing}: error [IR401 invalid-manifest] no manifest at this path" in out.splitlines()


def test_a_bad_date_is_a_usage_error() -> None:
    status, out, err = run("lint", "--today", "27/11/2026")
    assert (status, out) == (2, "")
    assert "not a date (YYYY-MM-DD): '27/11/2026'" in err


def test_report_writes_html_or_markdown(tmp_path: Path) -> None:
    target = tmp_path / "book.html"
    status, out, err = run(
        "report", "--format", "html", "--output", str(target), "--scenarios", str(ROOT / "examples")
    )
    assert (status, out, err) == (0, "", "")
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    status, out, _ = run("report", "--format", "md")
    assert status == 0
    assert out.startswith("# Rule book: ")


def test_diff_in_every_format_and_its_usage(tmp_path: Path) -> None:
    old, new = copy_rules(tmp_path, "old"), copy_rules(tmp_path, "new")
    add_rules(
        new, rule("ALERT-YOUNG", {"age": {"lt": 16}}, {"alert": {"severity": "info", "text": "Young."}})
    )
    status, out, _ = run("diff", str(old), str(new), "--generate", "40", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert [c["key"] for c in data["diff"]["changes"] if c["section"] == "rules"] == ["ALERT-YOUNG"]
    assert data["impact"]["source"].endswith(
        "fire one rule of either version, and 40 generated assessments (seed 0)"
    )
    assert data["impact"]["changed"] == data["impact"]["counts"]["alert_added"][""] > 0
    status, out, _ = run("diff", str(old), str(new), "--scenarios", str(ROOT / "examples"))
    assert status == 0
    assert "+ ALERT-YOUNG (added)" in out
    status, _, err = run("diff", str(old), str(new), "--scenarios", "x.json", "--generate", "3")
    assert status == 2
    assert "not allowed with argument" in err
    status, out, err = run("diff", str(old), str(tmp_path / "nowhere"))
    assert (status, out) == (2, "")  # wrong usage, as a --rules path that does not exist
    assert "argument NEW: no rule set at" in err


def test_diff_evaluates_each_rules_example_once_and_generates_what_it_is_told(tmp_path: Path) -> None:
    """A rule both versions share has one example, not two: counts of changed decisions are not
    doubled."""
    from intervention_rules.governance._scenarios import rule_examples

    old, new = copy_rules(tmp_path, "old"), copy_rules(tmp_path, "new")
    distinct = {json.dumps(e.assessment, sort_keys=True) for e in rule_examples(ir.load_ruleset(old))}
    status, out, _ = run("diff", str(old), str(new), "--generate", "1", "--format", "json")
    assert status == 0
    effects = json.loads(out)["impact"]
    assert effects["evaluated"] == len(distinct) + 1
    assert effects["source"] == (
        f"{len(distinct)} assessments that each fire one rule of either version, "
        "and 1 generated assessments (seed 0)"
    )


@pytest.mark.parametrize(
    "command",
    [
        ("schema",),
        ("lint", "--today", "2026-11-27"),
        ("digest",),
        ("report", "--format", "md"),
        ("diff", "rules", "rules", "--generate", "1"),
    ],
)
def test_a_full_disk_on_standard_output_is_status_74_as_for_every_command(command: tuple[str, ...]) -> None:
    """Not "cannot write None" and the wrong-usage status: the output could not be written."""
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [sys.executable, "-m", "intervention_rules", *command],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
    assert result.returncode == 74, result.stderr
    assert result.stderr == "intervention-rules: error: cannot write the output: No space left on device\n"


def test_an_output_file_that_cannot_be_opened_is_wrong_usage_naming_it(tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "book.md"
    status, out, err = run("report", "--format", "md", "--output", str(target))
    assert (status, out) == (2, "")
    assert err == f"intervention-rules: error: cannot write {target}: No such file or directory\n"


def test_approve_then_digest_then_a_change_makes_the_manifest_stale(tmp_path: Path) -> None:
    """Approval is refused while draft rules would evaluate; retiring them, it is recorded."""
    root = copy_rules(tmp_path)
    if any(r.status == "draft" for r in ir.load_ruleset(root).rules):
        status, out, err = run("approve", "--rules", str(root), "--by", "Dr A", "--on", "2026-11-27")
        assert (status, out) == (1, "")
        assert "error [IR406 draft-in-approved-set]" in err
        assert not (root / "manifest.json").exists()
    retire_drafts(root)
    digest = ir.load_ruleset(root).digest
    status, out, _ = run("digest", "--rules", str(root))
    assert (status, out) == (0, digest + "\n")
    status, out, _ = run(
        "approve",
        "--rules",
        str(root),
        "--by",
        "Dr A. Reviewer",
        "--on",
        "2026-11-27",
        "--reviewed",
        "diff, report",
    )
    assert status == 0
    loaded = ir.load_ruleset(root)
    assert out == f"approved {loaded.name} {loaded.version} ({digest}) in {root / 'manifest.json'}\n"
    record = read_manifest(root / "manifest.json")
    assert (record.digest, record.approval.by, record.approval.reviewed) == (
        digest,
        "Dr A. Reviewer",
        "diff, report",
    )
    status, out, err = run("digest", "--rules", str(root))
    assert (status, out) == (0, digest + "\n")
    assert "approved by Dr A. Reviewer on 2026-11-27" in err
    rule_id, _ = recommending_rule(ir.load_ruleset(root))
    edit_rule(root, rule_id, lambda r: r.update(title="Edited after approval"))
    status, out, err = run("digest", "--rules", str(root))
    assert (status, out) == (1, "")
    assert "stale manifest" in err
    status, out, _ = run("digest", "--rules", str(root), "--no-manifest")
    assert status == 0
    assert out == ir.load_ruleset(root).digest + "\n"


def test_approve_refuses_a_rule_set_with_error_findings(tmp_path: Path) -> None:
    root = copy_rules(tmp_path)
    status, out, err = run("approve", "--rules", str(root), "--by", "Dr A", "--on", "2100-01-01")
    assert (status, out) == (1, "")
    assert "error [IR404 review-overdue]" in err
    assert not (root / "manifest.json").exists()


def test_the_commands_run_as_a_real_process(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "intervention_rules", "digest", "--rules", "rules"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ir.load_ruleset(ROOT / "rules").digest + "\n"


def test_validate_report_and_diff_refuse_a_broken_copy(tmp_path: Path) -> None:
    """A copy with an unknown feature in one rule: every command reports it, located, and prints nothing."""
    good, broken = copy_rules(tmp_path, "good"), copy_rules(tmp_path, "broken")
    rule_id, _ = recommending_rule(ir.load_ruleset(broken))
    edit_rule(broken, rule_id, lambda r: r.update(when={"reason": {"contains_any": ["coping"]}}))
    for argv in (
        ("validate", "--rules", str(broken)),
        ("report", "--format", "md", "--rules", str(broken)),
        ("diff", str(good), str(broken)),
        ("digest", "--rules", str(broken)),
    ):
        status, out, err = run(*argv)
        assert (status, out) == (1, ""), argv
        assert "unknown feature 'reason'; did you mean 'reasons'?" in err, argv
        assert f"{broken}/" in err.splitlines()[0], argv
    assert run("validate", "--rules", str(good))[0] == 0


def test_bad_scenarios_stale_manifests_and_unwritable_output_are_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("[]")
    status, out, err = run("report", "--format", "md", "--scenarios", str(tmp_path / "bad.json"))
    assert (status, out) == (1, "")
    assert err.splitlines()[-1] == "1 problem(s) in the scenario files"
    root = copy_rules(tmp_path)
    (root / "manifest.json").write_text("{}")
    status, out, err = run("digest", "--rules", str(root))
    assert (status, out) == (1, "")
    assert err.splitlines()[-1] == "4 problem(s) in the manifest"
    status, out, err = run("report", "--output", str(tmp_path / "no" / "such" / "dir.html"))
    assert (status, out) == (2, "")
    assert "cannot write" in err
