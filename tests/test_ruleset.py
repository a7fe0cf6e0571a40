"""What a loaded rule set holds, and the same rule set with rules replaced or removed."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

import intervention_rules as ir
from helpers import make_ruleset, recommend, rule

ADULT = {"age": 30, "reasons": ["coping"]}


def small(tmp_path: Path) -> ir.RuleSet:
    return make_ruleset(
        tmp_path,
        rule("CBT-COPING", {"reasons": {"contains_any": ["coping"]}}, recommend("cbt", 2)),
        rule("DBT-ADULT", {"age": {"gte": 18}}, recommend("dbt", 1)),
        rule("OLD", {"age": {"gte": 18}}, recommend("ssri", 1), status="retired"),
    )


def test_live_rules_are_every_rule_but_the_retired(tmp_path: Path) -> None:
    ruleset = small(tmp_path)
    assert [r.id for r in ruleset.rules] == ["CBT-COPING", "DBT-ADULT", "OLD"]
    assert [r.id for r in ruleset.live_rules] == ["CBT-COPING", "DBT-ADULT"]


def test_required_objects_are_the_objects_declared_required(tmp_path: Path) -> None:
    assert ir.load_ruleset().required_objects == frozenset()
    text = Path("rules/vocabulary.yaml").read_text(encoding="utf-8")
    marked = text.replace(
        "  family:\n    type: object\n", "  family:\n    type: object\n    required: true\n"
    )
    assert marked != text
    texts = {name: Path("rules", name).read_text(encoding="utf-8") for name in ir.load_ruleset().files}
    texts["vocabulary.yaml"] = marked
    ruleset = ir.load_ruleset_from_texts(texts)
    assert ruleset.required_objects == frozenset({"family"})
    with pytest.raises(ir.AssessmentError, match="family: required but not recorded"):
        ruleset.evaluate(ADULT)


def test_with_rules_removes_and_replaces_by_id(tmp_path: Path) -> None:
    ruleset = small(tmp_path)
    before = [r.intervention for r in ruleset.evaluate(ADULT).recommendations]
    assert before == ["cbt", "dbt"]
    removed = ruleset.with_rules(remove=["CBT-COPING"])
    assert [r.intervention for r in removed.evaluate(ADULT).recommendations] == ["dbt"]
    assert [r.id for r in removed.rules] == ["DBT-ADULT", "OLD"]
    stronger = attrs.evolve(
        ruleset.rule("DBT-ADULT"),
        then=(attrs.evolve(ruleset.rule("DBT-ADULT").then[0], strength=5.0),),
    )
    replaced = ruleset.with_rules(replace=[stronger])
    assert [r.intervention for r in replaced.evaluate(ADULT).recommendations] == ["dbt", "cbt"]
    assert [r.id for r in replaced.rules] == [r.id for r in ruleset.rules]
    assert replaced.digest == ruleset.digest
    # the original is untouched
    assert [r.intervention for r in ruleset.evaluate(ADULT).recommendations] == before


def test_with_rules_refuses_an_unknown_id(tmp_path: Path) -> None:
    ruleset = small(tmp_path)
    with pytest.raises(KeyError, match="NOPE"):
        ruleset.with_rules(remove=["NOPE"])
