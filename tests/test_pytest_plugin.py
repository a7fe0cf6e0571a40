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
        "        needs reasons includes any of coping, communication; saw (left out) [rules.yaml:51:28]",
        "        needs conditions includes any of anxiety; saw (left out) [rules.yaml:51:83]",
        "  (Texts of decisions and values of assessments are left out of failure reports; "
        "--ir-show-values quotes them)",
    ]
    # pytest names the scenario in its own header; the report starts at the expectation, dedented.
    assert "\n".join(line[2:] for line in expected) in output
    assert "FAILED tests/failing.scenario.yaml::adult with depression - expected recommen" in output
    assert result.ret == 1


BROKEN_ENGINE = """
from intervention_rules.ruleset import RuleSet


def evaluate(self, assessment, **options):
    raise RuntimeError("the engine stopped: a bug, as an unexpected exception is")


RuleSet.evaluate = evaluate
"""
DISTRESS = "9.375"  # the assessment's value, to be kept out of reports unless asked for


def test_an_unexpected_exception_is_reported_without_values_or_message(project: pytest.Pytester) -> None:
    """A bug while checking a scenario (here: evaluation raises) is reported by the exception's
    type, the scenario and where it was raised; with --showlocals and --tb=long the traceback's
    variables would print the assessment, so without --ir-show-values there is no traceback, no
    variable and no message (which might quote the assessment too)."""
    (project.path / "conftest.py").write_text(BROKEN_ENGINE, encoding="utf-8")
    (project.path / "tests" / "basics.scenario.yaml").write_text(
        FAILING.replace("conditions: [depression]", f"distress: {DISTRESS}"), encoding="utf-8"
    )
    result = project.runpytest_subprocess("--showlocals", "--tb=long", "-rf")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert DISTRESS not in output
    assert "the engine stopped" not in output
    result.stdout.fnmatch_lines(
        [
            "RuntimeError: an unexpected error while checking the scenario at "
            "tests/basics.scenario.yaml:3 against the rule set toolkit-fixture 1.0 "
            "(a bug, not a failed expectation)",
            "  *intervention_rules/testing/pytest_plugin.py:* in runtest",
            "  *intervention_rules/testing/_expectations.py:* in check_scenario",
            "  conftest.py:6 in evaluate",
            "(The exception's message and the traceback's variables are left out of failure reports: "
            "they can quote the assessment; --ir-show-values shows the whole traceback)",
            "FAILED tests/basics.scenario.yaml::adult with depression - RuntimeError*",
        ]
    )
    assert "site-packages" not in output  # pytest's own frames are left out too
    shown = project.runpytest_subprocess("--showlocals", "--tb=long", "--ir-show-values")
    shown.assert_outcomes(failed=1)
    shown.stdout.fnmatch_lines(["E * RuntimeError: the engine stopped*"])
    shown.stdout.fnmatch_lines([f"values * = {{'age': 30, 'distress': {DISTRESS}}}"])  # check_scenario's


BROKEN_READER = """
from pathlib import Path

import intervention_rules.testing._scenarios as scenarios


def load_scenarios(path, ruleset):
    text = Path(path).read_text()
    raise RuntimeError(f"the reader stopped after {len(text)} characters")


scenarios.load_scenarios = load_scenarios
"""


def test_an_unexpected_exception_reading_a_scenario_file_is_reported_the_same_way(
    project: pytest.Pytester,
) -> None:
    """A bug while a scenario file is read, whose traceback's variables hold the file's
    assessments, is a collection error naming the file and the exception's type only."""
    (project.path / "conftest.py").write_text(BROKEN_READER, encoding="utf-8")
    (project.path / "tests" / "basics.scenario.yaml").write_text(
        FAILING.replace("conditions: [depression]", f"distress: {DISTRESS}"), encoding="utf-8"
    )
    result = project.runpytest_subprocess("--showlocals", "--tb=long")
    result.assert_outcomes(errors=1)
    assert DISTRESS not in result.stdout.str()
    assert "the reader stopped" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "RuntimeError: an unexpected error while reading the scenario file "
            "tests/basics.scenario.yaml (a bug, not a failed expectation)",
            "  *intervention_rules/testing/pytest_plugin.py:* in collect",
            "  conftest.py:9 in load_scenarios",
        ]
    )
    shown = project.runpytest_subprocess("--showlocals", "--tb=long", "--ir-show-values")
    shown.assert_outcomes(errors=1)
    shown.stdout.fnmatch_lines(["E * RuntimeError: the reader stopped*", f"text * = *distress: {DISTRESS}*"])


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
