"""Deciding whether rules can fire together, with confirmed examples."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

import intervention_rules as ir
from helpers import make_ruleset, recommend, rule
from intervention_rules.governance._logic import NEVER, UNDECIDED, Logic
from strategies import RandomSource, assessment, ruleset_document, write_ruleset


def answer(tmp_path: Path, *conditions: dict[str, Any], silent: dict[str, Any] | None = None) -> Any:
    """The example assessment when one is found, else the answer (NEVER or UNDECIDED)."""
    rules = [rule(f"R-{i}", when, recommend("dbt", 1)) for i, when in enumerate(conditions)]
    if silent is not None:
        rules.append(rule("S", silent, recommend("cbt", 1)))
    ruleset = make_ruleset(tmp_path, *rules)
    logic = Logic(ruleset)
    fire = [ruleset.rule(f"R-{i}") for i in range(len(conditions))]
    found = logic.example(fire, [ruleset.rule("S")] if silent is not None else [])
    return found.assessment if found.assessment is not None else found


@pytest.mark.parametrize(
    "conditions",
    [
        ({"age": {"lt": 18}}, {"age": {"gte": 18}}),
        ({"age": {"gt": 17}}, {"age": {"lt": 18}}),
        ({"pattern": "first_episode"}, {"pattern": "frequent"}),
        ({"not": {"age": {"recorded": True}}},),
        ({"family.involved": True}, {"family.involved": False}),
        ({"reasons": {"contains_any": ["coping"]}}, {"reasons": {"contains_none": ["coping"]}}),
        ({"score": {"between": [1, 2]}}, {"score": {"gt": 2}}),
        ({"age": {"in": [15, 16]}}, {"age": {"not_in": [15, 16]}}),
    ],
)
def test_conditions_that_cannot_hold_together_are_never(
    tmp_path: Path, conditions: tuple[dict[str, Any], ...]
) -> None:
    assert answer(tmp_path, *conditions) == NEVER


@pytest.mark.parametrize(
    "conditions",
    [
        ({"age": {"lt": 18}}, {"age": {"gte": 17}}),
        ({"score": {"gt": 0.25}}, {"score": {"lt": 0.5}}, {"score": {"ne": 0.375}}),
        ({"pattern": {"ne": "frequent"}}, {"pattern": {"not_in": ["first_episode"]}}),
        ({"medications": {"contains_all": ["lithium", "sertraline"]}}, {"reasons": {"recorded": False}}),
        ({"any": [{"age": {"lt": 5}}, {"family.conflict": True}]}, {"not": {"family.involved": True}}),
    ],
)
def test_an_example_is_found_and_fires_every_rule(
    tmp_path: Path, conditions: tuple[dict[str, Any], ...]
) -> None:
    rules = [rule(f"R-{i}", when, recommend("dbt", 1)) for i, when in enumerate(conditions)]
    ruleset = make_ruleset(tmp_path, *rules)
    example = Logic(ruleset).example(ruleset.rules).assessment
    assert isinstance(example, dict)
    fired = ruleset.evaluate(example).fired
    assert set(fired) == {r.id for r in ruleset.rules}


def test_silent_rules_are_kept_silent(tmp_path: Path) -> None:
    """Asked for "R-0 and not S": the example avoids S's condition."""
    example = answer(tmp_path, {"age": {"lt": 18}}, silent={"age": {"lt": 16}})
    assert isinstance(example, dict)
    assert 16 <= example["age"] < 18
    assert answer(tmp_path, {"age": {"lt": 16}}, silent={"age": {"lt": 18}}) == NEVER


def test_derived_facts_are_replaced_by_what_concludes_them(tmp_path: Path) -> None:
    ruleset = make_ruleset(
        tmp_path,
        rule("CONCLUDE", {"age": {"lt": 18}}, {"conclude": "f0"}),
        rule("USE", {"all": [{"fact": "f0"}, {"age": {"gte": 18}}]}, recommend("dbt", 1)),
        rule("ORPHAN", {"fact": "f1"}, recommend("cbt", 1)),
        rule("NOT-ORPHAN", {"not": {"fact": "f1"}}, recommend("cbt", 1)),
    )
    logic = Logic(ruleset)
    assert logic.example([ruleset.rule("USE")]) == NEVER
    assert logic.example([ruleset.rule("ORPHAN")]) == NEVER
    assert isinstance(logic.example([ruleset.rule("NOT-ORPHAN")]).assessment, dict)


def test_a_question_too_large_to_expand_is_undecided(tmp_path: Path) -> None:
    """Two rules of 17 alternatives each make 289 together, past the compiler's bound: no claim."""
    ruleset = make_ruleset(
        tmp_path,
        rule("LOW", {"age": {"in": list(range(17))}}, recommend("dbt", 1)),
        rule("HIGH", {"age": {"in": list(range(50, 67))}}, recommend("cbt", 1)),
    )
    logic = Logic(ruleset)
    assert logic.example([ruleset.rule("LOW"), ruleset.rule("HIGH")]) == UNDECIDED
    assert isinstance(logic.example([ruleset.rule("LOW")]).assessment, dict)


def test_never_is_never_contradicted_by_generated_assessments(tmp_path: Path) -> None:
    """On generated rule sets, no generated assessment fires a rule (or a pair) declared NEVER."""
    checked = 0
    for seed in range(12):
        src = RandomSource(seed)
        directory = tmp_path / str(seed)
        directory.mkdir()
        try:
            ruleset = ir.load_ruleset(write_ruleset(directory, ruleset_document(src, 8)))
        except ir.RuleSetError:
            continue  # generated contradictions are load errors; nothing to decide
        logic = Logic(ruleset)
        live = [r for r in ruleset.rules if r.status != "retired"]
        never = [(r,) for r in live if logic.example([r]) == NEVER]
        never += [pair for pair in itertools.combinations(live, 2) if logic.example(list(pair)) == NEVER]
        for _ in range(150):
            try:
                fired = set(ruleset.evaluate(assessment(src)).fired)
            except ir.AssessmentError:
                continue
            for group in never:
                assert not all(r.id in fired for r in group), (seed, [r.id for r in group])
            checked += 1
    assert checked > 1000


def test_values_outside_a_set_are_decided(tmp_path: Path) -> None:
    """contains_other_than: "not recorded" is compatible with its negation, not with itself."""
    assert isinstance(
        answer(
            tmp_path,
            {"medications": {"recorded": False}},
            silent={"medications": {"contains_other_than": ["lithium"]}},
        ),
        dict,
    )
    assert (
        answer(
            tmp_path,
            {"medications": {"recorded": False}},
            {"medications": {"contains_other_than": ["lithium"]}},
        )
        == NEVER
    )
    example = answer(
        tmp_path,
        {"medications": {"contains_other_than": ["lithium"]}},
        {"medications": {"contains_any": ["lithium"]}},
    )
    assert isinstance(example, dict)
    assert "lithium" in example["medications"]
    assert len(example["medications"]) == 2
    every_reason = ["coping", "communication", "emotional_regulation", "self_punishment", "sense_of_control"]
    assert answer(tmp_path, {"reasons": {"contains_other_than": every_reason}}) == NEVER
