"""Scenario files: structure (schema), names checked against the rule set, every problem located."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import TOOLKIT_SCENARIOS, toolkit_ruleset, write_scenarios
from intervention_rules.testing import (
    ScenarioError,
    find_scenario_files,
    load_scenarios,
    scenario_schema,
)

RULES = toolkit_ruleset()


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenarios(path, RULES)
    return [str(p).replace(str(path), "F") for p in caught.value.problems]


def test_the_fixture_scenarios_load_with_locations() -> None:
    (file,) = load_scenarios(TOOLKIT_SCENARIOS, RULES)
    first = file.scenarios[0]
    assert first.name == "adolescent who self-harms to regulate emotions, family involved"
    assert (first.location.line, first.assessment_location.line) == (3, 5)
    kinds = [e.kind for e in first.expectations]
    assert kinds == ["exact_order", "ranks", "collaboration", "collaboration", "fired", "not_fired", "absent"]
    assert first.expectations[1].subject == "family_therapy"
    assert first.expectations[2].location.line == 13
    assert [i.kind for i in file.invariants] == ["only_when", "never_when", "always_when"]


def test_structural_problems_point_at_lines(tmp_path: Path) -> None:
    path = write_scenarios(
        tmp_path,
        """
        scenarios:
          - name: one
            assessment: {age: 20}
            expect:
              recomended: [dbt]
          - name: two
            assessment: [age]
            expect: {ranks: {dbt: {top: 0}}, cautions: [{severity: severe}]}
          - assessment: {age: 20}
            expect: {}
        """,
    )
    assert problems(path) == [
        "F:5:19: unknown field 'recomended'; did you mean 'recommended'? "
        "(at scenarios[0].expect.recomended) [IR120]",
        "F:7:17: expected object, found a list (at scenarios[1].assessment) [IR123]",
        "F:8:33: 0 is less than the minimum of 1 (at scenarios[1].expect.ranks.dbt.top) [IR127]",
        "F:8:60: 'severe' is not one of: info, warning, critical (at "
        "scenarios[1].expect.cautions[0].severity) [IR122]",
        "F:9:5: missing required field 'name' (at scenarios[2]) [IR121]",
        "F:10:13: expected exactly one key here, found 0: none (at scenarios[2].expect) [IR124]",
    ]


def test_names_are_checked_against_the_rule_set_with_suggestions(tmp_path: Path) -> None:
    path = write_scenarios(
        tmp_path,
        """
        scenarios:
          - name: names
            assessment: {age: 20}
            expect:
              recommended: [dtb]
              ranks: {cbt: {above: [grup_therapy]}}
              collaboration: [{intervention: ssri, role: psychiatrst}]
              fired: [SAFETY-PLANS]
              alerts: [{rule: NOPE}]
        """,
    )
    assert problems(path) == [
        "F:5:21: unknown intervention 'dtb'; did you mean 'dbt'? "
        "(at scenarios[0].expect.recommended[0]) [IR501]",
        "F:6:29: unknown intervention 'grup_therapy'; did you mean 'group_therapy'? "
        "(at scenarios[0].expect.ranks.cbt.above[0]) [IR501]",
        "F:7:50: unknown role 'psychiatrst'; did you mean 'psychiatrist'? "
        "(at scenarios[0].expect.collaboration[0].role) [IR501]",
        "F:8:15: unknown rule 'SAFETY-PLANS'; did you mean 'SAFETY-PLAN'? "
        "(at scenarios[0].expect.fired[0]) [IR501]",
        "F:9:23: unknown rule 'NOPE' (at scenarios[0].expect.alerts[0].rule) [IR501]",
    ]


def test_contradictions_duplicates_and_a_lone_invalid_are_enforced(tmp_path: Path) -> None:
    path = write_scenarios(
        tmp_path,
        """
        scenarios:
          - name: same
            assessment: {age: 20}
            expect: {recommended: [dbt], absent: [dbt], fired: [SAFETY-PLAN], not_fired: [SAFETY-PLAN]}
          - name: same
            assessment: {age: 200}
            expect: {invalid: [age], recommended: [dbt]}
        """,
    )
    assert problems(path) == [
        "F:4:42: 'dbt' is expected both recommended and absent (at scenarios[0].expect.absent) [IR503]",
        "F:4:82: 'SAFETY-PLAN' is expected both fired and not_fired "
        "(at scenarios[0].expect.not_fired) [IR503]",
        "F:5:11: the scenario name 'same' is already used at line 2 (at scenarios[1].name) [IR505]",
        "F:7:13: 'invalid' expects the assessment to be rejected; it stands alone "
        "(at scenarios[1].expect) [IR502]",
    ]


def test_invariants_use_the_rule_language_and_are_checked_like_rules(tmp_path: Path) -> None:
    path = write_scenarios(
        tmp_path,
        """
        scenarios: []
        invariants:
          - name: misspelt feature
            intervention: ssri
            only_when: {condition: {contains_any: [depression]}}
          - name: two kinds
            intervention: ssri
            only_when: {age: {gte: 18}}
            never_when: {age: {lt: 18}}
          - name: no kind
            intervention: sri
          - name: an unknown fact
            intervention: ssri
            never_when: {fact: over_18}
        """,
    )
    assert problems(path) == [
        "F:5:28: unknown feature 'condition'; did you mean 'conditions'? (at "
        "invariants[0].only_when.condition) [IR211]",
        "F:6:5: an invariant needs exactly one of only_when, always_when, never_when; found only_when, "
        "never_when (at invariants[1]) [IR504]",
        "F:10:5: an invariant needs exactly one of only_when, always_when, never_when; found none "
        "(at invariants[2]) [IR504]",
        "F:11:19: unknown intervention 'sri'; did you mean 'ssri'? (at invariants[2].intervention) [IR501]",
        "F:14:24: unknown fact 'over_18'; did you mean 'under_18'? "
        "(at invariants[3].never_when.fact) [IR222]",
    ]


def test_invariant_conditions_are_checked_against_the_rule_language_schema(tmp_path: Path) -> None:
    path = write_scenarios(
        tmp_path,
        """
        scenarios: []
        invariants:
          - name: not a condition
            intervention: ssri
            never_when: {all: {age: 3}}
        """,
    )
    assert problems(path) == [
        "F:5:23: expected array, found a mapping (at invariants[0].never_when.all) [IR123]"
    ]


def test_accepted_mutants_name_real_rules(tmp_path: Path) -> None:
    path = write_scenarios(
        tmp_path,
        """
        scenarios: []
        accepted_mutants:
          - {mutant: "remove:SAFETY-PLN", reason: A typo.}
          - {mutant: "rename:SAFETY-PLAN", reason: Not a mutant kind.}
        """,
    )
    assert problems(path) == [
        "F:3:14: unknown rule 'SAFETY-PLN'; did you mean 'SAFETY-PLAN'? "
        "(at accepted_mutants[0].mutant) [IR501]",
        "F:4:14: 'rename:SAFETY-PLAN' is not a mutant id (remove:RULE, negate:RULE:WHERE, "
        "shift:RULE:WHERE:STEP or drop:RULE:then[N], as the mutation report prints them) "
        "(at accepted_mutants[1].mutant) [IR506]",
    ]


def test_yaml_errors_and_every_file_are_reported(tmp_path: Path) -> None:
    write_scenarios(tmp_path, "scenarios: [\n", "a.scenario.yaml")
    write_scenarios(
        tmp_path, "scenarios:\n  - {name: x, assessment: {}, expect: {fired: [NOPE]}}\n", "b.scenario.yaml"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenarios(tmp_path, RULES)
    files = [Path(p.file).name for p in caught.value.problems]
    assert files == ["a.scenario.yaml", "b.scenario.yaml"]
    assert "YAML syntax error" in caught.value.problems[0].message


def test_directories_yield_only_scenario_files(tmp_path: Path) -> None:
    write_scenarios(tmp_path, "scenarios: []\n", "b.scenario.yaml")
    (tmp_path / "sub").mkdir()
    write_scenarios(tmp_path / "sub", "scenarios: []\n", "a.scenario.yml")
    write_scenarios(tmp_path, "rules: []\n", "rules.yaml")
    (tmp_path / ".venv").mkdir()
    write_scenarios(tmp_path / ".venv", "scenarios: []\n", "hidden.scenario.yaml")
    found = find_scenario_files([tmp_path, tmp_path / "rules.yaml", tmp_path / "b.scenario.yaml"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "b.scenario.yaml",
        "sub/a.scenario.yml",
        "rules.yaml",
    ]
    with pytest.raises(FileNotFoundError):
        find_scenario_files([tmp_path / "missing"])


def test_the_schema_is_valid_and_refers_to_the_rule_language() -> None:
    schema = scenario_schema()
    assert schema["$id"].endswith("scenario.schema.json")
    assert schema["$defs"]["invariant"]["properties"]["only_when"]["$ref"] == (
        "rule-file.schema.json#/$defs/condition"
    )
