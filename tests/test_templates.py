"""Text templates: ``{feature}`` shows the recorded value, ``{matched.feature}`` only the values
of a list feature that made the rule fire."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

import intervention_rules as ir
from helpers import make_ruleset, recommend, rule
from strategies import BASE


def alert(text: str) -> dict[str, Any]:
    return {"alert": {"severity": "warning", "text": text}}


def alerts(rs: ir.RuleSet, assessment: dict[str, Any]) -> list[str]:
    return [a.text for a in rs.evaluate(assessment).alerts]


def test_matched_shows_only_the_values_a_test_named(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path,
        rule(
            "SSRI",
            {"medications": {"contains_any": ["sertraline", "fluoxetine"]}},
            alert("Antidepressant: {matched.medications}. All: {medications}."),
        ),
    )
    out = alerts(rs, {"age": 30, "medications": ["lithium", "sertraline", "fluoxetine"]})
    assert out == ["Antidepressant: fluoxetine, sertraline. All: fluoxetine, lithium, sertraline."]


def test_matched_follows_the_facts_a_rule_tests(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path,
        rule("TAKES", {"medications": {"contains_any": ["sertraline"]}}, {"conclude": "f0"}),
        rule("TAKES-TOO", {"medications": {"contains_all": ["fluoxetine"]}}, {"conclude": "f0"}),
        rule("OTHER", {"medications": {"contains_any": ["lithium"]}}, {"conclude": "f1"}),
        rule("USES", {"fact": "f0"}, alert("Taking {matched.medications}.")),
    )
    assert alerts(rs, {"age": 30, "medications": ["lithium", "sertraline"]}) == ["Taking sertraline."]
    both = {"age": 30, "medications": ["fluoxetine", "lithium", "sertraline"]}
    assert alerts(rs, both) == ["Taking fluoxetine, sertraline."]


def test_matched_takes_only_the_branches_that_held(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path,
        rule(
            "EITHER",
            {
                "any": [
                    {"all": [{"age": {"lt": 18}}, {"reasons": {"contains_any": ["coping"]}}]},
                    {"reasons": {"contains_any": ["communication"]}},
                ]
            },
            alert("Reasons: {matched.reasons}."),
        ),
    )
    assessment = {"reasons": ["coping", "communication", "self_punishment"]}
    assert alerts(rs, {"age": 30, **assessment}) == ["Reasons: communication."]
    assert alerts(rs, {"age": 15, **assessment}) == ["Reasons: coping, communication."]


def test_matched_shows_what_contains_other_than_found(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path,
        rule(
            "UNKNOWN",
            {"medications": {"contains_other_than": ["sertraline"]}},
            recommend("cbt", 1, "Not recognised: {matched.medications}."),
        ),
    )
    decision = rs.evaluate({"age": 30, "medications": ["sertraline", "valproate", "lithium"]})
    assert decision.recommendations[0].explanations[0].text == "Not recognised: lithium, valproate."


def test_explain_renders_matched_for_the_rule_itself(tmp_path: Path) -> None:
    rs = make_ruleset(
        tmp_path,
        rule(
            "DBT",
            {"reasons": {"contains_any": ["emotional_regulation"]}},
            recommend("dbt", 2, "Regulating emotions ({matched.reasons})."),
        ),
        rule(
            "CBT",
            {"reasons": {"contains_any": ["coping"]}},
            recommend("dbt", 1, "Coping ({matched.reasons})."),
        ),
    )
    why = rs.explain({"age": 20, "reasons": ["coping", "emotional_regulation"]}, "dbt")
    assert [r.text for r in why.rules] == [
        ("Regulating emotions (emotional regulation).",),
        ("Coping (coping).",),
    ]


def invalid(tmp_path: Path, *rules: dict[str, Any]) -> list[ir.Problem]:
    document = copy.deepcopy(BASE)
    document["rules"] = list(rules)
    path = tmp_path / "ruleset.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    with pytest.raises(ir.RuleSetError) as caught:
        ir.load_ruleset(path)
    return list(caught.value.problems)


def messages(problems: list[ir.Problem]) -> list[str]:
    return [f"{p.message} (at {p.path})" for p in problems]


def test_matched_needs_a_list_feature(tmp_path: Path) -> None:
    problems = invalid(
        tmp_path, rule("AGE", {"age": {"lt": 18}}, alert("Age {matched.age}; {matched.reasns}."))
    )
    assert messages(problems) == [
        "'{matched.age}' needs a list feature; 'age' is not one (at rules[0].then[0].alert.text)",
        "'{matched.reasns}' needs a list feature; 'reasns' is not one (at rules[0].then[0].alert.text)",
    ]
    assert [p.suggestion for p in problems] == [None, "reasons"]


def test_matched_needs_a_rule_that_matches_the_feature(tmp_path: Path) -> None:
    message = (
        "'{matched.medications}': rule %s never matches values of 'medications' (no contains_any, "
        "contains_all or contains_other_than test on it outside a 'not', nor through a fact it tests)"
    )
    problems = invalid(
        tmp_path,
        rule("AGE", {"age": {"lt": 18}}, alert("Taking {matched.medications}.")),
        rule(
            "NEGATED",
            {"not": {"medications": {"contains_none": ["lithium"]}}},
            alert("Taking {matched.medications}."),
        ),
        rule("NONE", {"medications": {"contains_none": ["lithium"]}}, {"conclude": "f0"}),
        rule("VIA", {"fact": "f0"}, alert("Taking {matched.medications}.")),
        rule("UNDER-NOT", {"not": {"medications": {"contains_any": ["lithium"]}}}, {"conclude": "f1"}),
        rule("VIA-NOT", {"not": {"fact": "f1"}}, alert("Taking {matched.medications}.")),
    )
    assert messages(problems) == [
        f"{message % rule_id} (at rules[{i}].then[0].alert.text)"
        for i, rule_id in [(0, "AGE"), (1, "NEGATED"), (3, "VIA"), (5, "VIA-NOT")]
    ]


def test_matched_through_a_fact_nothing_concludes_is_left_to_lint(tmp_path: Path) -> None:
    """Deleting the rule that concluded a fact leaves the rule set loadable: the placeholder then
    shows 'none' if the rule fires at all (lint reports the fact that is never concluded)."""
    rs = make_ruleset(
        tmp_path,
        rule("VIA", {"any": [{"fact": "f0"}, {"age": {"gte": 18}}]}, alert("Taking {matched.medications}.")),
    )
    assert alerts(rs, {"age": 30, "medications": ["lithium"]}) == ["Taking none."]
    assert alerts(rs, {"age": 30}) == ["Taking not recorded."]
