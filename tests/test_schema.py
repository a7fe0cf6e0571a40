"""The quick structural check never accepts a rule file that the full JSON Schema validator
rejects: it only decides when there is nothing to report."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intervention_rules import _schema
from strategies import BASE, DrawSource, replace_a_node, ruleset_document


def full_errors(document: Any) -> list[Any]:
    return list(_schema._validator().iter_errors(document))


def check_agreement(document: Any) -> None:
    quick = _schema._quickly_valid(document)
    full = full_errors(document)
    if quick:
        assert full == [], "the quick check accepted what the schema rejects"


def one_rule(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    rule = {
        "id": "R-1",
        "title": "A rule",
        "version": 1,
        "status": "active",
        "author": "tests",
        "reviewer": "reviewer",
        "last_reviewed": "2026-01-01",
        "review_due": "2027-01-01",
        "evidence": [{"source": "s", "grade": "moderate", "confidence": "high"}],
        "when": {"age": {"gte": 18}},
        "then": [{"recommend": {"intervention": "cbt", "strength": 1, "text": "Because."}}],
    }
    rule.update(changes)
    document["rules"] = [rule]
    return document


EDGE_CASES = {
    "valid": one_rule(),
    "impossible date": one_rule(last_reviewed="2026-02-30"),
    "date with a trailing newline": one_rule(review_due="2027-01-01\n"),
    "id with a trailing newline": one_rule(id="R-1\n"),
    "lower-case id": one_rule(id="r-1"),
    "huge integer": one_rule(version=10**30),
    "not a number": one_rule(when={"age": {"gte": math.nan}}),
    "infinity": one_rule(when={"age": {"gte": math.inf}}),
    "boolean for a number": one_rule(version=True),
    "unknown field": one_rule(colour="red"),
    "two operators": one_rule(when={"age": {"gte": 1, "lte": 3}}),
}


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_edge_cases_agree(name: str) -> None:
    check_agreement(EDGE_CASES[name])


def test_the_quick_check_accepts_a_valid_file_and_the_full_one_explains_the_rest() -> None:
    """Otherwise it would save nothing, or hide the reasons."""
    assert _schema._quickly_valid(EDGE_CASES["valid"])
    assert _schema.schema_problems(_schema.Located("x.yaml", EDGE_CASES["unknown field"], {}, "x.yaml")), (
        "a file the quick check rejects is explained by the full validator"
    )


JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.sampled_from(["", "x", "R-1", "cbt", "age", "2026-01-01", "2026-13-01", "a\n", "sum"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)


@given(st.data())
def test_random_edits_of_valid_documents_agree(data: st.DataObject) -> None:
    """Replace nodes anywhere in a generated valid document: whenever the quick check accepts
    the result, the full validator finds nothing either."""
    src = DrawSource(data.draw)
    document: Any = ruleset_document(src, src.integer(1, 3))
    check_agreement(document)
    assert _schema._quickly_valid(document)
    for _ in range(data.draw(st.integers(1, 3))):
        replace_a_node(data, document, JUNK)
    check_agreement(document)
