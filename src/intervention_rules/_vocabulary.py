"""The vocabulary and catalogue of a rule set: features, derived facts, roles and interventions.

The first step of validating a rule set as a whole (``_validate``): each name is declared once,
each feature's type agrees with its bounds, values and pattern, and the catalogue's collaboration
prompts name declared roles. Problems are collected in a :class:`Context`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from ._pattern import pattern_problem
from ._suggest import suggest
from ._yaml import Located, Path
from .errors import Problem
from .model import CollaborationPrompt, Evidence, Feature, Intervention, Location, Role

__all__ = ["RESERVED", "Context", "Vocabulary", "evidence", "read_vocabulary", "sections"]

#: Names the condition language keeps for itself.
RESERVED = frozenset({"all", "any", "not", "fact"})


class Context:
    """The problems found so far while validating one rule set (or one scenario file)."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self, doc: Located, path: Path, code: str, message: str, *, suggestion: str | None = None
    ) -> None:
        self.problems.append(doc.problem(path, code, message, suggestion=suggestion))

    def location(self, doc: Located, path: Path) -> Location:
        return doc.location(path)


@attrs.frozen
class Vocabulary:
    """What rules may name: features (leaves by dotted name), objects, facts, roles, interventions."""

    features: dict[str, Feature]
    objects: dict[str, tuple[str, ...]]  # object feature -> its field names
    object_required: frozenset[str]
    facts: dict[str, str]
    roles: dict[str, Role]
    interventions: dict[str, Intervention]


def sections(docs: Iterable[Located], name: str) -> Iterable[tuple[Located, Any]]:
    """Each document's top-level section ``name``, for the documents that have one."""
    for doc in docs:
        if isinstance(doc.data, dict) and name in doc.data:
            yield doc, doc.data[name]


def evidence(items: list[dict[str, Any]]) -> tuple[Evidence, ...]:
    return tuple(Evidence(e["source"], e["grade"], e["confidence"], e.get("note")) for e in items)


def _scalar_problems(ctx: Context, doc: Located, path: Path, spec: dict[str, Any]) -> bool:
    """Record what is wrong with one scalar feature's declaration; True when nothing is."""
    kind = spec["type"]
    start = len(ctx.problems)
    if kind not in ("integer", "number") and ("minimum" in spec or "maximum" in spec):
        ctx.add(doc, path, "IR201", f"'minimum' and 'maximum' apply only to numbers, not to {kind}")
    if kind not in ("string", "list") and ("values" in spec or "pattern" in spec):
        ctx.add(doc, path, "IR202", f"'values' and 'pattern' apply only to string and list, not to {kind}")
    if "values" in spec and "pattern" in spec:
        ctx.add(doc, path, "IR203", "give either 'values' or 'pattern', not both")
    if kind == "integer":
        for key in ("minimum", "maximum"):
            if key in spec and not float(spec[key]).is_integer():
                ctx.add(doc, (*path, key), "IR204", f"an integer feature needs a whole {key}")
    if "minimum" in spec and "maximum" in spec and spec["minimum"] > spec["maximum"]:
        ctx.add(doc, (*path, "minimum"), "IR205", "minimum is greater than maximum")
    if spec.get("pattern") is not None:
        problem = pattern_problem(spec["pattern"])
        if problem is not None:
            ctx.add(doc, (*path, "pattern"), "IR206", problem)
    return len(ctx.problems) == start


def _scalar(ctx: Context, doc: Located, path: Path, name: str, spec: dict[str, Any]) -> Feature | None:
    if not _scalar_problems(ctx, doc, path, spec):
        return None
    values = spec.get("values")
    return Feature(
        name=name,
        type=spec["type"],
        description=spec["description"],
        required=bool(spec.get("required", False)),
        minimum=spec.get("minimum"),
        maximum=spec.get("maximum"),
        values=tuple(values) if values is not None else None,
        pattern=spec.get("pattern"),
    )


def _features(
    ctx: Context, docs: list[Located]
) -> tuple[dict[str, Feature], dict[str, tuple[str, ...]], frozenset[str]]:
    features: dict[str, Feature] = {}
    objects: dict[str, tuple[str, ...]] = {}
    object_required: set[str] = set()
    seen: dict[str, Located] = {}
    for doc, section in sections(docs, "features"):
        for name, spec in section.items():
            path: Path = ("features", name)
            if name in RESERVED:
                ctx.add(doc, path, "IR207", f"'{name}' is reserved by the condition language")
                continue
            if name in seen:
                ctx.add(doc, path, "IR208", f"feature '{name}' is already declared in {seen[name].file}")
                continue
            seen[name] = doc
            if spec["type"] != "object":
                feature = _scalar(ctx, doc, path, name, spec)
                if feature is not None:
                    features[name] = feature
                continue
            for field, fspec in spec["fields"].items():
                feature = _scalar(ctx, doc, (*path, "fields", field), f"{name}.{field}", fspec)
                if feature is not None:
                    features[feature.name] = feature
            objects[name] = tuple(spec["fields"])
            if spec.get("required"):
                object_required.add(name)
    return features, objects, frozenset(object_required)


def _named(ctx: Context, docs: list[Located], section: str, what: str) -> dict[str, tuple[Located, Any]]:
    out: dict[str, tuple[Located, Any]] = {}
    for doc, items in sections(docs, section):
        for name, spec in items.items():
            if name in out:
                ctx.add(
                    doc,
                    (section, name),
                    "IR208",
                    f"{what} '{name}' is already declared in {out[name][0].file}",
                )
                continue
            out[name] = (doc, spec)
    return out


def _interventions(ctx: Context, docs: list[Located], roles: dict[str, Role]) -> dict[str, Intervention]:
    interventions: dict[str, Intervention] = {}
    for order, (name, (doc, spec)) in enumerate(_named(ctx, docs, "interventions", "intervention").items()):
        prompts = []
        for i, item in enumerate(spec.get("collaboration", [])):
            if item["role"] not in roles:
                ctx.add(
                    doc,
                    ("interventions", name, "collaboration", i, "role"),
                    "IR224",
                    f"unknown role '{item['role']}'",
                    suggestion=suggest(item["role"], roles),
                )
            prompts.append(CollaborationPrompt(item["role"], item["prompt"]))
        interventions[name] = Intervention(
            id=name,
            title=spec["title"],
            category=spec["category"],
            description=spec["description"],
            collaboration=tuple(prompts),
            evidence=evidence(spec.get("evidence", [])),
            order=order,
            location=doc.location(("interventions", name)),
        )
    return interventions


def read_vocabulary(ctx: Context, docs: list[Located]) -> Vocabulary:
    """The vocabulary and catalogue the documents declare, recording every problem in ``ctx``."""
    features, objects, object_required = _features(ctx, docs)
    facts = {name: spec["description"] for name, (_, spec) in _named(ctx, docs, "facts", "fact").items()}
    roles = {
        name: Role(name, spec["title"], spec.get("description"))
        for name, (_, spec) in _named(ctx, docs, "roles", "role").items()
    }
    interventions = _interventions(ctx, docs, roles)
    return Vocabulary(features, objects, object_required, facts, roles, interventions)
