"""Feature patterns: matched in linear time, so no pattern and no text can hang the process."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import re2  # type: ignore[import-untyped]  # google-re2 ships no type information
import yaml
from hypothesis import given
from hypothesis import strategies as st

import intervention_rules as ir
from helpers import cli, rule
from intervention_rules._pattern import fits, fullmatch, pattern_problem
from strategies import BASE

#: Python's backtracking ``re`` takes hours to find that this text does not match this pattern.
EXPONENTIAL = "^(a+)+$"
NO_MATCH = "a" * 40 + "!"


def write(tmp_path: Path, pattern: str, operand: str = "aaaa") -> Path:
    """A one-file rule set whose ``medications`` takes ``pattern``, with a rule naming ``operand``."""
    document: dict[str, Any] = copy.deepcopy(BASE)
    document["features"]["medications"]["pattern"] = pattern
    when = {"medications": {"contains_any": [operand]}}
    then = {"recommend": {"intervention": "cbt", "strength": 1, "text": "Because."}}
    document["rules"] = [rule("MED-1", when, then)]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_an_exponential_pattern_does_not_hang_checking_an_assessment(tmp_path: Path) -> None:
    """A process of its own, so that a regression is a failed test rather than a hung suite."""
    rules = write(tmp_path, EXPONENTIAL)
    assessment = json.dumps({"age": 30, "medications": [NO_MATCH]})
    result = cli("evaluate", "--rules", str(rules), "-", stdin=assessment)
    assert (result.returncode, result.stdout) == (1, "")
    assert "medications[0]: does not match the expected form ^(a+)+$ [IR308]" in result.stderr
    assert NO_MATCH not in result.stderr
    matched = cli("evaluate", "--rules", str(rules), "-", stdin='{"age": 30, "medications": ["aaaa"]}')
    assert matched.returncode == 0, matched.stderr
    assert [r["intervention"] for r in json.loads(matched.stdout)["recommendations"]] == ["cbt"]


def test_an_exponential_pattern_does_not_hang_checking_a_rule_operand(tmp_path: Path) -> None:
    result = cli("validate", "--rules", str(write(tmp_path, EXPONENTIAL, operand=NO_MATCH)))
    assert result.returncode == 1
    assert f"'{NO_MATCH}' does not match the pattern of 'medications'" in result.stderr
    assert "[IR217]" in result.stderr


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"^(a)\1$", r"invalid escape sequence: \1"),
        ("^(?=a)[a-z]+$", "invalid perl operator: (?="),
        ("^(?<!x)a$", "invalid perl operator: (?<!"),
        ("^a{2000}$", "invalid repetition size: {2000}"),
    ],
)
def test_a_pattern_the_linear_matcher_cannot_take_is_a_load_error(
    tmp_path: Path, pattern: str, reason: str
) -> None:
    with pytest.raises(ir.RuleSetError) as caught:
        ir.load_ruleset(write(tmp_path, pattern))
    (problem,) = [p for p in caught.value.problems if p.path.startswith("features")]
    assert (problem.code, problem.path) == ("IR206", "features.medications.pattern")
    assert problem.message == (
        f"a pattern the linear-time matcher cannot take: {reason} "
        "(no backreferences, no lookahead or lookbehind, repetition counts up to 1000)"
    )


def test_a_pattern_python_cannot_read_is_still_a_load_error(tmp_path: Path) -> None:
    """The testing layer generates values from the pattern as Python reads it."""
    assert pattern_problem(r"^\pL+$") is not None  # RE2 takes it, Python's re does not
    with pytest.raises(ir.RuleSetError) as caught:
        ir.load_ruleset(write(tmp_path, "^(a$"))
    (problem,) = [p for p in caught.value.problems if p.path.startswith("features")]
    assert problem.code == "IR206"
    assert problem.message.startswith("invalid regular expression: missing ), unterminated subpattern")


def test_the_matcher_refuses_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    """RE2 logs each pattern it refuses to standard error unless told not to; the library writes
    no logs."""
    assert pattern_problem(r"(b)\1") is not None
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("^[a-z][a-z0-9 -]*$", "lithium carbonate", True),
        ("^[a-z][a-z0-9 -]*$", "Lithium", False),
        ("[a-z]+", "abc", True),  # the whole text, anchored or not
        ("[a-z]+", "abc1", False),
        ("a|ab", "ab", True),  # the whole text, not the first alternative that matches a prefix
        ("[0-9]+", "١٢", False),
        ("^.+$", "\U0001f600 \x00", True),
        (EXPONENTIAL, NO_MATCH, False),
    ],
)
def test_fullmatch_matches_the_whole_text(pattern: str, text: str, expected: bool) -> None:
    assert fullmatch(pattern, text) is expected
    assert fits(pattern, text) is expected


def test_any_text_fits_a_feature_without_a_pattern() -> None:
    assert fits(None, "anything at all")


@given(
    pattern=st.sampled_from(
        [
            "^[a-z][a-z0-9 -]*$",
            "[a-z]+",
            r"\d{3}-\d{4}",
            "(a|ab)(c|bcd)(d*)",
            "^$",
            "",
            "é+",
            "[^\n]*",
            "(?i)abc",
            "a*?b",
            r"\w+",
            "x|y|",
            EXPONENTIAL,
        ]
    ),
    text=st.text(alphabet="ab cdxy-é\n0129AB\u4e2d\U0001f600", max_size=12),
)
def test_the_quick_whole_text_check_agrees_with_the_full_match(pattern: str, text: str) -> None:
    """The quick yes or no (an anchored set, which builds no match) agrees with RE2's own match."""
    assert fullmatch(pattern, text) is (re2.compile(pattern).fullmatch(text) is not None)
