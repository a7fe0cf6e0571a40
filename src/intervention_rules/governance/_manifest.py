"""The rule-set manifest: which version of a rule set was approved, by whom, when, and its digest.

A manifest is a small JSON file kept beside the rule files: ``manifest.json`` inside a rule-set
directory, or ``<name>.manifest.json`` beside a single-file rule set. The loader reads only
``.yaml`` and ``.yml`` files, so the manifest is never part of the rule set nor of its digest.
A manifest whose digest differs from the rule set's is *stale*: its approval covers another
version, and every command that reads it says so as an error.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import jsonschema

from .._jsonio import UnreadableJSON, parse_json_file
from ..errors import Problem, RuleSetError
from ..loading import bundled_rules_path, load_ruleset
from ..ruleset import RuleSet

__all__ = [
    "MANIFEST_NAME",
    "Approval",
    "Manifest",
    "ManifestError",
    "load_approved",
    "manifest_path",
    "manifest_problems",
    "read_manifest",
    "write_manifest",
]

MANIFEST_NAME = "manifest.json"
SCHEMA_URL = "https://intervention-rules.invalid/schemas/manifest.schema.json"


class ManifestError(RuleSetError):
    """A manifest cannot be read, is invalid, or does not describe the rule set beside it."""


@attrs.frozen
class Approval:
    """Who approved a rule-set version, on which date, and (optionally) what they reviewed."""

    by: str
    on: str  # ISO date, YYYY-MM-DD
    reviewed: str | None = None

    def to_dict(self) -> dict[str, str]:
        out = {"by": self.by, "on": self.on}
        if self.reviewed is not None:
            out["reviewed"] = self.reviewed
        return out


@attrs.frozen
class Manifest:
    """The approval record of one rule-set version."""

    name: str
    version: str
    digest: str
    approval: Approval

    def to_dict(self) -> dict[str, Any]:
        return {
            "$schema": SCHEMA_URL,
            "name": self.name,
            "version": self.version,
            "digest": self.digest,
            "approval": self.approval.to_dict(),
        }

    @classmethod
    def for_ruleset(
        cls, ruleset: RuleSet, by: str, on: datetime.date, reviewed: str | None = None
    ) -> Manifest:
        """The manifest approving exactly this rule set's content."""
        return cls(ruleset.name, ruleset.version, ruleset.digest, Approval(by, on.isoformat(), reviewed))


def manifest_path(rules: str | os.PathLike[str] | None = None) -> Path:
    """Where the manifest of a rule set lives (the bundled set when ``rules`` is None)."""
    root = bundled_rules_path() if rules is None else Path(rules)
    if root.is_file() or root.suffix in (".yaml", ".yml"):
        return root.with_name(f"{root.stem}.manifest.json")
    return root / MANIFEST_NAME


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    text = resources.files("intervention_rules").joinpath("schemas/manifest.schema.json").read_text("utf-8")
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _path_text(parts: Any) -> str:
    return ".".join(str(p) for p in parts)


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read and check a manifest file.

    Raises [`ManifestError`][intervention_rules.governance.ManifestError] listing every problem.
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ManifestError(
            [Problem(f"cannot read the manifest: {error.strerror}", file=file, code="IR401")]
        ) from error
    except UnicodeDecodeError as error:
        raise ManifestError(
            [Problem("the manifest is not UTF-8 text", file=file, line=1, column=1, code="IR401")]
        ) from error
    try:
        data = parse_json_file(text)
    except UnreadableJSON as error:
        line, column = error.where or (1, 1)
        message = f"the manifest is {error}" if error.where else f"the manifest: {error}"
        raise ManifestError([Problem(message, file=file, line=line, column=column, code="IR401")]) from error
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ManifestError(
            Problem(
                f"invalid manifest: {_message(e)}",
                file=file,
                path=_path_text(e.absolute_path),
                code="IR401",
                parts=tuple(e.absolute_path),
            )
            for e in errors
        )
    approval = data["approval"]
    return Manifest(
        data["name"],
        data["version"],
        data["digest"],
        Approval(approval["by"], approval["on"], approval.get("reviewed")),
    )


def write_manifest(path: str | os.PathLike[str], manifest: Manifest) -> None:
    """Write a manifest as indented JSON."""
    Path(path).write_text(
        json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def manifest_problems(ruleset: RuleSet, manifest: Manifest, file: str = "") -> list[Problem]:
    """How a manifest fails to describe a rule set: a stale digest, another name or version."""
    problems = []
    if manifest.digest != ruleset.digest:
        problems.append(
            Problem(
                f"stale manifest: it approves content {manifest.digest}, but the rule set is now "
                f"{ruleset.digest}; the approval by {manifest.approval.by} on {manifest.approval.on} "
                "does not cover this version",
                file=file,
                code="IR402",
            )
        )
    if manifest.name != ruleset.name:
        problems.append(
            Problem(
                f"the manifest names rule set '{manifest.name}', the rule files '{ruleset.name}'",
                file=file,
                code="IR403",
            )
        )
    if manifest.version != ruleset.version:
        problems.append(
            Problem(
                f"the manifest is for version {manifest.version}, the rule files declare {ruleset.version}",
                file=file,
                code="IR403",
            )
        )
    return problems


def load_approved(
    rules: str | os.PathLike[str] | None = None, manifest: str | os.PathLike[str] | None = None
) -> tuple[RuleSet, Manifest]:
    """Load a rule set pinned to its manifest's digest; refuse it if it is not the approved one.

    Raises [`ManifestError`][intervention_rules.governance.ManifestError] when the manifest is missing,
    invalid or names another version, and [`RuleSetError`][intervention_rules.RuleSetError] when the
    rule files differ from the approved content.
    """
    where = Path(manifest) if manifest is not None else manifest_path(rules)
    if not where.exists():
        raise ManifestError(
            [Problem("no manifest: this rule set has not been approved", file=str(where), code="IR401")]
        )
    record = read_manifest(where)
    ruleset = load_ruleset(rules, expected_digest=record.digest)
    problems = manifest_problems(ruleset, record, str(where))
    if problems:
        raise ManifestError(problems)
    return ruleset, record


_FORMS = {"digest": "sha256: followed by 64 hexadecimal digits", "on": "a date YYYY-MM-DD"}


def _message(error: jsonschema.ValidationError) -> str:
    """The schema's message, with a readable form instead of a regular expression."""
    field = str(error.absolute_path[-1]) if error.absolute_path else ""
    if error.validator == "pattern" and field in _FORMS:
        return f"{error.instance!r} is not {_FORMS[field]}"
    return error.message
