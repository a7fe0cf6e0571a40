"""The rule set as data: the operator names and the operands a loaded test holds."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

import intervention_rules as ir
from intervention_rules import model
from intervention_rules._compile import COMPILERS
from intervention_rules._schema import rule_file_schema
from intervention_rules.conditions import OPERATORS
from intervention_rules.model import OperatorName
from intervention_rules.testing import condition_tests

GOLDEN = Path(__file__).parent / "fixtures" / "golden"


def test_the_operator_names_are_one_list() -> None:
    """``OperatorName`` names exactly the operators of the table, the schema and the compiler."""
    names = get_args(OperatorName)
    schema = rule_file_schema()["$defs"]["test"]["anyOf"][1]["properties"]
    assert len(names) == len(set(names))
    assert set(names) == set(OPERATORS) == set(schema) == set(COMPILERS)
    assert all(name == operator.name for name, operator in OPERATORS.items())


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool)


@pytest.mark.parametrize("rules", [None, GOLDEN / "generated-100"], ids=["bundled", "generated"])
def test_loaded_operands_have_the_declared_types(rules: Path | None) -> None:
    """Every loaded test's operand is an ``Operand``, in the form its operator's kind says: lists
    become tuples, ``between`` a pair of numbers, ``recorded`` true or false."""
    ruleset = ir.load_ruleset(rules)
    seen = set()
    for rule in ruleset.rules:
        for test in condition_tests(rule.when):
            if not isinstance(test, model.Test):
                continue
            assert test.op in get_args(OperatorName)
            kind, operand = OPERATORS[test.op].operand, test.operand
            seen.add(kind)
            if kind == "values":
                assert isinstance(operand, tuple)
                assert operand
                assert all(map(_is_scalar, operand))
            elif kind == "pair":
                assert isinstance(operand, tuple)
                assert len(operand) == 2
                assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in operand)
            elif kind == "boolean":
                assert isinstance(operand, bool)
            elif kind == "number":
                assert isinstance(operand, int | float)
                assert not isinstance(operand, bool)
            else:
                assert _is_scalar(operand)
    assert {"values", "number", "boolean"} <= seen
