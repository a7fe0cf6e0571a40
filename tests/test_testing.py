"""Property testing helpers: strategies over any rule set's vocabulary, and the invariant checks."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import TOOLKIT_SCENARIOS, make_ruleset, recommend, rule, toolkit_ruleset, write_scenarios
from intervention_rules.decision import Decision
from intervention_rules.testing import (
    Invalid,
    assessments,
    check_constraints,
    check_decision,
    check_deterministic,
    check_explained,
    check_invariants,
    check_not_recommended_excluded,
    check_ranking,
    check_rejected,
    invalid_assessments,
    load_invariants,
)

RULES = toolkit_ruleset()
INVARIANTS = load_invariants(TOOLKIT_SCENARIOS, RULES)
ADULT = {"age": 30, "conditions": ["depression", "anxiety"], "pattern": "repeated"}


@given(assessments(RULES))
def test_generated_assessments_keep_every_promise_of_the_fixture_rule_set(assessment: dict[str, Any]) -> None:
    check_decision(RULES, assessment, INVARIANTS)


def _base() -> Any:
    """The contract vocabulary (a number feature, an open pattern list, an object) with two rules."""
    if not _BASE:
        with tempfile.TemporaryDirectory() as tmp:
            _BASE.append(
                make_ruleset(
                    Path(tmp),
                    rule("R1", {"score": {"between": [-1.5, 2]}}, recommend("cbt", 1)),
                    rule("R2", {"medications": {"contains_any": ["lithium"]}}, recommend("dbt", 1)),
                )
            )
    return _BASE[0]


_BASE: list[Any] = []


@given(st.data())
def test_generated_assessments_are_valid_for_the_contract_vocabulary(data: st.DataObject) -> None:
    ruleset = _base()
    check_decision(ruleset, data.draw(assessments(ruleset)))


@given(st.data())
def test_invalid_assessments_for_the_contract_vocabulary_are_rejected(data: st.DataObject) -> None:
    ruleset = _base()
    check_rejected(ruleset, data.draw(invalid_assessments(ruleset)))


def test_numbers_lean_towards_the_thresholds_rules_test() -> None:
    from intervention_rules.testing._properties import _thresholds

    assert _thresholds(RULES, "age") == [17, 18, 19]
    assert _thresholds(RULES, "distress") == [7.0, 8.0, 9.0]
    assert _thresholds(_base(), "score") == [-2.5, -1.5, -0.5, 1.0, 2.0, 3.0]


@given(invalid_assessments(RULES))
def test_invalid_assessments_are_rejected_naming_the_field(invalid: Invalid) -> None:
    error = check_rejected(RULES, invalid)
    assert error.problems


def test_check_rejected_fails_when_an_assessment_is_accepted() -> None:
    with pytest.raises(AssertionError, match="was accepted"):
        check_rejected(RULES, Invalid({"age": 30}, "age", "nothing wrong"))
    with pytest.raises(AssertionError, match=r"the problems name \['age'\], not 'reasons'"):
        check_rejected(RULES, Invalid({"age": 300}, "reasons", "a wrong field"))


def decision(assessment: dict[str, Any] = ADULT) -> Decision:
    return RULES.evaluate(assessment)


def test_the_ready_made_checks_pass_on_a_real_decision() -> None:
    d = check_decision(RULES, ADULT, INVARIANTS)
    assert [r.intervention for r in d.recommendations] == ["safety_plan", "cbt", "ssri", "group_therapy"]


def test_check_ranking_catches_gaps_and_rising_strength() -> None:
    recs = decision().recommendations
    with pytest.raises(AssertionError, match=r"ranks are \[1, 2, 3, 5\]"):
        check_ranking(attrs.evolve(decision(), recommendations=(*recs[:3], attrs.evolve(recs[3], rank=5))))
    swapped = (recs[1], recs[0], *recs[2:])
    swapped = tuple(attrs.evolve(r, rank=i + 1) for i, r in enumerate(swapped))
    with pytest.raises(AssertionError, match="strengths increase down the list"):
        check_ranking(attrs.evolve(decision(), recommendations=swapped))


def test_check_constraints_catches_a_medicine_above_psychological_care() -> None:
    recs = decision().recommendations  # safety_plan, cbt, ssri, group_therapy
    moved = (recs[0], recs[2], recs[1], recs[3])
    with pytest.raises(
        AssertionError, match=r"constraint MEDICINE-BELOW-PSYCHOLOGICAL: ssri \(rank 2\) is above cbt"
    ):
        check_constraints(
            RULES,
            attrs.evolve(
                decision(), recommendations=tuple(attrs.evolve(r, rank=i + 1) for i, r in enumerate(moved))
            ),
        )


def test_check_not_recommended_excluded_catches_both() -> None:
    bipolar = RULES.evaluate({"age": 40, "conditions": ["bipolar_disorder"]})
    both = attrs.evolve(decision(), not_recommended=bipolar.not_recommended)
    with pytest.raises(AssertionError, match=r"both recommended and not recommended: \['ssri'\]"):
        check_not_recommended_excluded(both)


def test_check_explained_catches_an_unexplained_recommendation() -> None:
    d = decision()
    bare = attrs.evolve(
        d, recommendations=(attrs.evolve(d.recommendations[0], explanations=()), *d.recommendations[1:])
    )
    with pytest.raises(AssertionError, match="safety_plan is recommended without a recommending explanation"):
        check_explained(RULES, ADULT, bare)
    unfired = attrs.evolve(d, fired=())
    with pytest.raises(AssertionError, match="explained by SAFETY-PLAN, which did not fire"):
        check_explained(RULES, ADULT, unfired)


def test_check_deterministic_catches_a_decision_that_changes() -> None:
    class Flaky:
        calls = 0

        def evaluate(self, assessment: Any) -> Decision:
            self.calls += 1
            return RULES.evaluate(ADULT if self.calls < 3 else {"age": 20})

    with pytest.raises(AssertionError, match="depends on the order of the assessment's keys"):
        check_deterministic(Flaky(), ADULT)  # type: ignore[arg-type]


def test_declared_invariants_catch_a_rule_set_that_breaks_them(tmp_path: Path) -> None:
    ruleset = make_ruleset(tmp_path, rule("ANY-SSRI", {"age": {"gte": 12}}, recommend("ssri", 1)))
    path = write_scenarios(
        tmp_path,
        """
        scenarios: []
        invariants:
          - name: ssri only with depression or anxiety
            intervention: ssri
            only_when: {conditions: {contains_any: [depression, anxiety]}}
        """,
    )
    invariants = load_invariants(path, ruleset)
    check_invariants(ruleset, {"age": 10}, ruleset.evaluate({"age": 10}), invariants)
    with pytest.raises(AssertionError) as caught:
        check_invariants(ruleset, {"age": 14}, ruleset.evaluate({"age": 14}), invariants)
    assert str(caught.value) == (
        "invariant 'ssri only with depression or anxiety': ssri recommended only when "
        "conditions includes any "
        f"of depression, anxiety [{path}:3]\n"
        "  ssri is recommended, but it is only allowed when conditions includes any of depression, anxiety\n"
        "    needs conditions includes any of depression, anxiety; saw not recorded\n"
        'assessment: {"age": 14}'
    )


def test_the_core_never_imports_hypothesis() -> None:
    code = (
        "import sys, intervention_rules, intervention_rules.cli, intervention_rules.scenarios, "
        "intervention_rules.runner, intervention_rules.mutation, intervention_rules.testing.pytest_plugin\n"
        "from intervention_rules.testing import load_scenarios, mutate, run_scenarios\n"
        "assert 'hypothesis' not in sys.modules, 'hypothesis was imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
