"""The pytest plugin, in a fresh pytest process that finds it through its entry point."""

from __future__ import annotations

import shutil

import pytest

from helpers import TOOLKIT_RULES, TOOLKIT_SCENARIOS

SCENARIOS = (TOOLKIT_SCENARIOS / "basics.scenario.yaml").read_text(encoding="utf-8")
FAILING = """
scenarios:
  - name: adult with depression
    assessment: {age: 30, conditions: [depression]}
    expect:
      recommended: [cbt]
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A rule-set repository: rules/ beside tests/ holding a scenario file, configured in pytest.ini."""
    shutil.copytree(TOOLKIT_RULES, pytester.path / "rules")
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "basics.scenario.yaml").write_text(SCENARIOS, encoding="utf-8")
    pytester.makeini("[pytest]\nir_rules = rules\n")
    return pytester


def test_scenario_files_become_items_and_rule_files_are_left_alone(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-v")
    result.assert_outcomes(passed=12)
    result.stdout.fnmatch_lines(["tests/basics.scenario.yaml::adolescent who self-harms*PASSED*"])
    result.stdout.no_fnmatch_line("*rules.yaml*")


def test_a_failing_scenario_reports_expectation_decision_and_explanation(project: pytest.Pytester) -> None:
    (project.path / "tests" / "failing.scenario.yaml").write_text(FAILING, encoding="utf-8")
    result = project.runpytest_subprocess()
    result.assert_outcomes(passed=12, failed=1)
    result.stdout.fnmatch_lines(["*_ scenario: adult with depression _*"])
    output = result.stdout.str()
    expected = [
        "  expected recommended: [cbt]   [tests/failing.scenario.yaml:6]",
        "    but cbt is not recommended (no rule recommending it fired)",
        "  actual decision:",
        "     1. ssri         strength 6",
        "     2. safety_plan  strength 5",
        "    fired: SAFETY-PLAN, SSRI-DEPRESSION",
        "  explain cbt:",
        "    CBT [cbt]: not recommended: no rule that recommends it fired",
        "    - CBT-COPING (recommend) did not fire: CBT for coping or communication [rules.yaml:41:5]",
        "        needs reasons includes any of coping, communication [rules.yaml:51:28]",
        "        needs conditions includes any of anxiety [rules.yaml:51:83]",
        "  (Texts of decisions and values of assessments are left out of failure reports; "
        "--ir-show-values quotes them)",
    ]
    # pytest names the scenario in its own header; the report starts at the expectation, dedented.
    assert "\n".join(line[2:] for line in expected) in output
    assert "FAILED tests/failing.scenario.yaml::adult with depression - expected recommen" in output
    assert result.ret == 1


def test_an_invalid_scenario_file_is_a_collection_error_with_its_problems(project: pytest.Pytester) -> None:
    (project.path / "tests" / "bad.scenario.yaml").write_text(
        FAILING.replace("cbt", "cbtt"), encoding="utf-8"
    )
    result = project.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    assert (
        "tests/bad.scenario.yaml:6:21: unknown intervention 'cbtt'; did you mean 'cbt'? "
        "(at scenarios[0].expect.recommended[0])"
    ) in result.stdout.str()


def test_an_invalid_rule_set_is_reported_for_each_file(project: pytest.Pytester) -> None:
    (project.path / "rules" / "broken.yaml").write_text("rules: [{id: X}]\n", encoding="utf-8")
    result = project.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*problem* in the rule set:*", "*broken.yaml:1:9: missing required field 'title'*"]
    )


def test_coverage_is_reported_and_enforced(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--ir-coverage")
    result.stdout.fnmatch_lines(["*intervention-rules coverage*", "  rules fired: 10/10 (100%)"])
    assert result.ret == 0
    (project.path / "tests" / "basics.scenario.yaml").write_text(
        FAILING.replace("recommended: [cbt]", "recommended: [ssri]"), encoding="utf-8"
    )
    result = project.runpytest_subprocess("--ir-min-coverage=50")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["  rules fired: 2/10 (20%)", "FAILED: rule coverage 20% is below the minimum 50%"]
    )
    assert result.ret == 1


def test_ini_options_for_patterns_and_thresholds(project: pytest.Pytester) -> None:
    project.makeini(
        "[pytest]\nir_rules = rules\nir_scenario_patterns = *.cases.yaml\nir_min_condition_coverage = 100\n"
    )
    (project.path / "tests" / "more.cases.yaml").write_text(
        FAILING.replace("[cbt]", "[ssri]"), encoding="utf-8"
    )
    result = project.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["FAILED: condition coverage 50% is below the minimum 100%"])
    assert result.ret == 1


def test_the_command_line_rule_set_wins_and_the_default_is_the_bundled_one(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\n")
    (project.path / "tests" / "basics.scenario.yaml").write_text(
        "scenarios:\n  - {name: out of range, assessment: {age: 500}, expect: {invalid: [age]}}\n"
        "  - {name: rule set specific, assessment: {age: 20, distress: 3}, expect: "
        "{recommended: [safety_plan]}}\n",
        encoding="utf-8",
    )
    result = project.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*distress: unknown feature*"])
    result = project.runpytest_subprocess(f"--ir-rules={project.path / 'rules'}")
    result.assert_outcomes(passed=2)


def test_projects_without_scenario_files_are_unaffected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    assert True\n")
    (pytester.path / "data.yaml").write_text("scenarios: not really\n", encoding="utf-8")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_mutation_testing_runs_after_the_scenarios_pass(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--ir-mutate")
    result.assert_outcomes(passed=12)
    result.stdout.fnmatch_lines(
        ["*intervention-rules mutation testing*", "Mutation testing: 51 mutants, 51 killed, 0 survived*"]
    )
    assert result.ret == 0
    (project.path / "tests" / "basics.scenario.yaml").write_text(
        FAILING.replace("recommended: [cbt]", "recommended: [ssri]"), encoding="utf-8"
    )
    project.makeini("[pytest]\nir_rules = rules\nir_mutate = true\n")
    result = project.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*SURVIVED*", "    remove:FACT-UNDER-18", "FAILED: * mutant(s) survived"])
    assert result.ret == 1
