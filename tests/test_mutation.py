"""Mutation testing: mutants are built on the model, compiled, and killed by failing scenarios."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import yaml

from helpers import (
    TOOLKIT_RULES,
    TOOLKIT_SCENARIOS,
    make_ruleset,
    recommend,
    rule,
    toolkit_ruleset,
    write_scenarios,
)
from intervention_rules.cli import main
from intervention_rules.testing import generate_mutants, load_scenarios, mutate

RULES = toolkit_ruleset()


def test_every_mutant_of_the_fixture_rule_set_is_killed() -> None:
    files = load_scenarios(TOOLKIT_SCENARIOS, RULES)
    report = mutate(RULES, files)
    assert report.passed
    assert len(report.results) == 51
    assert {r.status for r in report.results} == {"killed"}
    assert {r.mutant.kind for r in report.results} == {"remove", "negate", "shift", "drop"}
    killed = {r.mutant.id: r.killed_by for r in report.results}
    assert killed["shift:GROUP-ADULT:when.all[0].age:-1"].endswith(
        ": seventeen-year-old with repeated self-harm is not"
    )


def test_mutant_ids_and_descriptions() -> None:
    mutants = {m.id: m for m in generate_mutants(RULES) if m.rule in ("HIGH-DISTRESS", "FAMILY-YOUNG")}
    assert list(mutants) == [
        "remove:FAMILY-YOUNG",
        "negate:FAMILY-YOUNG:when",
        "negate:FAMILY-YOUNG:when.all[0].fact",
        "negate:FAMILY-YOUNG:when.all[1].family.involved",
        "negate:FAMILY-YOUNG:when.all[2].not.family.safeguarding_concern",
        "drop:FAMILY-YOUNG:then[0]",
        "drop:FAMILY-YOUNG:then[1]",
        "remove:HIGH-DISTRESS",
        "negate:HIGH-DISTRESS:when",
        "shift:HIGH-DISTRESS:when.distress:+1",
        "shift:HIGH-DISTRESS:when.distress:-1",
        "drop:HIGH-DISTRESS:then[0]",
        "drop:HIGH-DISTRESS:then[1]",
    ]
    shift = mutants["shift:HIGH-DISTRESS:when.distress:-1"]
    assert shift.description == "shift a threshold of HIGH-DISTRESS: distress >= 8 -> distress >= 7"
    assert str(shift.location) == "rules.yaml:119:22"
    shifted = next(r for r in shift.rules if r.id == "HIGH-DISTRESS")
    assert shifted.when.operand == 7.0  # type: ignore[union-attr]
    assert len(mutants["remove:FAMILY-YOUNG"].rules) == len(RULES.rules) - 1
    assert mutants["drop:FAMILY-YOUNG:then[1]"].description == (
        "drop an action of FAMILY-YOUNG: collaborate family_therapy"
    )


def test_between_thresholds_shift_at_both_ends(tmp_path: Path) -> None:
    ruleset = make_ruleset(tmp_path, rule("R", {"age": {"between": [13, 17]}}, recommend("dbt", 1)))
    ids = [m.id for m in generate_mutants(ruleset) if m.kind == "shift"]
    assert ids == [
        "shift:R:when.age:low+1",
        "shift:R:when.age:low-1",
        "shift:R:when.age:high+1",
        "shift:R:when.age:high-1",
    ]


SMALL = [
    rule(
        "ADULT-CBT",
        {"age": {"gte": 18}},
        recommend("cbt", 2),
        {"caution": {"intervention": "cbt", "severity": "info", "text": "Check engagement."}},
    )
]


def test_survivors_are_the_changes_no_scenario_notices(tmp_path: Path) -> None:
    ruleset = make_ruleset(tmp_path, *SMALL)
    path = write_scenarios(
        tmp_path,
        """
        scenarios:
          - name: adult
            assessment: {age: 30}
            expect: {recommended: [cbt]}
        """,
    )
    report = mutate(ruleset, load_scenarios(path, ruleset))
    assert [r.mutant.id for r in report.survivors] == [
        "shift:ADULT-CBT:when.age:+1",
        "shift:ADULT-CBT:when.age:-1",
        "drop:ADULT-CBT:then[1]",
    ]
    assert not report.passed
    text = report.to_text()
    assert text.startswith("Mutation testing: 6 mutants, 3 killed, 3 survived, 0 accepted survivors")
    assert "    drop:ADULT-CBT:then[1]\n      drop an action of ADULT-CBT: caution cbt [ruleset.yaml:" in text


def test_boundary_scenarios_kill_the_threshold_mutants(tmp_path: Path) -> None:
    ruleset = make_ruleset(tmp_path, *SMALL)
    path = write_scenarios(
        tmp_path,
        """
        scenarios:
          - name: eighteen
            assessment: {age: 18}
            expect: {recommended: [cbt], cautions: [{intervention: cbt, severity: info}]}
          - name: seventeen
            assessment: {age: 17}
            expect: {absent: [cbt]}
        """,
    )
    assert mutate(ruleset, load_scenarios(path, ruleset)).passed


def test_accepted_survivors_need_a_reason_and_stale_acceptances_are_noted(tmp_path: Path) -> None:
    ruleset = make_ruleset(tmp_path, *SMALL)
    path = write_scenarios(
        tmp_path,
        """
        scenarios:
          - name: eighteen
            assessment: {age: 18}
            expect: {recommended: [cbt]}
          - name: seventeen
            assessment: {age: 17}
            expect: {absent: [cbt]}
        accepted_mutants:
          - mutant: drop:ADULT-CBT:then[1]
            reason: The caution is advisory and reviewed by hand.
          - mutant: remove:ADULT-CBT
            reason: Written before the scenarios existed.
        """,
    )
    report = mutate(ruleset, load_scenarios(path, ruleset))
    assert report.passed
    assert [r.status for r in report.results].count("accepted") == 1
    assert [a.mutant for a in report.stale] == ["remove:ADULT-CBT"]
    text = report.to_text()
    assert (
        "  accepted survivors:\n    drop:ADULT-CBT:then[1]: The caution is advisory and reviewed by hand."
        in text
    )
    assert "note: accepted_mutants entry 'remove:ADULT-CBT'" in text
    assert report.to_dict()["accepted"] == 1


def test_a_mutant_the_compiler_refuses_is_reported_not_counted(tmp_path: Path) -> None:
    reasons = ["emotional_regulation", "coping", "communication", "self_punishment", "sense_of_control"]
    branches = [
        {
            "all": [
                {"reasons": {"contains_any": [reasons[i]]}},
                {"age": {"gte": 10 + i}},
                {"score": {"lte": i}},
                {"pattern": ["first_episode", "repeated", "frequent"][i % 3]},
            ]
        }
        for i in range(5)
    ]
    ruleset = make_ruleset(tmp_path, rule("WIDE", {"any": branches}, recommend("dbt", 1)))
    path = write_scenarios(
        tmp_path,
        """
        scenarios:
          - name: x
            assessment: {age: 30, reasons: [coping], score: 0, pattern: repeated}
            expect: {recommended: [dbt]}
        """,
    )
    report = mutate(ruleset, load_scenarios(path, ruleset), only=["negate:WIDE:when"])
    ((result),) = [r for r in report.results if r.mutant.id == "negate:WIDE:when"]
    assert result.status == "invalid"
    assert "expands to more than 256 alternatives" in (result.reason or "")
    assert result not in report.survivors
    assert "could not be compiled (not counted):\n    negate:WIDE:when: rule WIDE" in report.to_text()


def test_only_restricts_the_mutants() -> None:
    report = mutate(RULES, load_scenarios(TOOLKIT_SCENARIOS, RULES), only=["remove:", "drop:SAFEGUARDING"])
    assert [r.mutant.id for r in report.results if r.mutant.rule == "SAFEGUARDING"] == [
        "remove:SAFEGUARDING",
        "drop:SAFEGUARDING:then[0]",
    ]
    assert {r.mutant.kind for r in report.results} == {"remove", "drop"}


@pytest.mark.parametrize("index", range(10))
def test_deleting_any_rule_from_a_copy_makes_the_scenarios_fail(tmp_path: Path, index: int) -> None:
    """The 'done' criterion of the toolkit, on the fixture rule set: no rule goes unnoticed."""
    copy = tmp_path / "rules"
    shutil.copytree(TOOLKIT_RULES, copy)
    document = yaml.safe_load((copy / "rules.yaml").read_text(encoding="utf-8"))
    del document["rules"][index]
    (copy / "rules.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    status = main(["test", "--rules", str(copy), str(TOOLKIT_SCENARIOS)], stdout=out, stderr=err)
    assert status == 1
    assert "FAILED" in out.getvalue() or "unknown rule" in err.getvalue()
