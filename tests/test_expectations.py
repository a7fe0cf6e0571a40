"""Each expectation kind and invariant kind, passing and failing, with the message a reader sees."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import toolkit_ruleset, write_scenarios
from intervention_rules.testing import Outcome, ScenarioError, check_scenario, load_scenarios
from intervention_rules.testing._expectations import CHECKS

RULES = toolkit_ruleset()
ADOLESCENT = {"age": 15, "reasons": ["emotional_regulation"], "family": {"involved": True}}
ADULT = {"age": 30, "conditions": ["depression", "anxiety"], "pattern": "repeated"}
BIPOLAR = {"age": 40, "conditions": ["bipolar_disorder"], "family": {"safeguarding_concern": True}}


def outcome(tmp_path: Path, assessment: Any, expect: str, invariants: str = "") -> Outcome:
    text = f"scenarios:\n  - name: case\n    assessment: {json.dumps(assessment)}\n    expect: {expect}\n"
    if invariants:
        text += f"invariants:\n{invariants}"
    (file,) = load_scenarios(write_scenarios(tmp_path, text), RULES)
    return check_scenario(RULES, file.scenarios[0], file.invariants)


def test_the_decisions_these_cases_rest_on() -> None:
    """The fixture rule set ranks as the cases below assume."""
    ranked = [r.intervention for r in RULES.evaluate(ADOLESCENT).recommendations]
    assert ranked == ["safety_plan", "family_therapy", "dbt"]
    ranked = [r.intervention for r in RULES.evaluate(ADULT).recommendations]
    assert ranked == ["safety_plan", "cbt", "ssri", "group_therapy"]


PASSING = [
    (ADOLESCENT, "{recommended: [dbt, family_therapy]}"),
    (BIPOLAR, "{not_recommended: [ssri], absent: [dbt, cbt]}"),
    (ADOLESCENT, "{order: [safety_plan, dbt]}"),
    (ADULT, "{exact_order: [safety_plan, cbt, ssri, group_therapy]}"),
    ({"age": 3}, "{exact_order: [safety_plan]}"),
    (ADOLESCENT, "{ranks: {family_therapy: {above: dbt, below: safety_plan, top: 2, rank: 2}}}"),
    (ADULT, "{ranks: {ssri: {below: cbt, above: [group_therapy]}}}"),
    (ADULT, "{cautions: [{intervention: ssri, severity: warning, rule: SSRI-DEPRESSION, text: SUICIDAL}]}"),
    (BIPOLAR, "{alerts: [{severity: warning}, {rule: SAFEGUARDING, text: local procedures}]}"),
    (ADOLESCENT, "{collaboration: [{intervention: family_therapy, role: family_or_carers}]}"),
    (
        ADULT,
        "{collaboration: [{intervention: ssri, role: psychiatrist, rule: SSRI-DEPRESSION, text: "
        "prescriber}]}",
    ),
    (ADOLESCENT, "{fired: [FACT-UNDER-18, FAMILY-YOUNG], not_fired: [SSRI-DEPRESSION]}"),
    ({"age": 121}, "{invalid: [age]}"),
    ({"age": 30, "reasons": ["copin"]}, "{invalid: [reasons]}"),
]


@pytest.mark.parametrize(("assessment", "expect"), PASSING)
def test_expectations_that_hold_pass(tmp_path: Path, assessment: Any, expect: str) -> None:
    result = outcome(tmp_path, assessment, expect)
    assert result.failures == ()
    assert result.passed


FAILING = [
    (
        ADOLESCENT,
        "{recommended: [dbt, ssri]}",
        "ssri is not recommended (no rule recommending it fired)",
        ("ssri",),
    ),
    (BIPOLAR, "{recommended: [ssri]}", "ssri is ruled out (not_recommended) by SSRI-NOT-BIPOLAR", ("ssri",)),
    (ADOLESCENT, "{not_recommended: [dbt]}", "dbt is recommended at rank 3", ("dbt",)),
    (BIPOLAR, "{absent: [ssri]}", "ssri is ruled out (not_recommended) by SSRI-NOT-BIPOLAR", ("ssri",)),
    (
        ADOLESCENT,
        "{order: [dbt, family_therapy]}",
        "dbt (rank 3) is not above family_therapy (rank 2); actual order: family_therapy (2), dbt (3)",
        ("dbt", "family_therapy"),
    ),
    (ADOLESCENT, "{order: [dbt, cbt]}", "cbt is not recommended (no rule recommending it fired)", ("cbt",)),
    (
        ADOLESCENT,
        "{exact_order: [safety_plan, dbt]}",
        "the ranked list differs:\n--- expected\n+++ actual\n@@ -1,2 +1,3 @@\n "
        "safety_plan\n+family_therapy\n dbt",
        ("dbt", "family_therapy"),
    ),
    (ADOLESCENT, "{ranks: {dbt: {top: 2}}}", "dbt is at rank 3, not in the top 2", ("dbt",)),
    (ADOLESCENT, "{ranks: {dbt: {rank: 1}}}", "dbt is at rank 3, not 1", ("dbt",)),
    (
        ADOLESCENT,
        "{ranks: {dbt: {above: [family_therapy, cbt]}}}",
        "dbt (rank 3) is not above family_therapy (rank 2); cbt is not recommended (no rule recommending "
        "it fired), so dbt cannot be above it",
        ("dbt", "family_therapy", "cbt"),
    ),
    (
        ADOLESCENT,
        "{ranks: {family_therapy: {below: dbt}}}",
        "family_therapy (rank 2) is not below dbt (rank 3)",
        None,
    ),
    (
        ADULT,
        "{cautions: [{intervention: ssri, severity: critical}]}",
        "no caution matches; the cautions are:\n  - ssri [warning] SSRI-DEPRESSION: Watch for increased "
        "suicidal thinking early in treatment.",
        ("ssri",),
    ),
    (ADOLESCENT, "{alerts: [{severity: critical}]}", "no alert matches; there are no alerts", ()),
    (
        ADOLESCENT,
        "{collaboration: [{intervention: family_therapy, role: psychiatrist}]}",
        "no collaboration prompt matches; the prompts for family_therapy are:\n"
        "  - family_therapy family_or_carers (catalogue): Invite the family with consent.\n"
        "  - family_therapy social_worker FAMILY-YOUNG: Agree who coordinates with school.",
        ("family_therapy",),
    ),
    (
        ADOLESCENT,
        "{fired: [SAFEGUARDING]}",
        "did not fire: SAFEGUARDING; fired: FACT-UNDER-18, SAFETY-PLAN, DBT-EMOTION, FAMILY-YOUNG",
        (),
    ),
    (ADOLESCENT, "{not_fired: [DBT-EMOTION, SAFETY-PLAN]}", "fired: DBT-EMOTION, SAFETY-PLAN", ()),
    ({"age": 30}, "{invalid: [age]}", "the assessment was accepted", ()),
]


@pytest.mark.parametrize(("assessment", "expect", "message", "concerned"), FAILING)
def test_expectations_that_do_not_hold_say_why(
    tmp_path: Path, assessment: Any, expect: str, message: str, concerned: tuple[str, ...] | None
) -> None:
    (failure,) = outcome(tmp_path, assessment, expect).failures
    assert failure.text(show_values=True) == message
    if failure.message_with_values is None:
        assert failure.message == message
    assert failure.expectation.startswith(expect[1:].split(":")[0] + ":")
    assert failure.location.line == 4
    if concerned is not None:
        assert failure.interventions == concerned


@pytest.mark.parametrize(
    ("assessment", "expect", "message"),
    [
        (
            ADULT,
            "{cautions: [{intervention: ssri, severity: critical}]}",
            "no caution matches; the cautions are (texts left out):\n  - ssri [warning] SSRI-DEPRESSION",
        ),
        (
            ADOLESCENT,
            "{collaboration: [{intervention: family_therapy, role: psychiatrist}]}",
            "no collaboration prompt matches; the prompts for family_therapy are (texts left out):\n"
            "  - family_therapy family_or_carers (catalogue)\n"
            "  - family_therapy social_worker FAMILY-YOUNG",
        ),
        (
            {**ADULT, "distress": 9},
            "{alerts: [{severity: info}]}",
            "no alert matches; the alerts are (texts left out):\n  - [critical] HIGH-DISTRESS",
        ),
    ],
)
def test_messages_that_list_notes_leave_their_texts_out(
    tmp_path: Path, assessment: Any, expect: str, message: str
) -> None:
    """A rule's text can quote the assessment through its templates: the message names the notes,
    and only :attr:`Failure.message_with_values` quotes their texts."""
    (failure,) = outcome(tmp_path, assessment, expect).failures
    assert failure.message == message
    assert failure.text() == message
    assert failure.message_with_values is not None
    assert failure.message_with_values.startswith(message.split(" (texts left out)")[0] + ":")


def test_every_expectation_kind_has_a_check() -> None:
    from intervention_rules.testing import scenario_schema

    kinds = set(scenario_schema()["$defs"]["expect"]["properties"])
    assert kinds - {"invalid"} == set(CHECKS)


def test_an_unexpectedly_invalid_assessment_fails_at_its_line(tmp_path: Path) -> None:
    result = outcome(tmp_path, {"age": 30, "reason": ["coping"]}, "{recommended: [cbt]}")
    (failure,) = result.failures
    assert failure.location.line == 3
    assert failure.message == (
        "the assessment is invalid:\n  reason: unknown feature; did you mean 'reasons'? [IR302]"
    )
    assert result.decision is None


def test_an_invalid_assessment_quotes_its_values_only_when_asked(tmp_path: Path) -> None:
    (failure,) = outcome(tmp_path, {"age": 30, "pattern": "often"}, "{recommended: [cbt]}").failures
    assert failure.message == (
        "the assessment is invalid:\n  pattern: unknown value; expected one of: first_episode, "
        "repeated [IR307]"
    )
    assert failure.text(show_values=True) == (
        "the assessment is invalid:\n  pattern: unknown value 'often'; expected one of: first_episode, "
        "repeated [IR307]"
    )


def test_an_invalid_expectation_names_the_fields_it_wanted(tmp_path: Path) -> None:
    (failure,) = outcome(tmp_path, {"age": 121}, "{invalid: [reasons]}").failures
    assert (
        failure.message
        == "no problem with reasons; the problems are:\n  age: out of range (0 to 120) [IR305]"
    )


INVARIANTS = """\
  - name: SSRI only for depression
    intervention: ssri
    only_when: {conditions: {contains_any: [depression]}}
  - name: CBT for anxiety
    intervention: cbt
    always_when: {conditions: {contains_any: [anxiety]}}
  - name: no group therapy for repeated self-harm
    intervention: group_therapy
    never_when: {pattern: repeated}
