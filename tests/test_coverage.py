"""Rule and condition coverage of a rule set by scenarios."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import TOOLKIT_SCENARIOS, make_ruleset, recommend, rule, toolkit_ruleset
from intervention_rules.testing import CoverageCollector, condition_tests, load_scenarios, run_scenarios

RULES = toolkit_ruleset()


def collect(*assessments: dict[str, object]) -> CoverageCollector:
    collector = CoverageCollector(RULES)
    for assessment in assessments:
        collector.add(RULES.normalise(assessment), RULES.evaluate(assessment))
    return collector


def test_the_fixture_scenarios_cover_every_rule_and_condition() -> None:
    report = run_scenarios(RULES, load_scenarios(TOOLKIT_SCENARIOS, RULES)).coverage
    assert report.scenarios == 11  # of 12: the rejected assessment has no decision to count
    assert (report.rule_percent, report.condition_percent) == (100.0, 100.0)
    assert report.never_fired == ()
    assert [c.condition for c in report.conditions if c.constant] == ["age is recorded"]


def test_one_assessment_leaves_rules_unfired_and_tests_seen_one_way() -> None:
    report = collect({"age": 15, "reasons": ["emotional_regulation"]}).report()
    assert [r.rule for r in report.never_fired] == [
        "CBT-COPING",
        "GROUP-ADULT",
        "FAMILY-YOUNG",
        "SSRI-DEPRESSION",
        "SSRI-NOT-BIPOLAR",
        "HIGH-DISTRESS",
        "SAFEGUARDING",
    ]
    assert report.rule_percent == 30.0
    by_path = {c.path: c for c in report.conditions}
    under_18 = by_path["rules[0].when.age"]
    assert (under_18.true, under_18.false, under_18.covered) == (1, 0, False)
    assert by_path["rules[5].when.all[0].fact"].true == 1  # the derived fact was concluded
    seen, possible = report.outcomes
    assert possible == 2 * (len(report.conditions) - 1)
    assert report.condition_percent == round(100 * seen / possible, 1)


def test_a_test_seen_both_ways_is_covered() -> None:
    report = collect({"age": 15}, {"age": 30}).report()
    under_18 = next(c for c in report.conditions if c.path == "rules[0].when.age")
    assert (under_18.true, under_18.false, under_18.covered) == (1, 1, True)


def test_the_text_report_lists_what_is_missing_with_locations() -> None:
    text = collect({"age": 15, "reasons": ["emotional_regulation"]}).report().to_text()
    assert text.splitlines()[:3] == [
        "Coverage of toolkit-fixture 1.0 by 1 scenario",
        "  rules fired: 3/10 (30%)",
        "  condition outcomes seen (each test true and false): 14/28 (50%)",
    ]
    assert "    CBT-COPING [rules.yaml:41:5] CBT for coping or communication" in text
    assert "    FACT-UNDER-18 age < 18: seen true only [rules.yaml:12:17]" in text
    assert "  constant tests (cannot be false; not counted):\n    SAFETY-PLAN age is recorded" in text


def test_the_json_report_has_totals_and_details() -> None:
    data = json.loads(json.dumps(collect({"age": 30, "pattern": "repeated"}).report().to_dict()))
    assert data["rules"]["total"] == 10
    assert data["rules"]["fired"] == 2
    assert data["rules"]["never_fired"][0] == "FACT-UNDER-18"
    assert data["rules"]["by_rule"][1] == {
        "rule": "SAFETY-PLAN",
        "title": "A safety plan for everyone",
        "status": "active",
        "location": "rules.yaml:15:5",
        "fired": 1,
    }
    assert data["conditions"]["tests"] == 15
    assert {"rule", "path", "condition", "location", "true", "false", "constant"} == set(
        data["conditions"]["not_covered"][0]
    )


def test_retired_rules_are_not_counted(tmp_path: Path) -> None:
    ruleset = make_ruleset(
        tmp_path,
        rule("LIVE", {"age": {"gte": 18}}, recommend("cbt", 1)),
        rule("OLD", {"age": {"lt": 18}}, recommend("dbt", 1), status="retired"),
    )
    collector = CoverageCollector(ruleset)
    collector.add(ruleset.normalise({"age": 20}), ruleset.evaluate({"age": 20}))
    report = collector.report()
    assert [r.rule for r in report.rules] == ["LIVE"]
    assert report.rule_percent == 100.0
    assert report.condition_percent == 50.0


def test_no_scenarios_cover_nothing_and_no_tests_are_fully_covered(tmp_path: Path) -> None:
    report = CoverageCollector(RULES).report()
    assert report.rule_percent == 0.0
    assert report.condition_percent == 0.0
    empty = RULES.with_rules(remove=[r.id for r in RULES.rules])  # no rule set file loads empty
    assert CoverageCollector(empty).report().condition_percent == 100.0


def test_condition_tests_walks_every_leaf_in_order() -> None:
    family = RULES.rule("FAMILY-YOUNG").when
    assert [t.location.path for t in condition_tests(family)] == [
        "rules[5].when.all[0].fact",
        "rules[5].when.all[1].family.involved",
        "rules[5].when.all[2].not.family.safeguarding_concern",
    ]
