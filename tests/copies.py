"""Copies of rule sets in temporary directories, deliberately broken or changed by the tests.

Nothing here knows the bundled rule set's ids or counts: the tests pick rules by what they do.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

import intervention_rules as ir
from intervention_rules.model import Recommend

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"


def copy_rules(tmp_path: Path, name: str = "rules", source: Path = RULES) -> Path:
    """A copy of a rule-set directory (the bundled one by default)."""
    target = tmp_path / name
    shutil.copytree(source, target)
    return target


def recommending_rule(ruleset: ir.RuleSet) -> tuple[str, str]:
    """The id of the first live rule that recommends something, and the intervention."""
    for rule in ruleset.rules:
        if rule.status == "retired":
            continue
        for action in rule.then:
            if isinstance(action, Recommend):
                return rule.id, action.intervention
    raise AssertionError("the rule set recommends nothing")


def edit_rule(root: Path, rule_id: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply ``change`` to the rule with this id, wherever it is written."""
    for file in sorted(root.rglob("*.yaml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            continue
        for rule in data.get("rules", []):
            if rule["id"] == rule_id:
                change(rule)
                file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
                return
    raise AssertionError(f"no rule {rule_id} under {root}")


def add_rules(root: Path, *rules: dict[str, Any], file: str = "zz-added.yaml") -> Path:
    """Write extra rules into a new file of the rule set."""
    path = root / file
    path.write_text(
        yaml.safe_dump({"rules": list(rules)}, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return path


def retire_drafts(root: Path) -> list[str]:
    """Retire every draft rule of a copy (what a group might do to approve the rest); their ids."""
    retired: list[str] = []
    for file in sorted(root.rglob("*.yaml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not any(r["status"] == "draft" for r in data.get("rules", [])):
            continue
        for rule in data["rules"]:
            if rule["status"] == "draft":
                rule["status"] = "retired"
                retired.append(rule["id"])
        file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return retired