"""


def test_declared_invariants_hold_or_fail_on_each_scenario(tmp_path: Path) -> None:
    assert outcome(
        tmp_path, {"age": 30, "conditions": ["depression"]}, "{recommended: [ssri]}", INVARIANTS
    ).passed
    failures = outcome(tmp_path, ADULT, "{recommended: [ssri]}", INVARIANTS).failures
    assert [f.message for f in failures] == [
        "group_therapy is recommended, but it is never allowed when pattern is repeated"
    ]
    assert failures[0].expectation == (
        "invariant 'no group therapy for repeated self-harm': group_therapy recommended never "
        "when pattern is repeated"
    )
    assert failures[0].location.line == 12


def test_only_when_and_always_when_invariants_show_what_was_seen(tmp_path: Path) -> None:
    invariants = """\
  - name: SSRI only with a recorded pattern
    intervention: ssri
    only_when: {pattern: {recorded: true}}
  - name: DBT whenever anxiety
    intervention: dbt
    always_when: {conditions: {contains_any: [anxiety]}}
"""
    failures = outcome(
        tmp_path, {"age": 30, "conditions": ["depression", "anxiety"]}, "{fired: [SAFETY-PLAN]}", invariants
    ).failures
    assert [f.message for f in failures] == [
        "ssri is recommended, but it is only allowed when pattern is recorded\n  needs pattern is recorded",
        "dbt is not recommended (no rule recommending it fired), but it is required whenever conditions "
        "includes any of anxiety",
    ]
    assert [f.text(show_values=True) for f in failures] == [
        "ssri is recommended, but it is only allowed when pattern is recorded\n  needs pattern "
        "is recorded; saw not recorded",
        "dbt is not recommended (no rule recommending it fired), but it is required whenever conditions "
        "includes any of anxiety",
    ]


def test_considered_expectation_checks_the_considered_list(tmp_path: Path) -> None:
    """``considered`` holds for an intervention set apart at strength 0, and says what happened
    to one that was not; it contradicts ``recommended`` and ``not_recommended``."""
    from helpers import make_ruleset, recommend, rule

    lower = {"adjust": {"intervention": "mindfulness", "by": -1, "text": "Little support."}}
    rules = make_ruleset(
        tmp_path,
        rule("REC", {"age": {"gte": 18}}, recommend("mindfulness", 1), recommend("cbt", 1)),
        rule("LOWER", {"age": {"gte": 18}}, lower),
        zero_strength="considered",
    )

    def failures(expect: str) -> list[tuple[str, str]]:
        text = f"scenarios:\n  - name: case\n    assessment: {{age: 30}}\n    expect: {expect}\n"
        (file,) = load_scenarios(write_scenarios(tmp_path, text), rules)
        result = check_scenario(rules, file.scenarios[0], file.invariants)
        return [(f.expectation, f.message) for f in result.failures]

    assert failures("{considered: [mindfulness], absent: [mindfulness]}") == []
    assert failures("{recommended: [mindfulness], order: [cbt, mindfulness]}") == [
        ("recommended: [mindfulness]", "mindfulness is considered, not suggested (its strength ended at 0)"),
        ("order: [cbt, mindfulness]", "mindfulness is considered, not suggested (its strength ended at 0)"),
    ]
    assert failures("{considered: [mindfulness, cbt]}") == [
        ("considered: [mindfulness, cbt]", "cbt is recommended at rank 1"),
    ]
    with pytest.raises(ScenarioError) as caught:
        failures("{considered: [cbt], not_recommended: [cbt]}")
    assert [p.message for p in caught.value.problems] == [
        "'cbt' is expected both not_recommended and considered"
    ]
