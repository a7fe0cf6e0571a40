"""Small rule sets written inline by tests, over the contract's vocabulary."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

import intervention_rules as ir
from strategies import BASE


def rule(rule_id: str, when: dict[str, Any], *then: dict[str, Any], status: str = "active") -> dict[str, Any]:
    return {
        "id": rule_id,
        "title": f"Rule {rule_id}",
        "version": 1,
        "status": status,
        "author": "tests",
        "reviewer": "tests",
        "last_reviewed": "2026-01-01",
        "review_due": "2027-01-01",
        "evidence": [{"source": f"Source of {rule_id}", "grade": "moderate", "confidence": "high"}],
        "when": when,
        "then": list(then),
    }


def recommend(intervention: str, strength: float, text: str = "Because.") -> dict[str, Any]:
    return {"recommend": {"intervention": intervention, "strength": strength, "text": text}}


def make_ruleset(
    tmp_path: Path,
    *rules: dict[str, Any],
    aggregate: str = "sum",
    constraints: bool = True,
    zero_strength: str | None = None,
) -> ir.RuleSet:
    document = copy.deepcopy(BASE)
    document["ruleset"]["ranking"]["aggregate"] = aggregate
    if zero_strength is not None:
        document["ruleset"]["ranking"]["zero_strength"] = zero_strength
    if not constraints:
        document["ruleset"]["ranking"]["constraints"] = []
    document["rules"] = list(rules)
    path = tmp_path / "ruleset.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return ir.load_ruleset(path)


def one_rule_document() -> dict[str, Any]:
    """The contract's vocabulary with the least a rule set needs: one live rule (cbt at any age)."""
    document = copy.deepcopy(BASE)
    document["rules"] = [rule("ANY-AGE", {"age": {"gte": 0}}, recommend("cbt", 1))]
    return document


TOOLKIT = Path(__file__).parent / "fixtures" / "toolkit"
TOOLKIT_RULES = TOOLKIT / "rules"
TOOLKIT_SCENARIOS = TOOLKIT / "scenarios"


def toolkit_ruleset() -> ir.RuleSet:
    """The testing toolkit's fixture rule set (every action kind, a derived fact, thresholds)."""
    return ir.load_ruleset(TOOLKIT_RULES)


def write_scenarios(tmp_path: Path, text: str, name: str = "case.scenario.yaml") -> Path:
    """A scenario file written from YAML text (dedented), returned as a path."""
    import textwrap

    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


ROOT = Path(__file__).resolve().parents[1]


def cli_after(before: str) -> list[str]:
    """The command that runs ``before`` (Python: a fault put in on purpose, say) in a fresh process,
    then the command line as ``python -m intervention_rules`` does; its arguments follow."""
    main = "import runpy\nrunpy.run_module('intervention_rules', run_name='__main__')"
    return [sys.executable, "-c", f"{before}\n{main}"]


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command line as a real process from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "intervention_rules", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
