"""Running scenario files, and the failure report a reader gets."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import TOOLKIT_SCENARIOS, toolkit_ruleset, write_scenarios
from intervention_rules.testing import format_decision, format_outcome, load_scenarios, run_scenarios

RULES = toolkit_ruleset()

WRONG = """
scenarios:
  - name: adolescent, family involved
    assessment: {age: 15, reasons: [emotional_regulation], family: {involved: true}}
    expect:
      recommended: [dbt]
      exact_order: [safety_plan, dbt, family_therapy]
  - name: fine
    assessment: {age: 40}
    expect: {recommended: [safety_plan]}
"""


def test_the_fixture_suite_passes() -> None:
    suite = run_scenarios(RULES, load_scenarios(TOOLKIT_SCENARIOS, RULES))
    assert suite.passed
    assert len(suite.outcomes) == 12
    assert suite.fired_in()["HIGH-DISTRESS"] == {5}


def test_a_failure_shows_expectation_decision_and_explanation(tmp_path: Path) -> None:
    path = write_scenarios(tmp_path, WRONG)
    suite = run_scenarios(RULES, load_scenarios(path, RULES))
    assert [o.passed for o in suite.outcomes] == [False, True]
    quoted = [
        f"FAILED {path}:2: adolescent, family involved",
        f"  expected exact_order: [safety_plan, dbt, family_therapy]   [{path}:6]",
        "    but the ranked list differs:",
        "    --- expected",
        "    +++ actual",
        "    @@ -1,3 +1,3 @@",
        "     safety_plan",
        "    +family_therapy",
        "     dbt",
        "    -family_therapy",
        "  actual decision:",
        "     1. safety_plan     strength 5",
        "     2. family_therapy  strength 4",
        "     3. dbt             strength 3",
        "    fired: FACT-UNDER-18, SAFETY-PLAN, DBT-EMOTION, FAMILY-YOUNG",
        "  explain dbt:",
        "    DBT [dbt]: recommended, rank 3, strength 3",
        "    - DBT-EMOTION (recommend) fired: DBT when self-harm regulates emotions [rules.yaml:28:5]",
        "        Self-harm regulates emotions (emotional regulation).",
        "    - HIGH-DISTRESS (adjust) did not fire: High distress raises DBT and alerts [rules.yaml:109:5]",
        "        needs distress >= 8; saw not recorded [rules.yaml:119:22]",
        "  explain family_therapy:",
        "    Family therapy [family_therapy]: recommended, rank 2, strength 4",
        "    - FAMILY-YOUNG (recommend, collaborate) fired: Family therapy for young people whose family "
        "takes part [rules.yaml:67:5]",
        "        The family is involved (involved: yes).",
        "        Agree who coordinates with school.",
    ]
    assert format_outcome(RULES, suite.failed[0], show_values=True) == "\n".join(quoted)
    # by default the rules' texts (their templates fill in the assessment) and the values seen are left out
    texts = {
        "        Self-harm regulates emotions (emotional regulation).",
        "        The family is involved (involved: yes).",
        "        Agree who coordinates with school.",
    }
    plain = [line.replace("saw not recorded", "saw (left out)") for line in quoted if line not in texts]
    assert format_outcome(RULES, suite.failed[0]) == "\n".join(plain)
    assert format_outcome(RULES, suite.outcomes[1]) == f"PASSED {path}:7: fine"


def test_the_decision_summary_shows_vetoes_and_alerts() -> None:
    decision = RULES.evaluate({"age": 40, "conditions": ["bipolar_disorder"], "distress": 9})
    assert format_decision(decision).splitlines() == [
        "actual decision:",
        "   1. safety_plan  strength 5",
        "  not recommended: ssri (SSRI-NOT-BIPOLAR)",
        "  alert [critical] (HIGH-DISTRESS)",
        "  fired: SAFETY-PLAN, SSRI-NOT-BIPOLAR, HIGH-DISTRESS",
    ]
    assert format_decision(decision, show_values=True).splitlines()[3] == (
        "  alert [critical]: Distress 9 of 10: review the safety plan today. (HIGH-DISTRESS)"
    )


RULED_OUT = """
scenarios:
  - name: bipolar disorder
    assessment: {age: 40, conditions: [bipolar_disorder, depression]}
    expect: {recommended: [ssri]}
"""


def test_a_ruled_out_intervention_is_explained_by_its_rules_not_their_texts(tmp_path: Path) -> None:
    """The summary of a vetoed intervention quotes the veto's text only with values asked for."""
    (outcome,) = run_scenarios(RULES, load_scenarios(write_scenarios(tmp_path, RULED_OUT), RULES)).outcomes
    plain = format_outcome(RULES, outcome).splitlines()
    assert "    SSRI [ssri]: not recommended: ruled out by SSRI-NOT-BIPOLAR" in plain
    assert "can trigger mania" not in "\n".join(plain)
    quoted = format_outcome(RULES, outcome, show_values=True).splitlines()
    assert (
        "    SSRI [ssri]: not recommended: An antidepressant alone can trigger mania. (SSRI-NOT-BIPOLAR)"
        in quoted
    )


def test_a_suite_as_json(tmp_path: Path) -> None:
    path = write_scenarios(tmp_path, WRONG)
    data = json.loads(json.dumps(run_scenarios(RULES, load_scenarios(path, RULES)).to_dict()))
    assert (data["scenarios"], data["passed"], data["failed"]) == (2, 1, 1)
    assert data["ruleset"]["digest"] == RULES.digest
    first = data["results"][0]
    assert first["location"] == f"{path}:2"
    assert first["ranked"] == ["safety_plan", "family_therapy", "dbt"]
    assert first["failures"][0]["location"] == f"{path}:6"
    assert first["failures"][0]["interventions"] == ["dbt", "family_therapy"]
