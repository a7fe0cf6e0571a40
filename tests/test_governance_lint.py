"""Governance findings on the bundled rule set and on deliberately broken copies."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import yaml

import intervention_rules as ir
from copies import add_rules, copy_rules, edit_rule, recommending_rule
from helpers import make_ruleset, recommend, rule
from intervention_rules.governance import EXIT_STATUS, Manifest, lint, manifest_path, write_manifest

DAY = datetime.date(2026, 11, 27)


def codes(result: Any, slug: str) -> list[Any]:
    """The findings of one kind, by the name of their code."""
    return [f for f in result.findings if f.slug == slug]


def test_the_bundled_rule_set_lints_with_located_findings() -> None:
    """Every finding on the bundled set points at a real line of a real file; the exit status
    is that of the worst finding."""
    result = lint(today=DAY)
    assert result.ruleset is not None
    assert all(f.code.startswith("IR4") for f in result.findings)
    for finding in result.findings:
        assert Path(finding.file).exists(), finding
        assert finding.line >= 1, finding
        assert finding.severity in ("error", "warning", "info")
    assert result.exit_status == EXIT_STATUS[result.worst]
    severities = {f.severity for f in result.findings}
    assert result.worst == next((s for s in ("error", "warning", "info") if s in severities), None)


def test_the_bundled_rule_set_warns_only_about_its_placeholder_reviewers() -> None:
    """No real clinical reviewer is named yet, so every active rule warns about its placeholder
    reviewer; nothing else does. In particular every caution, prompt and adjustment can show
    (1.2.2 had a prompt on the SNRI card of a rule that fires only under 18, where no SNRI is
    ever suggested)."""
    result = lint(today=DAY)
    assert codes(result, "never-shown") == []
    warned = {f.slug for f in result.findings if f.severity == "warning"}
    assert warned == {"reviewer-placeholder"}


def test_findings_are_ordered_worst_first_and_counted() -> None:
    result = lint(today=DAY)
    order = [("error", "warning", "info").index(f.severity) for f in result.findings]
    assert order == sorted(order)
    data = result.to_dict()
    assert sum(data["counts"].values()) == len(data["findings"])
    assert result.to_text().splitlines()[-1].endswith(f"worst: {result.worst or 'none'}")


def test_rules_past_their_review_date_are_errors(tmp_path: Path) -> None:
    root = copy_rules(tmp_path)
    ruleset = ir.load_ruleset(root)
    live = [r for r in ruleset.rules if r.status != "retired"]
    latest = max(r.review_due for r in live)
    result = lint(root, today=latest + datetime.timedelta(days=1))
    overdue = codes(result, "review-overdue")
    assert {f.rule for f in overdue} == {r.id for r in live}
    assert all(f.severity == "error" for f in overdue)
    assert result.exit_status == 1
    soon = lint(root, today=latest - datetime.timedelta(days=3))
    assert latest.isoformat() in " ".join(f.message for f in codes(soon, "review-due-soon"))


def test_a_draft_rule_in_an_approved_set_is_an_error(tmp_path: Path) -> None:
    root = copy_rules(tmp_path)
    rule_id, _ = recommending_rule(ir.load_ruleset(root))
    edit_rule(root, rule_id, lambda r: r.update(status="draft"))
    ruleset = ir.load_ruleset(root)
    drafts = {r.id for r in ruleset.rules if r.status == "draft"}
    unapproved = codes(lint(root, today=DAY), "draft-rule")
    assert {f.rule for f in unapproved} == drafts
    assert {f.severity for f in unapproved} == {"info"}
    write_manifest(manifest_path(root), Manifest.for_ruleset(ruleset, "Dr A", DAY))
    result = lint(root, today=DAY)
    approved = codes(result, "draft-in-approved-set")
    assert {f.rule for f in approved} == drafts
    assert {f.severity for f in approved} == {"error"}
    (finding,) = [f for f in approved if f.rule == rule_id]
    assert finding.file.endswith(".yaml")
    assert finding.line > 1
    assert result.exit_status == 1


def test_a_stale_manifest_is_an_error(tmp_path: Path) -> None:
    root = copy_rules(tmp_path)
    ruleset = ir.load_ruleset(root)
    write_manifest(manifest_path(root), Manifest.for_ruleset(ruleset, "Dr A", DAY))
    assert not codes(lint(root, today=DAY), "stale-manifest")
    rule_id, _ = recommending_rule(ruleset)
    edit_rule(root, rule_id, lambda r: r.update(title=r["title"] + " (edited)"))
    result = lint(root, today=DAY)
    (finding,) = codes(result, "stale-manifest")
    assert finding.severity == "error"
    assert finding.file == str(root / "manifest.json")
    assert "does not cover this version" in finding.message
    assert result.exit_status == 1


def test_an_unreadable_manifest_is_an_error(tmp_path: Path) -> None:
    root = copy_rules(tmp_path)
    (root / "manifest.json").write_text("{}", encoding="utf-8")
    assert {f.severity for f in codes(lint(root, today=DAY), "invalid-manifest")} == {"error"}


def test_a_rule_set_that_does_not_load_gives_its_problems_as_errors(tmp_path: Path) -> None:
    """An active rule without a reviewer is refused by the loader; lint reports it, located."""
    root = copy_rules(tmp_path)
    rule_id, _ = recommending_rule(ir.load_ruleset(root))
    edit_rule(root, rule_id, lambda r: r.pop("reviewer"))
    result = lint(root, today=DAY)
    assert result.ruleset is None
    (finding,) = result.findings
    assert (finding.severity, finding.code, finding.slug) == ("error", "IR121", "missing-field")
    assert finding.message == "missing required field 'reviewer'"
    assert finding.line > 1
    assert result.exit_status == 1


def test_recommend_and_not_recommend_on_overlapping_conditions(tmp_path: Path) -> None:
    """The overlap comes with an example on which both rules fire and not-recommend wins."""
    ruleset = make_ruleset(
        tmp_path,
        rule("SSRI-DEPRESSION", {"conditions": {"contains_any": ["depression"]}}, recommend("ssri", 2)),
        rule(
            "NO-SSRI-YOUNG",
            {"age": {"lt": 18}},
            {"not_recommend": {"intervention": "ssri", "text": "Young."}},
        ),
        rule(
            "NO-SSRI-ADULT-ANXIETY",
            {
                "all": [
                    {"age": {"gte": 18}},
                    {"conditions": {"contains_all": ["anxiety"]}},
                    {"conditions": {"contains_none": ["depression"]}},
                ]
            },
            {"not_recommend": {"intervention": "ssri", "text": "x"}},
        ),
    )
    result = lint(tmp_path / "ruleset.yaml", today=DAY)
    (finding,) = codes(result, "recommend-and-not-recommend")
    assert (finding.rule, finding.severity) == ("SSRI-DEPRESSION", "info")
    assert "NO-SSRI-YOUNG" in finding.message
    assert finding.example is not None
    decision = ruleset.evaluate(finding.example)
    assert {"SSRI-DEPRESSION", "NO-SSRI-YOUNG"} <= set(decision.fired)
    assert "ssri" in [n.intervention for n in decision.not_recommended]
    assert not codes(result, "shadowed")
    # The text form shows the example its message refers to, on the finding's one line.
    shown = json.dumps(finding.example, sort_keys=True)
    assert str(finding).endswith(f"not-recommend wins where both hold, as in the example: {shown}")
    assert str(finding) in result.to_text().splitlines()


def test_a_recommendation_always_overruled_is_shadowed(tmp_path: Path) -> None:
    make_ruleset(
        tmp_path,
        rule(
            "SSRI-CHILD",
            {"all": [{"age": {"lt": 12}}, {"conditions": {"contains_any": ["anxiety"]}}]},
            recommend("ssri", 2),
        ),
        rule(
            "NO-SSRI-YOUNG",
            {"age": {"lt": 18}},
            {"not_recommend": {"intervention": "ssri", "text": "Young."}},
        ),
    )
    (finding,) = codes(lint(tmp_path / "ruleset.yaml", today=DAY), "shadowed")
    assert (finding.rule, finding.severity) == ("SSRI-CHILD", "warning")
    assert "NO-SSRI-YOUNG" in finding.message


def test_unreachable_rules_and_never_shown_cautions(tmp_path: Path) -> None:
    make_ruleset(
        tmp_path,
        rule("AGE-NOT-RECORDED", {"age": {"recorded": False}}, recommend("dbt", 1)),
        rule("ORPHAN-FACT", {"fact": "f2"}, recommend("cbt", 1)),
        rule("SSRI", {"conditions": {"contains_any": ["depression"]}}, recommend("ssri", 2)),
        rule(
            "NO-SSRI-YOUNG",
            {"age": {"lt": 18}},
            {"not_recommend": {"intervention": "ssri", "text": "Young."}},
        ),
        rule(
            "CAUTION-CHILD",
            {"age": {"lt": 10}},
            {"caution": {"intervention": "ssri", "severity": "warning", "text": "x"}},
        ),
        rule(
            "CAUTION-ADULT",
            {"age": {"gte": 65}},
            {"caution": {"intervention": "ssri", "severity": "warning", "text": "x"}},
        ),
    )
    result = lint(tmp_path / "ruleset.yaml", today=DAY)
    assert {f.rule for f in codes(result, "unreachable")} == {"AGE-NOT-RECORDED", "ORPHAN-FACT"}
    assert [f.rule for f in codes(result, "never-shown")] == ["CAUTION-CHILD"]
    assert [f.message for f in codes(result, "fact-never-concluded")] == [
        "rules test fact 'f2' but no rule concludes it"
    ]
    assert result.exit_status == 3


def test_vocabulary_never_used_is_reported_where_it_is_declared(tmp_path: Path) -> None:
    make_ruleset(tmp_path, rule("ONLY", {"age": {"gte": 18}}, recommend("dbt", 1)))
    result = lint(tmp_path / "ruleset.yaml", today=DAY)
    text = (tmp_path / "ruleset.yaml").read_text().splitlines()
    unused = {f.message: f for f in codes(result, "unused-feature")}
    finding = unused["no rule tests feature 'family.conflict'"]
    # the finding points at the declaration: its key's line, or the first line of its block
    assert "conflict:" in text[finding.line - 1] or text[finding.line - 2].strip() == "conflict:"
    assert "no rule tests feature 'age'" not in unused
    assert {f.severity for f in codes(result, "unused-intervention")} == {"warning"}
    assert "no rule concerns intervention 'cbt'" in [f.message for f in codes(result, "unused-intervention")]
    roles = [f.message for f in codes(result, "unused-role")]
    assert "no prompt involves role 'pharmacist'" in roles
    assert [f.message for f in codes(result, "no-collaboration")] == [
        "'dbt' is recommended but no prompt says who to involve"
    ]
    assert len(codes(result, "unused-fact")) == 4


def test_reviewers_who_are_the_author_or_a_placeholder(tmp_path: Path) -> None:
    placeholder = rule("PENDING", {"age": {"gte": 18}}, recommend("dbt", 1))
    placeholder["reviewer"] = "To be confirmed"
    make_ruleset(tmp_path, rule("SELF", {"age": {"lt": 18}}, recommend("dbt", 1)), placeholder)
    result = lint(tmp_path / "ruleset.yaml", today=DAY)
    assert [f.rule for f in codes(result, "self-reviewed")] == ["SELF"]
    assert [f.rule for f in codes(result, "reviewer-placeholder")] == ["PENDING"]


def test_files_that_point_at_the_schema_are_not_reported(tmp_path: Path) -> None:
    root = copy_rules(tmp_path)
    first, second = sorted(root.glob("*.yaml"))[:2]
    for path in (first, second):  # the bundled files point at the schema: take the pointers out
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if not line.startswith(("$schema:", "# yaml-language-server:"))]
        path.write_text("".join(kept), encoding="utf-8")
    before = {Path(f.file).name for f in codes(lint(root, today=DAY), "no-schema-pointer")}
    first.write_text("$schema: ../docs/schemas/rule-file.schema.json\n" + first.read_text(), encoding="utf-8")
    modeline = "# yaml-language-server: $schema=../docs/schemas/rule-file.schema.json\n"
    second.write_text(modeline + second.read_text(), encoding="utf-8")
    after = {Path(f.file).name for f in codes(lint(root, today=DAY), "no-schema-pointer")}
    assert {first.name, second.name} <= before
    assert after == before - {first.name, second.name}


def test_an_added_conflicting_rule_in_a_copy_of_the_bundled_set(tmp_path: Path) -> None:
    """A not-recommend added over every assessment shadows every recommendation of that intervention."""
    root = copy_rules(tmp_path)
    rule_id, intervention = recommending_rule(ir.load_ruleset(root))
    veto = rule(
        "VETO-ALL",
        {"age": {"recorded": True}},
        {"not_recommend": {"intervention": intervention, "text": "No."}},
    )
    add_rules(root, veto)
    result = lint(root, today=DAY)
    assert rule_id in {f.rule for f in codes(result, "shadowed")}
    assert result.exit_status in (1, 3)
    assert yaml.safe_load((root / "zz-added.yaml").read_text())["rules"][0]["id"] == "VETO-ALL"


def test_the_source_article_is_never_graded(tmp_path: Path) -> None:
    """With ``ruleset.source_article`` declared, any evidence entry citing the article, on a live
    rule or in the catalogue, graded above not_graded is an error at the rule or the entry."""
    from strategies import BASE

    def citing(grade: str) -> dict[str, Any]:
        return {"source": "Guiding Hand, section 'DBT'", "grade": grade, "confidence": "high"}

    graded, fine, retired = (
        rule("GRADED", {"age": {"lt": 18}}, recommend("dbt", 1)),
        rule("FINE", {"age": {"gte": 18}}, recommend("dbt", 1)),
        rule("OLD", {"age": {"gte": 18}}, recommend("cbt", 1), status="retired"),
    )
    graded["evidence"].append(citing("high"))
    fine["evidence"].append(citing("not_graded"))
    retired["evidence"].append(citing("moderate"))
    document = yaml.safe_load(yaml.safe_dump(BASE))
    document["ruleset"]["source_article"] = "Guiding Hand"
    document["interventions"]["dbt"]["evidence"] = [citing("not_graded"), citing("low")]
    document["rules"] = [graded, fine, retired]
    path = tmp_path / "ruleset.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    assert ir.load_ruleset(path).source_article == "Guiding Hand"
    found = codes(lint(path, today=DAY), "source-article-graded")
    assert [(f.severity, f.rule) for f in found] == [("error", None), ("error", "GRADED")]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[found[0].line - 2].strip() == "evidence:"  # the finding points at the list
    assert "'low'" in found[0].message
    assert lines[found[1].line - 1].strip() == "- id: GRADED"
    assert found[1].message == (
        "evidence citing the source article (Guiding Hand, section 'DBT') is graded 'high': the article "
        "is the content encoded here, not evidence of an effect; grade it not_graded and cite the "
        "studies or guidance for the grade"
    )
    del document["ruleset"]["source_article"]
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    assert codes(lint(path, today=DAY), "source-article-graded") == []


def test_the_bundled_rule_set_never_grades_its_source_article() -> None:
    """The default rule set declares its source article, and no evidence entry citing it is graded
    (second clinical review: 1.1.0 graded it in 15 entries)."""
    result = lint(today=DAY)
    assert result.ruleset is not None
    assert result.ruleset.source_article == "Guiding Hand"
    assert codes(result, "source-article-graded") == []
