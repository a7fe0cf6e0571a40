"""Decisions, their text and ``explain`` stay byte for byte what they were before the decision path
was optimised (see tests/golden.py for how the stored records were made)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import intervention_rules as ir
from golden import RULE_SETS, observe, records


def _by_ruleset() -> Iterator[tuple[str, list[tuple[int, dict[str, Any]]]]]:
    grouped: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, record in enumerate(records()):
        grouped.setdefault(record["ruleset"], []).append((index, record))
    yield from grouped.items()


@pytest.mark.parametrize(
    ("name", "stored"), list(_by_ruleset()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_decisions_unchanged(name: str, stored: list[tuple[int, dict[str, Any]]]) -> None:
    """Every stored assessment gives the same decision JSON, text and explanations, byte for byte."""
    ruleset = ir.load_ruleset(RULE_SETS[name])
    for index, record in stored:
        now = observe(ruleset, record["assessment"], list(record["explain"]))
        for part in ("decision", "text", "explain"):
            assert now[part] == record[part], f"record {index} ({name}): {part} differs"


def test_golden_covers_every_stored_rule_set() -> None:
    """The records cover every frozen rule set, the scenario assessments included."""
    names = {r["ruleset"] for r in records()}
    assert names == set(RULE_SETS)
    assert sum(1 for r in records() if r["ruleset"] == "default") > 100
