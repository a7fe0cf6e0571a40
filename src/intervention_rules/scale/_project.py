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

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from .._jsonio import own_copy
from ..decision import Decision
from ..ruleset import RuleSet

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


def _dicts(values: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [value.to_dict() for value in values]


def _optional_dict(value: Any) -> Any:
    return None if value is None else value.to_dict()


#: How a leaf of the decision's JSON is written from its field, as ``to_dict`` writes it (by the
#: name of the function, in ``_NAMESPACE``): a field not named here is a plain str, int, float
#: or None, written as it is.
_LEAVES = {
    "strength": "float",
    "matched": "own_copy",
    "not_recorded": "list",
    "facts": "list",
    "evidence": "_dicts",
    "source": "_optional_dict",
    "fired": "list",
}
#: The fields that hold a sequence of objects (each projected in turn), not one object.
_SEQUENCES = frozenset(
    (
        "recommendations",
        "not_recommended",
        "considered",
        "alerts",
        "explanations",
        "collaboration",
        "cautions",
    )
)
_NAMESPACE: dict[str, Any] = {"_dicts": _dicts, "_optional_dict": _optional_dict, "own_copy": own_copy}


def _expression(tree: Mapping[str, Any], obj: str, depth: int = 0) -> str:
    """A Python expression that builds the projection's dictionary from the object named ``obj``."""
    items = []
    for key, sub in tree.items():
        field = f"{obj}.{key}"
        if key == "trace":  # the decision's ``fired``, as to_dict writes it
            value = f'{{"fired": list({obj}.fired)}}'
        elif sub is None and key in _SEQUENCES:
            value = f"_dicts({field})"
        elif sub is None and key == "ruleset":
            value = f"{field}.to_dict()"
        elif sub is None:
            value = f"{_LEAVES[key]}({field})" if key in _LEAVES else field
        elif key in _SEQUENCES:
            item = f"_{depth}"
            value = f"[{_expression(sub, item, depth + 1)} for {item} in {field}]"
        else:
            value = _expression(sub, field, depth + 1)
        items.append(f"{key!r}: {value}")
    return "{" + ", ".join(items) + "}"


def _compiled(tree: Mapping[str, Any]) -> Callable[[Any], dict[str, Any]]:
    """A function that builds a projection's dictionary from a decision (or its outline) in one
    expression, as attrs builds its methods: the work per decision is a few comprehensions, not
    a walk of the tree. Every name in it is a known field (``_select`` refused any other)."""
    namespace = dict(_NAMESPACE)
    source = f"def build(decision):\n    return {_expression(tree, 'decision')}\n"
    exec(compile(source, "<projection>", "exec"), namespace)
    build: Callable[[Any], dict[str, Any]] = namespace["build"]
    return build


#: The fields that hold words: what a decision's outline leaves out.
_WORDS = frozenset({"text", "explanations", "collaboration"})


def _without_words(tree: _Tree) -> dict[str, Any]:
    return {
        key: None if sub is None else _without_words(sub) for key, sub in tree.items() if key not in _WORDS
    }


#: What a decision's outline holds (``decision.Outline``): every field but the words; None marks
#: a field held whole (the rule set's identity and the trace hold no words).
_OUTLINED: _Tree = {**_without_words(FIELDS), "ruleset": None, "trace": None}


def _within(tree: Mapping[str, Any], held: _Tree) -> bool:
    """Whether an outline holds every field the tree chooses."""
    for key, sub in tree.items():
        if key not in held:
            return False
        have = held[key]
        if have is not None and (sub is None or not _within(sub, have)):
            return False
    return True


def _paths(paths: Iterable[str]) -> tuple[str, ...]:
    """The paths as a tuple (a list or any iterable of them may be given); a bare string is a
    mistake for a list of one path, or for ``Projection.named``, and says so."""
    if isinstance(paths, str):
        raise ValueError(
            f"a projection takes a sequence of paths, not the string '{paths}': "
            "use Projection.named() for 'summary' or comma-separated paths"
        )
    return tuple(paths)


@attrs.frozen
class Projection:
    """Chosen fields of a decision's JSON. Raises ValueError for a path the decision lacks, or none."""

    paths: tuple[str, ...] = attrs.field(converter=_paths)
    tree: Mapping[str, Any] = attrs.field(init=False, repr=False, eq=False)
    _build: Callable[[Any], dict[str, Any]] = attrs.field(init=False, repr=False, eq=False)
    _wordless: bool = attrs.field(init=False, repr=False, eq=False)  # within a decision's outline

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "tree", _select(self.paths))
        object.__setattr__(self, "_build", _compiled(self.tree))
        object.__setattr__(self, "_wordless", _within(self.tree, _OUTLINED))

    @classmethod
    def named(cls, fields: str | Sequence[str]) -> Projection:
        """``"summary"``, or fields as a comma-separated string or a sequence of paths."""
        if fields == "summary":
            return cls(SUMMARY)
        paths = fields.split(",") if isinstance(fields, str) else fields
        return cls(tuple(p.strip() for p in paths if p.strip()))

    def of(self, decision: Decision) -> dict[str, Any]:
        """The projection of ``decision.to_dict()``, without building the rest of it."""
        return self._build(decision)

    def evaluate(self, ruleset: RuleSet, assessment: Mapping[str, Any]) -> dict[str, Any]:
        """The projection of the decision ``ruleset.evaluate(assessment)`` gives (raising
        AssessmentError as it does). A projection that names no text, explanation or prompt,
        such as ``summary``, is built from what the evaluation settles, without making the
        decision's notes and explanations at all."""
        if self._wordless:
            return self._build(ruleset.outline(assessment))
        return self._build(ruleset.evaluate(assessment))

    def __reduce__(self) -> tuple[type[Projection], tuple[tuple[str, ...]]]:
        # the built function is made again from the paths (functions made at run time do not pickle)
        return Projection, (self.paths,)
