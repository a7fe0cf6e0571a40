"""Semantic diff between rule-set versions, and the impact on decisions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from playwright.sync_api import BrowserContext

import intervention_rules as ir
from browser import browser_fixture, open_page  # noqa: F401 (browser_fixture provides "browser")
from copies import add_rules, copy_rules, edit_rule, recommending_rule
from helpers import cli, rule
from intervention_rules.governance._diff import diff_rulesets, impact, render_diff
from intervention_rules.governance._scenarios import NamedAssessment, generate, read_assessments


def strengthen(rule_dict: dict[str, Any]) -> None:
    for action in rule_dict["then"]:
        if "recommend" in action:
            action["recommend"]["strength"] = action["recommend"]["strength"] + 10
            return


def test_identical_rule_sets_differ_in_nothing(tmp_path: Path) -> None:
    old = ir.load_ruleset(copy_rules(tmp_path, "old"))
    new_root = copy_rules(tmp_path, "new")
    first = sorted(new_root.glob("*.yaml"))[0]
    first.write_text("# a comment changes the bytes, not the meaning\n" + first.read_text(), encoding="utf-8")
    new = ir.load_ruleset(new_root)
    assert old.digest != new.digest
    changes = diff_rulesets(old, new)
    assert [(c.section, c.notes) for c in changes.changes] == [
        ("ruleset", ("the content changed but the rule set's version did not",))
    ]
    effects = impact(old, new, generate(new, 100), "generated")
    assert (effects.evaluated, effects.changed, effects.counts) == (100, (), {})


def test_a_changed_strength_is_one_field_of_one_rule_and_re_ranks_decisions(tmp_path: Path) -> None:
    old_root, new_root = copy_rules(tmp_path, "old"), copy_rules(tmp_path, "new")
    old = ir.load_ruleset(old_root)
    rule_id, intervention = recommending_rule(old)
    edit_rule(new_root, rule_id, strengthen)
    new = ir.load_ruleset(new_root)
    (change,) = diff_rulesets(old, new).section("rules")
    assert (change.kind, change.key, [f.field for f in change.fields]) == ("changed", rule_id, ["then"])
    assert "the rule's content changed but its version number did not" in change.notes
    effects = impact(old, new, generate(new, 300, also=[old]), "generated")
    assert effects.changed
    for scenario in effects.changed:
        # only that rule changed, so every changed decision is one where it fired, in both versions
        before = old.evaluate(scenario.assessment).recommendation(intervention)
        after = new.evaluate(scenario.assessment).recommendation(intervention)
        assert before is not None
        assert after is not None
        assert after.strength >= before.strength
        assert after.rank <= before.rank
    assert set(effects.counts) <= {"strength_changed", "re_ranked"}
    assert effects.counts["strength_changed"][intervention] > 0


def test_added_and_removed_rules_and_their_impact(tmp_path: Path) -> None:
    """A new not-recommend and alert show as added; decisions gain the veto and the alert."""
    old_root, new_root = copy_rules(tmp_path, "old"), copy_rules(tmp_path, "new")
    old = ir.load_ruleset(old_root)
    _, intervention = recommending_rule(old)
    veto = rule(
        "VETO-UNDER-30",
        {"age": {"lt": 30}},
        {"not_recommend": {"intervention": intervention, "text": "Not under 30."}},
        {"alert": {"severity": "warning", "text": "Under 30."}},
    )
    add_rules(new_root, veto)
    new = ir.load_ruleset(new_root)
    added = diff_rulesets(old, new).section("rules")
    assert [(c.kind, c.key) for c in added] == [("added", "VETO-UNDER-30")]
    assert "When age is under 30: do not recommend" in added[0].summary
    scenarios = [NamedAssessment("young", {"age": 20}), NamedAssessment("older", {"age": 40})]
    effects = impact(old, new, scenarios, "two")
    (young,) = effects.changed
    kinds = {(c["kind"], c["intervention"]) for c in young.changes}
    assert ("newly_not_recommended", intervention) in kinds
    assert ("alert_added", "") in kinds
    assert young.name == "young"
    reverse = diff_rulesets(new, old).section("rules")
    assert [(c.kind, c.key) for c in reverse] == [("removed", "VETO-UNDER-30")]


def test_vocabulary_and_catalogue_changes_field_by_field(tmp_path: Path) -> None:
    old_root, new_root = copy_rules(tmp_path, "old"), copy_rules(tmp_path, "new")
    for file in new_root.glob("*.yaml"):
        data = yaml.safe_load(file.read_text())
        if "age" in data.get("features", {}):  # the vocabulary file (others may declare features too)
            data["features"]["age"]["maximum"] = 110
        if "roles" in data:
            data["roles"]["peer_worker"] = {"title": "Peer support worker"}
        if "interventions" in data:
            first = next(iter(data["interventions"]))
            data["interventions"][first]["title"] = "Renamed"
        file.write_text(yaml.safe_dump(data, sort_keys=False))
    old, new = ir.load_ruleset(old_root), ir.load_ruleset(new_root)
    d = diff_rulesets(old, new)
    (age,) = d.section("features")
    assert (age.key, [(f.field, f.old, f.new) for f in age.fields]) == ("age", [("maximum", 120, 110)])
    assert [(c.kind, c.key) for c in d.section("roles")] == [("added", "peer_worker")]
    (iv,) = d.section("interventions")
    assert [f.field for f in iv.fields] == ["title"]
    effects = impact(old, new, [NamedAssessment("very old", {"age": 115})], "one")
    assert [c["kind"] for c in effects.changed[0].changes] == ["invalid_in_new"]


def test_an_assessment_both_versions_refuse_alike_is_not_a_change(tmp_path: Path) -> None:
    old_root, new_root = copy_rules(tmp_path, "old"), copy_rules(tmp_path, "new")
    for file in new_root.glob("*.yaml"):
        data = yaml.safe_load(file.read_text())
        if "age" in data.get("features", {}):
            data["features"]["age"]["maximum"] = 110
            file.write_text(yaml.safe_dump(data, sort_keys=False))
    old, new = ir.load_ruleset(old_root), ir.load_ruleset(new_root)
    scenarios = [
        NamedAssessment("age as text", {"age": "15"}),  # refused alike
        NamedAssessment("no age", {"reasons": ["coping"]}),  # refused alike
        NamedAssessment("far too old", {"age": 130}),  # refused by both, for a different range
        NamedAssessment("adult", {"age": 30}),  # decided alike
    ]
    effects = impact(old, new, scenarios, "four")
    assert effects.refused_by_both == 2
    assert [(s.name, [c["kind"] for c in s.changes]) for s in effects.changed] == [
        ("far too old", ["invalid_in_old", "invalid_in_new"])
    ]
    text = render_diff(diff_rulesets(old, new), effects, "text")
    assert "IMPACT over four: 1 of 4 decisions change\n" in text
    assert "  refused alike by both versions (no decision to compare): 2\n" in text
    data = json.loads(render_diff(diff_rulesets(old, new), effects, "json"))["impact"]
    assert (data["evaluated"], data["changed"], data["refused_by_both"]) == (4, 1, 2)
    html = render_diff(diff_rulesets(old, new), effects, "html")
    assert "Refused alike by both versions (no decision to compare): 2." in html
    same = impact(old, old, scenarios, "four")
    assert (same.changed, same.refused_by_both) == ((), 3)


def test_the_three_output_formats(tmp_path: Path) -> None:
    old_root, new_root = copy_rules(tmp_path, "old"), copy_rules(tmp_path, "new")
    old = ir.load_ruleset(old_root)
    rule_id, _ = recommending_rule(old)
    edit_rule(new_root, rule_id, strengthen)
    new = ir.load_ruleset(new_root)
    d, effects = diff_rulesets(old, new), impact(old, new, generate(new, 50), "50 generated")
    data = json.loads(render_diff(d, effects, "json"))
    assert data["diff"]["changes"][-1]["key"] == rule_id
    assert data["impact"]["evaluated"] == 50
    text = render_diff(d, effects, "text")
    assert f"~ {rule_id} (changed)" in text
    assert f"IMPACT over 50 generated: {len(effects.changed)} of 50 decisions change" in text
    html = render_diff(d, effects, "html")
    assert html.startswith("<!DOCTYPE html>")
    assert f'{rule_id} <span class="badge changed">changed</span>' in html


def test_the_html_diff_in_a_browser(browser: BrowserContext, tmp_path: Path) -> None:
    """A reader sees the added rule, the changed field's old and new text, and the impact;
    rule text is shown, never run, and the page loads nothing else."""
    old_root, new_root = copy_rules(tmp_path, "old"), copy_rules(tmp_path, "new")
    old = ir.load_ruleset(old_root)
    rule_id, _ = recommending_rule(old)
    edit_rule(new_root, rule_id, strengthen)
    hostile = "<script>window.__pwned = 1</script>"
    add_rules(
        new_root,
        rule("ALERT-ALL", {"age": {"recorded": True}}, {"alert": {"severity": "info", "text": hostile}}),
    )
    new = ir.load_ruleset(new_root)
    html = render_diff(diff_rulesets(old, new), impact(old, new, generate(new, 30), "30 generated"), "html")
    page, requests = open_page(browser, html, tmp_path)
    try:
        assert len(requests) == 1
        assert page.evaluate("window.__pwned === undefined")
        seen = page.inner_text("body")
        added = page.locator("article.change-added", has_text="ALERT-ALL")
        assert added.is_visible()
        assert "added" in added.locator(".badge").inner_text()
        changed = page.locator("article.change-changed", has_text=rule_id)
        assert changed.locator("del").first.is_visible()
        assert changed.locator("ins").first.is_visible()
        assert "30 of 30 decisions change" in seen
        assert "new alert\t\t30" in seen
        assert hostile in seen
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
    finally:
        page.close()


def test_an_intervention_moved_to_considered_is_reported(tmp_path: Path) -> None:
    """Declaring ``zero_strength: considered`` drops a strength-0 recommendation into the
    considered list; the impact says both, and the reverse."""
    from helpers import make_ruleset, recommend
    from intervention_rules.governance._scenarios import NamedAssessment

    lower = {"adjust": {"intervention": "mindfulness", "by": -1, "text": "Little support."}}
    rules = (
        rule("REC", {"age": {"gte": 18}}, recommend("mindfulness", 1), recommend("cbt", 1)),
        rule("LOWER", {"age": {"gte": 18}}, lower),
    )
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old = make_ruleset(tmp_path / "old", *rules)
    new = make_ruleset(tmp_path / "new", *rules, zero_strength="considered")
    adult = [NamedAssessment("adult", {"age": 30})]
    (meta,) = diff_rulesets(old, new).section("ruleset")
    assert [(f.field, f.old, f.new) for f in meta.fields] == [("zero_strength", "ranked", "considered")]
    (changed,) = impact(old, new, adult, "named").changed
    assert [(c["kind"], c["intervention"]) for c in changed.changes] == [
        ("dropped", "mindfulness"),
        ("newly_considered", "mindfulness"),
    ]
    (back,) = impact(new, old, adult, "named").changed
    assert [(c["kind"], c["intervention"]) for c in back.changes] == [
        ("newly_recommended", "mindfulness"),
        ("no_longer_considered", "mindfulness"),
    ]


def test_assessments_from_json_files_are_named_not_quoted_unless_asked(tmp_path: Path) -> None:
    """A population's own assessments (JSON Lines, JSON) may be real people's: the impact names
    them by file and line; `--show-values` quotes them. Scenario files' assessments are quoted."""
    old_root, new_root = copy_rules(tmp_path, "old"), copy_rules(tmp_path, "new")
    rule_id, _ = recommending_rule(ir.load_ruleset(old_root))
    edit_rule(new_root, rule_id, strengthen)
    old, new = ir.load_ruleset(old_root), ir.load_ruleset(new_root)
    people = [s.assessment for s in generate(new, 40)]
    population = tmp_path / "population.jsonl"
    population.write_text("".join(json.dumps(a) + "\n" for a in people), encoding="utf-8")
    scenarios = read_assessments([population])
    assert all(s.private for s in scenarios)
    effects = impact(old, new, scenarios, "a population")
    assert effects.changed
    assert all(s.assessment is None for s in effects.changed)
    first = effects.changed[0]
    assert first.name.startswith(f"{population}:")
    quoted = json.dumps(people[int(first.name.rsplit(":", 1)[1]) - 1], ensure_ascii=False, sort_keys=True)
    text = render_diff(diff_rulesets(old, new), effects, "text")
    assert f"  {first.name}\n" in text
    assert quoted not in text
    assert "named, not quoted; --show-values quotes them" in text
    assert all(
        d["assessment"] is None
        for d in json.loads(render_diff(diff_rulesets(old, new), effects, "json"))["impact"]["decisions"]
    )
    html = render_diff(diff_rulesets(old, new), effects, "html")
    assert "Assessments read from JSON files may be real people" in html
    assert '"age"' not in html

    command = ["diff", str(old_root), str(new_root), "--scenarios", str(population)]
    hidden, shown = cli(*command), cli(*command, "--show-values")
    assert (hidden.returncode, shown.returncode) == (0, 0), hidden.stderr + shown.stderr
    assert quoted not in hidden.stdout
    assert f"  {first.name} {quoted}\n" in shown.stdout

    changed = people[int(first.name.rsplit(":", 1)[1]) - 1]
    made_up = impact(old, new, [NamedAssessment("made up", changed)], "one")
    assert [s.assessment for s in made_up.changed] == [changed]  # not read from a JSON file: quoted
