"""Assessments to run rule sets over: scenario files, or assessments generated from the vocabulary.

A scenario file is a JSON file holding one assessment (an object) or a list of them; a directory
stands for every ``.json`` file under it, in sorted order. Generated assessments are deterministic
for a seed and favour the values that matter: every threshold a rule tests, one either side of it,
and each feature's range ends, with optional features sometimes not recorded.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from ..errors import Problem, RuleSetError
from ..model import AllOf, AnyOf, Condition, Feature, Not, Test
from ..ruleset import RuleSet
from ._logic import Logic, required_objects

__all__ = ["Scenario", "ScenarioError", "generate", "load_scenarios", "rule_examples"]


class ScenarioError(RuleSetError):
    """A scenario file cannot be read or is not an assessment (or a list of them)."""


@attrs.frozen
class Scenario:
    name: str
    assessment: Any


def load_scenarios(paths: Iterable[str | os.PathLike[str]]) -> list[Scenario]:
    """Read scenario files and directories (raises :class:`ScenarioError` listing every problem)."""
    files: list[Path] = []
    problems: list[Problem] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.json") if p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem("no scenario file or directory here", file=str(path)))
    scenarios: list[Scenario] = []
    for file in files:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except OSError as error:
            problems.append(Problem(f"cannot read the scenario file: {error.strerror}", file=str(file)))
            continue
        except UnicodeDecodeError:
            problems.append(Problem("the scenario file is not UTF-8 text", file=str(file), line=1, column=1))
            continue
        except json.JSONDecodeError as error:
            problems.append(
                Problem(f"not valid JSON: {error.msg}", file=str(file), line=error.lineno, column=error.colno)
            )
            continue
        if isinstance(data, dict):
            scenarios.append(Scenario(str(file), data))
        elif isinstance(data, list) and data and all(isinstance(d, dict) for d in data):
            scenarios += [Scenario(f"{file}[{i}]", d) for i, d in enumerate(data)]
        else:
            problems.append(
                Problem(
                    "a scenario file holds an assessment (a JSON object) or a non-empty list of them",
                    file=str(file),
                )
            )
    if problems:
        raise ScenarioError(problems)
    if not scenarios:
        raise ScenarioError([Problem("no scenario files (*.json) found", file=", ".join(map(str, paths)))])
    return scenarios


_OTHER = ("other", "unlisted", "x")


def _thresholds(rulesets: Iterable[RuleSet]) -> dict[str, set[Any]]:
    """Every operand a live rule tests, by feature."""
    found: dict[str, set[Any]] = {}

    def walk(c: Condition) -> None:
        if isinstance(c, Test):
            operands = c.operand if isinstance(c.operand, list | tuple) else [c.operand]
            found.setdefault(c.feature, set()).update(v for v in operands if not isinstance(v, bool))
        elif isinstance(c, AllOf | AnyOf):
            for item in c.items:
                walk(item)
        elif isinstance(c, Not):
            walk(c.item)

    for ruleset in rulesets:
        for rule in ruleset.rules:
            if rule.status != "retired":
                walk(rule.when)
    return found


def _numbers(feature: Feature, operands: set[Any]) -> list[Any]:
    step = 1 if feature.type == "integer" else 0.5
    values: set[Any] = set()
    for v in operands:
        if isinstance(v, int | float):
            values.update({v - step, v, v + step})
    for bound in (feature.minimum, feature.maximum):
        if bound is not None:
            values.add(bound)
    if not values:
        values = {0, 1, 10}
    out = []
    for v in sorted(values):
        if feature.minimum is not None and v < feature.minimum:
            continue
        if feature.maximum is not None and v > feature.maximum:
            continue
        out.append(int(v) if feature.type == "integer" else v)
    return out or [int(feature.minimum or 0)]


def generate(
    vocabulary: RuleSet, count: int, *, seed: int = 0, also: Iterable[RuleSet] = ()
) -> list[Scenario]:
    """``count`` assessments valid for ``vocabulary``, aimed at the thresholds of its rules and of
    the rule sets in ``also``."""
    rng = random.Random(seed)
    operands = _thresholds([vocabulary, *also])
    out: list[Scenario] = []
    for index in range(count):
        flat: dict[str, Any] = {}
        for name, feature in vocabulary.features.items():
            if not feature.required and rng.random() < 0.3:
                continue
            seen = operands.get(name, set())
            if feature.numeric:
                flat[name] = rng.choice(_numbers(feature, seen))
            elif feature.type == "boolean":
                flat[name] = rng.random() < 0.5
            else:
                if feature.values is not None:
                    pool = list(feature.values)
                else:  # the values rules name, and one they do not
                    fits = [str(v) for v in seen if re.fullmatch(feature.pattern or ".*", str(v))]
                    unnamed = [
                        v for v in _OTHER if v not in seen and re.fullmatch(feature.pattern or ".*", v)
                    ]
                    pool = sorted(fits) + unnamed[:1]
                if not pool:
                    continue
                if feature.type == "string":
                    flat[name] = rng.choice(pool)
                else:
                    flat[name] = rng.sample(pool, rng.randint(0, min(len(pool), 3)))
        assessment: dict[str, Any] = {name: {} for name in required_objects(vocabulary)}
        for name, value in flat.items():
            if "." in name:
                parent, field = name.split(".", 1)
                assessment.setdefault(parent, {})[field] = value
            else:
                assessment[name] = value
        out.append(Scenario(f"generated[{index}]", assessment))
    return out


def rule_examples(ruleset: RuleSet) -> list[Scenario]:
    """One assessment per live rule on which that rule fires (rules that never fire have none)."""
    logic = Logic(ruleset)
    out = []
    for rule in ruleset.rules:
        if rule.status == "retired":
            continue
        found = logic.example([rule])
        if isinstance(found, dict):
            out.append(Scenario(f"fires {rule.id} ({ruleset.version})", found))
    return out
