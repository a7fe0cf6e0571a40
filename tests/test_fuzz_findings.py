"""Each input the fuzzing campaign (``python3 dev.py fuzz``, see docs/safety.md) reported, run
through the check that flagged it, with the library's real code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import intervention_rules as ir
from intervention_rules._jsonio import parse_json
from intervention_rules.scale._batch import _evaluate_line, _Settings

FINDINGS = sorted((Path(__file__).parent / "fixtures" / "fuzz").iterdir())
NAME = r"[A-Za-z_][A-Za-z0-9_-]{0,63}"


@pytest.fixture(scope="module")
def ruleset() -> ir.RuleSet:
    return ir.load_ruleset()


def texts(value: object) -> list[str]:
    """The assessment's string values, and its keys that do not look like field names."""
    import re

    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        keys = [k for k in value if not re.fullmatch(NAME, k)]
        return keys + [t for v in value.values() for t in texts(v)]
    if isinstance(value, list):
        return [t for item in value for t in texts(item)]
    return []


@pytest.mark.parametrize("finding", FINDINGS, ids=[f.name for f in FINDINGS])
def test_a_fuzzing_finding_is_handled(ruleset: ir.RuleSet, finding: Path) -> None:
    """The first byte chose the target (0 YAML, 1 JSON and batch record, 2 evaluation)."""
    data = finding.read_bytes()
    target, body = data[0] % 3, data[1:]
    _, text, _ = _evaluate_line(ruleset, 1, body, _Settings())
    record = json.loads(text.encode("utf-8"))
    assert record["line"] == 1
    if target != 2:
        return
    assessment = parse_json(body)
    with pytest.raises(ir.AssessmentError) as caught:
        ruleset.evaluate(assessment)
    shown = str(caught.value) + repr(caught.value.problems)
    # The vocabulary may be quoted, also as messages list it ("a, b, c"): a value such as
    # " repeated" is found inside "first_episode, repeated, frequent" without having leaked.
    vocabulary = json.dumps(
        {n: [list(f.values or ()), ", ".join(f.values or ())] for n, f in ruleset.features.items()}
    )
    leaked = [t for t in texts(assessment) if len(t) >= 8 and t not in vocabulary and t in shown]
    assert leaked == []
