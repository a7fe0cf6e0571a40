"""Compact decisions for populations: a projection of the decision's JSON, built without it.

A projection is a list of dotted paths into the decision's JSON (``recommendations.intervention``
keeps the ``intervention`` of every recommendation; a path that names an object or a list keeps
all of it). The result holds the chosen keys in the order the full JSON has them, with exactly
the values it has: :func:`project` cuts them out of ``Decision.to_dict()``; :meth:`Projection.of`
builds the same thing straight from the :class:`Decision`, without writing out the explanations
that were not asked for, which is what makes re-evaluating a population cheap.

``summary`` is the projection most population runs want: the rule-set digest, the ranked
interventions with their strengths and the rule ids and severities of their cautions, what is
not recommended and by which rule, what was considered but not suggested, the alerts' rule ids
and severities, and the fired rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..decision import Decision

__all__ = ["FIELDS", "SUMMARY", "Projection", "project"]

_Tree = Mapping[str, "_Tree | None"]

_NOTE = {"rule": None, "severity": None, "text": None, "status": None}
_EXPLANATION = {
    "rule": None,
    "kind": None,
    "text": None,
    "contribution": None,
    "matched": None,
    "not_recorded": None,
    "facts": None,
    "evidence": None,
    "status": None,
    "source": None,
}
#: Every path a projection may name, in the order of the decision's JSON.
FIELDS: _Tree = {
    "ruleset": {"name": None, "version": None, "digest": None},
    "recommendations": {
        "intervention": None,
        "title": None,
        "category": None,
        "rank": None,
        "strength": None,
        "explanations": _EXPLANATION,
        "collaboration": {"role": None, "prompt": None, "rule": None, "status": None},
        "cautions": _NOTE,
    },
    "not_recommended": {"intervention": None, "title": None, "rule": None, "text": None, "status": None},
    "considered": {
        "intervention": None,
        "title": None,
        "category": None,
        "strength": None,
        "explanations": _EXPLANATION,
        "cautions": _NOTE,
    },
    "alerts": _NOTE,
    "trace": {"fired": None},
}

SUMMARY = (
    "ruleset.digest",
    "recommendations.intervention",
    "recommendations.rank",
    "recommendations.strength",
    "recommendations.cautions.rule",
    "recommendations.cautions.severity",
    "not_recommended.intervention",
    "not_recommended.rule",
    "considered.intervention",
    "alerts.rule",
    "alerts.severity",
    "trace.fired",
)


def _select(paths: Iterable[str]) -> dict[str, Any]:
    """The chosen paths as a tree (None: the whole value); ValueError names an unknown one, or
    says that none was chosen (every record would otherwise hold an empty decision)."""
    paths = tuple(paths)
    if not paths:
        raise ValueError(f"no field chosen: the decision has {', '.join(FIELDS)}")
    chosen: dict[str, Any] = {}
    for path in paths:
        node: dict[str, Any] = chosen
        known: _Tree | None = FIELDS
        parts = path.split(".")
        for depth, part in enumerate(parts):
            if known is None or part not in known:
                where = ".".join(parts[:depth]) or "the decision"
                options = ", ".join(known) if known else "nothing below it"
                raise ValueError(f"unknown field '{path}': {where} has {options}")
            last = depth == len(parts) - 1
            if last or node.get(part, {}) is None:
                node[part] = None
                break
            node = node.setdefault(part, {})
            known = known[part]
    return _ordered(chosen, FIELDS)


def _ordered(tree: Mapping[str, Any], known: _Tree) -> dict[str, Any]:
    return {
        key: None if tree[key] is None else _ordered(tree[key], sub or {})
        for key, sub in known.items()
        if key in tree
    }


def project(data: Any, tree: Mapping[str, Any] | None) -> Any:
    """Cut a projection out of JSON data (a decision's ``to_dict()``): the plain definition."""
    if tree is None:
        return data
    if isinstance(data, list):
        return [project(item, tree) for item in data]
    return {key: project(data[key], sub) for key, sub in tree.items()}


def _json(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json(item) for item in value]
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if to_dict is not None else value


def _build(obj: Any, tree: Mapping[str, Any]) -> Any:
    if isinstance(obj, tuple):
        return [_build(item, tree) for item in obj]
    out: dict[str, Any] = {}
    for key, sub in tree.items():
        value = getattr(obj, key)
        if sub is not None:
            out[key] = _build(value, sub)
        elif key == "strength":
            out[key] = float(value)  # as Recommendation.to_dict writes it
        elif key == "matched":
            out[key] = dict(value)
        else:
            out[key] = _json(value)
    return out


@attrs.frozen
class Projection:
    """Chosen fields of a decision's JSON. Raises ValueError for a path the decision lacks, or none."""

    paths: tuple[str, ...]
    tree: Mapping[str, Any] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "tree", _select(self.paths))

    @classmethod
    def named(cls, fields: str | Sequence[str]) -> Projection:
        """``"summary"``, or fields as a comma-separated string or a sequence of paths."""
        if fields == "summary":
            return cls(SUMMARY)
        paths = fields.split(",") if isinstance(fields, str) else fields
        return cls(tuple(p.strip() for p in paths if p.strip()))

    def of(self, decision: Decision) -> dict[str, Any]:
        """The projection of ``decision.to_dict()``, without building the rest of it."""
        out: dict[str, Any] = {}
        for key, sub in self.tree.items():
            if key == "trace":
                out[key] = project({"fired": list(decision.fired)}, sub)
            elif sub is None:
                out[key] = _json(getattr(decision, key))
            else:
                out[key] = _build(getattr(decision, key), sub)
        return out
