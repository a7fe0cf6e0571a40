"""Scenario files: named assessments with expectations on their decisions.

A scenario file is YAML with a top-level ``scenarios:`` list, and optionally ``invariants:`` (what
the rule set promises about every decision, in the rule language's condition syntax) and
``accepted_mutants:`` (mutation survivors that were reviewed and justified). Its structure is checked
against ``schemas/scenario.schema.json``; its names (interventions, roles, rule ids, features) are
checked against the rule set it will run on. Every problem is collected and points at file:line.
The format is documented in ``docs/testing.md``.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import attrs
import jsonschema
import referencing

from .._rulecheck import check_condition
from .._schema import rule_file_schema, schema_problems
from .._suggest import suggest
from .._yaml import Located, load_located
from ..conditions import describe
from ..errors import InterventionRulesError, Problem
from ..model import Condition, Location
from ..ruleset import RuleSet

__all__ = [
    "SCENARIO_PATTERNS",
    "AcceptedMutant",
    "Expectation",
    "Invariant",
    "Scenario",
    "ScenarioError",
    "ScenarioFile",
    "find_scenario_files",
    "load_scenarios",
    "scenario_schema",
]

#: File names that are scenario files when a directory is searched (``fnmatch`` patterns).
SCENARIO_PATTERNS: tuple[str, ...] = ("*.scenario.yaml", "*.scenario.yml")

InvariantKind = Literal["only_when", "always_when", "never_when"]
_INVARIANT_KINDS: tuple[InvariantKind, ...] = ("only_when", "always_when", "never_when")
_NAME_LISTS = ("recommended", "not_recommended", "absent", "considered", "order", "exact_order")


class ScenarioError(InterventionRulesError):
    """A scenario file is invalid (or does not fit the rule set): every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(
            sorted(problems, key=lambda p: (p.file, p.line, p.column, p.message))
        )
        count = len(self.problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the scenario files:\n{lines}")


@attrs.frozen
class Expectation:
    """One expectation, as written: ``kind`` is its key under ``expect`` (``recommended``,
    ``ranks``, ``cautions``...). List-of-matcher kinds give one expectation per item, ``ranks`` one
    per intervention (``subject``)."""

    kind: str
    value: Any
    location: Location
    subject: str | None = None


@attrs.frozen
class Scenario:
    name: str
    description: str | None
    assessment: Mapping[str, Any]
    expectations: tuple[Expectation, ...]
    location: Location
    assessment_location: Location


@attrs.frozen
class Invariant:
    """``intervention`` is recommended only when / always when / never when ``condition`` holds."""

    name: str
    intervention: str
    kind: InvariantKind
    condition: Condition
    location: Location

    def describe(self) -> str:
        wording = {"only_when": "only when", "always_when": "always when", "never_when": "never when"}
        return f"{self.intervention} recommended {wording[self.kind]} {describe(self.condition)}"


@attrs.frozen
class AcceptedMutant:
    mutant: str
    reason: str
    location: Location


@attrs.frozen
class ScenarioFile:
    path: str
    description: str | None
    scenarios: tuple[Scenario, ...]
    invariants: tuple[Invariant, ...]
    accepted_mutants: tuple[AcceptedMutant, ...]


@functools.cache
def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files."""
    text = resources.files("intervention_rules").joinpath("schemas/scenario.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    schema = scenario_schema()
    rules = rule_file_schema()
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(
        rules["$id"], referencing.Resource.from_contents(rules)
    )
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, registry=registry)


def find_scenario_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files named directly, and the scenario files (``*.scenario.yaml``) under directories
    (hidden directories such as ``.venv`` or ``.git`` are not searched).

    Raises FileNotFoundError for a path that does not exist.
    """
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for pattern in SCENARIO_PATTERNS
                    for p in path.rglob(pattern)
                    if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(str(path))
    unique: dict[Path, None] = dict.fromkeys(found)
    return list(unique)


class _Checker:
    """Names in one scenario file against the rule set."""

    def __init__(self, doc: Located, ruleset: RuleSet) -> None:
        self.doc = doc
        self.ruleset = ruleset
        self.problems: list[Problem] = []
        self.rule_ids = {r.id for r in ruleset.rules}

    def add(
        self, path: tuple[str | int, ...], code: str, message: str, *, suggestion: str | None = None
    ) -> None:
        self.problems.append(self.doc.problem(path, code, message, suggestion=suggestion))

    def location(self, path: tuple[str | int, ...]) -> Location:
        return self.doc.location(path)

    def known(self, path: tuple[str | int, ...], name: str, what: str, names: Iterable[str]) -> None:
        names = list(names)
        if name not in names:
            self.add(path, "IR501", f"unknown {what} '{name}'", suggestion=suggest(name, names))

    def intervention(self, path: tuple[str | int, ...], name: str) -> None:
        self.known(path, name, "intervention", self.ruleset.interventions)

    def rule(self, path: tuple[str | int, ...], rule_id: str) -> None:
        self.known(path, rule_id, "rule", self.rule_ids)

    def expect(self, path: tuple[str | int, ...], raw: dict[str, Any]) -> list[Expectation]:
        out: list[Expectation] = []
        if "invalid" in raw and len(raw) > 1:
            self.add(path, "IR502", "'invalid' expects the assessment to be rejected; it stands alone")
        for kind, value in raw.items():
            kpath = (*path, kind)
            if kind in _NAME_LISTS:
                for i, name in enumerate(value):
                    self.intervention((*kpath, i), name)
                out.append(Expectation(kind, tuple(value), self.location(kpath)))
            elif kind == "ranks":
                for name, spec in value.items():
                    self.intervention((*kpath, name), name)
                    for side in ("above", "below"):
                        others = spec.get(side, [])
                        for i, other in enumerate([others] if isinstance(others, str) else others):
                            self.intervention((*kpath, name, side, i), other)
                    out.append(Expectation(kind, dict(spec), self.location((*kpath, name)), subject=name))
            elif kind in ("cautions", "alerts", "collaboration"):
                for i, matcher in enumerate(value):
                    if "intervention" in matcher:
                        self.intervention((*kpath, i, "intervention"), matcher["intervention"])
                    if "rule" in matcher:
                        self.rule((*kpath, i, "rule"), matcher["rule"])
                    if "role" in matcher:
                        self.known((*kpath, i, "role"), matcher["role"], "role", self.ruleset.roles)
                    out.append(Expectation(kind, dict(matcher), self.location((*kpath, i))))
            elif kind in ("fired", "not_fired"):
                for i, rule_id in enumerate(value):
                    self.rule((*kpath, i), rule_id)
                out.append(Expectation(kind, tuple(value), self.location(kpath)))
            else:  # invalid
                out.append(Expectation(kind, tuple(value), self.location(kpath)))
        self._contradictions(path, raw)
        return out

    def _contradictions(self, path: tuple[str | int, ...], raw: dict[str, Any]) -> None:
        pairs = [
            ("recommended", "not_recommended"),
            ("recommended", "absent"),
            ("not_recommended", "absent"),
            ("recommended", "considered"),
            ("not_recommended", "considered"),
            ("fired", "not_fired"),
        ]
        for first, second in pairs:
            both = [n for n in raw.get(first, []) if n in raw.get(second, [])]
            for name in both:
                self.add((*path, second), "IR503", f"'{name}' is expected both {first} and {second}")

    def invariant(self, path: tuple[str | int, ...], raw: dict[str, Any]) -> Invariant | None:
        self.intervention((*path, "intervention"), raw["intervention"])
        kinds = [k for k in _INVARIANT_KINDS if k in raw]
        if len(kinds) != 1:
            found = ", ".join(kinds) or "none"
            self.add(
                path,
                "IR504",
                f"an invariant needs exactly one of only_when, always_when, never_when; found {found}",
            )
            return None
        kind = kinds[0]
        rs = self.ruleset
        condition, problems = check_condition(
            self.doc, (*path, kind), raw[kind], dict(rs.features), dict(rs.objects), dict(rs.facts)
        )
        self.problems += problems
        if condition is None:
            return None
        return Invariant(raw["name"], raw["intervention"], kind, condition, self.location(path))


def _parse(doc: Located, ruleset: RuleSet) -> tuple[ScenarioFile | None, list[Problem]]:
    check = _Checker(doc, ruleset)
    data = doc.data
    scenarios: list[Scenario] = []
    names: dict[str, Location] = {}
    for index, raw in enumerate(data["scenarios"]):
        path: tuple[str | int, ...] = ("scenarios", index)
        location = check.location(path)
        if raw["name"] in names:
            check.add(
                (*path, "name"),
                "IR505",
                f"the scenario name '{raw['name']}' is already used at line {names[raw['name']].line}",
            )
        names.setdefault(raw["name"], location)
        scenarios.append(
            Scenario(
                name=raw["name"],
                description=raw.get("description"),
                assessment=raw["assessment"],
                expectations=tuple(check.expect((*path, "expect"), raw["expect"])),
                location=location,
                assessment_location=check.location((*path, "assessment")),
            )
        )
    invariants = [check.invariant(("invariants", i), raw) for i, raw in enumerate(data.get("invariants", []))]
    accepted = []
    for i, raw in enumerate(data.get("accepted_mutants", [])):
        kind, _, rest = raw["mutant"].partition(":")
        if kind not in ("remove", "negate", "shift", "drop") or not rest:
            check.add(
                ("accepted_mutants", i, "mutant"),
                "IR506",
                f"'{raw['mutant']}' is not a mutant id (remove:RULE, negate:RULE:WHERE, "
                "shift:RULE:WHERE:STEP "
                "or drop:RULE:then[N], as the mutation report prints them)",
            )
        else:
            check.rule(("accepted_mutants", i, "mutant"), rest.split(":")[0])
        accepted.append(AcceptedMutant(raw["mutant"], raw["reason"], check.location(("accepted_mutants", i))))
    if check.problems:
        return None, check.problems
    return (
        ScenarioFile(
            path=doc.file,
            description=data.get("description"),
            scenarios=tuple(scenarios),
            invariants=tuple(i for i in invariants if i is not None),
            accepted_mutants=tuple(accepted),
        ),
        [],
    )


def read_scenario_document(path: Path) -> tuple[Located | None, list[Problem]]:
    """A scenario file read and checked against the scenario schema (not yet against a rule
    set): its located document, or None and every problem found."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        return None, [Problem(f"cannot read the file: {error.strerror}", file=name, code="IR103")]
    except UnicodeDecodeError as error:
        return None, [
            Problem(f"the file is not UTF-8 text: {error.reason}", file=name, line=1, column=1, code="IR104")
        ]
    doc, problems = load_located(name, text, name)
    if doc is None or problems:
        return None, problems
    structural = schema_problems(doc, _validator())
    return (None, structural) if structural else (doc, [])


def load_scenarios(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], ruleset: RuleSet
) -> list[ScenarioFile]:
    """Read and check scenario files (directories are searched for ``*.scenario.yaml``).

    Raises [`ScenarioError`][intervention_rules.testing.ScenarioError] listing every problem in every
    file; `FileNotFoundError` for a path that does not exist.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    files: list[ScenarioFile] = []
    problems: list[Problem] = []
    for path in find_scenario_files(paths):
        doc, found = read_scenario_document(path)
        problems.extend(found)
        if doc is None:
            continue
        parsed, found = _parse(doc, ruleset)
        problems.extend(found)
        if parsed is not None:
            files.append(parsed)
    if problems:
        raise ScenarioError(problems)
    return files
