"""Assessments to run rule sets over: scenario files, or assessments generated from the vocabulary.

Two kinds of file are read, for their assessments only: the testing toolkit's scenario files
(``*.scenario.yaml``, see docs/testing.md; their structure is checked, their expectations are
left to ``intervention-rules test``), and JSON files holding one assessment (an object) or a
list of them. A directory stands for every such file under it, in sorted order. Generated
assessments are deterministic for a seed and favour the values that matter: every threshold a
rule tests, one either side of it, and each feature's range ends, with optional features
sometimes not recorded.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from .._jsonio import UnreadableJSON, parse_json_file
from .._pattern import fits
from ..errors import Problem
from ..model import AllOf, AnyOf, Condition, Feature, Not, Test
from ..ruleset import RuleSet
from ..testing._scenarios import SCENARIO_PATTERNS, ScenarioError, read_scenario_document
from ._logic import Logic

__all__ = ["NamedAssessment", "generate", "read_assessments", "rule_examples"]


@attrs.frozen
class NamedAssessment:
    """An assessment and where it came from (a scenario's name, a file, or how it was made).

    ``private``: it may be a real person's (read from a JSON or JSON Lines file, as a population's
    own assessments are), so reports name it by where it came from and do not quote it."""

    name: str
    assessment: Any
    private: bool = False


def _is_scenario_file(path: Path) -> bool:
    return any(path.match(pattern) for pattern in SCENARIO_PATTERNS)


def _text(file: Path, problems: list[Problem]) -> str | None:
    try:
        return file.read_text(encoding="utf-8-sig")  # a BOM first, as evaluate accepts it
    except OSError as error:
        problems.append(
            Problem(f"cannot read the scenario file: {error.strerror}", file=str(file), code="IR103")
        )
    except UnicodeDecodeError:
        problems.append(
            Problem("the scenario file is not UTF-8 text", file=str(file), line=1, column=1, code="IR104")
        )
    return None


def _invalid_json(file: Path, error: UnreadableJSON, line: int | None = None) -> Problem:
    """The problem of a JSON file (or of line ``line`` of a JSON Lines file) that is not strict JSON."""
    at_line, column = error.where or (1, 1)
    line = at_line if line is None else line
    return Problem(str(error), file=str(file), line=line, column=column, code="IR509")


def _json_lines_assessments(file: Path, problems: list[Problem]) -> list[NamedAssessment]:
    """A JSON Lines file (``evaluate --batch``'s input): one assessment a line, blank lines skipped.
    Lines end at a line feed only, as the batch reads them: a JSON string may hold U+2028 or
    U+0085 as they are, which ``str.splitlines`` would take for line ends."""
    text = _text(file, problems)
    out: list[NamedAssessment] = []
    for number, line in enumerate((text or "").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            data = parse_json_file(line)
        except UnreadableJSON as error:
            problems.append(_invalid_json(file, error, number))
            continue
        if not isinstance(data, dict):
            problems.append(
                Problem(
                    "a line of a JSON Lines file holds one assessment (a JSON object)",
                    file=str(file),
                    line=number,
                    column=1,
                    code="IR507",
                )
            )
            continue
        out.append(NamedAssessment(f"{file}:{number}", data, private=True))
    return out


def _json_assessments(file: Path, problems: list[Problem]) -> list[NamedAssessment]:
    text = _text(file, problems)
    if text is None:
        return []
    try:
        data = parse_json_file(text)
    except UnreadableJSON as error:
        problems.append(_invalid_json(file, error))
        return []
    if isinstance(data, dict):
        return [NamedAssessment(str(file), data, private=True)]
    if isinstance(data, list) and data and all(isinstance(d, dict) for d in data):
        return [NamedAssessment(f"{file}[{i}]", d, private=True) for i, d in enumerate(data)]
    problems.append(
        Problem(
            "a JSON scenario file holds an assessment (a JSON object) or a non-empty list of them",
            file=str(file),
            code="IR507",
        )
    )
    return []


def _yaml_assessments(file: Path, problems: list[Problem]) -> list[NamedAssessment]:
    doc, found = read_scenario_document(file)
    problems.extend(found)
    if doc is None:
        return []
    return [NamedAssessment(f"{file}: {raw['name']}", raw["assessment"]) for raw in doc.data["scenarios"]]


def read_assessments(paths: Iterable[str | os.PathLike[str]]) -> list[NamedAssessment]:
    """The assessments of scenario files (``*.scenario.yaml``), JSON files (an assessment or a list
    of them), JSON Lines files (one a line) and directories of them (raises ScenarioError listing
    every problem)."""
    paths = list(paths)
    files: list[Path] = []
    problems: list[Problem] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = [
                p
                for p in path.rglob("*")
                if p.is_file() and (p.suffix in (".json", ".jsonl") or _is_scenario_file(p))
            ]
            files += sorted(
                p for p in found if not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem("no scenario file or directory here", file=str(path), code="IR508"))
    out: list[NamedAssessment] = []
    for file in files:
        if _is_scenario_file(file):
            out += _yaml_assessments(file, problems)
        elif file.suffix == ".jsonl":
            out += _json_lines_assessments(file, problems)
        else:
            out += _json_assessments(file, problems)
    if problems:
        raise ScenarioError(problems)
    if not out:
        raise ScenarioError(
            [
                Problem(
                    "no scenario files (*.scenario.yaml, *.json or *.jsonl) found",
                    file=", ".join(map(str, paths)),
                    code="IR508",
                )
            ]
        )
    return out


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
) -> list[NamedAssessment]:
    """``count`` assessments valid for ``vocabulary``, aimed at the thresholds of its rules and of
    the rule sets in ``also``."""
    rng = random.Random(seed)
    operands = _thresholds([vocabulary, *also])
    out: list[NamedAssessment] = []
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
                    named = [str(v) for v in seen if fits(feature.pattern, str(v))]
                    unnamed = [v for v in _OTHER if v not in seen and fits(feature.pattern, v)]
                    pool = sorted(named) + unnamed[:1]
                if not pool:
                    continue
                if feature.type == "string":
                    flat[name] = rng.choice(pool)
                else:
                    flat[name] = rng.sample(pool, rng.randint(0, min(len(pool), 3)))
        assessment: dict[str, Any] = {name: {} for name in vocabulary.required_objects}
        for name, value in flat.items():
            if "." in name:
                parent, field = name.split(".", 1)
                assessment.setdefault(parent, {})[field] = value
            else:
                assessment[name] = value
        out.append(NamedAssessment(f"generated[{index}]", assessment))
    return out


def rule_examples(ruleset: RuleSet, *rulesets: RuleSet) -> list[NamedAssessment]:
    """An assessment for each live rule of ``ruleset`` (and of ``rulesets``) on which that rule
    fires; rules that never fire have none. An assessment found for several rules, or for the same
    rule in two versions, is given once, named after the first rule it was found for, so that an
    impact analysis counts each decision once."""
    out: dict[str, NamedAssessment] = {}
    for one in (ruleset, *rulesets):
        logic = Logic(one)
        for rule in one.rules:
            if rule.status == "retired":
                continue
            found = logic.example([rule])
            if found.assessment is not None:
                key = json.dumps(found.assessment, sort_keys=True)
                out.setdefault(key, NamedAssessment(f"fires {rule.id} ({one.version})", found.assessment))
    return list(out.values())
