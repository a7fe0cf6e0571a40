"""Checking an assessment against a rule set's vocabulary, and normalising it.

Nothing is guessed: an unknown feature or value, a value of the wrong JSON type (``"15"`` or
``true`` for an integer), a number out of range or a missing required feature is an error, and
every such problem is reported with its field. The normal form has one key per recorded leaf
feature (``family.involved``), numbers of one type per feature, and lists as sorted tuples, so
that the result does not depend on the order of keys or list items in the input.
"""

from __future__ import annotations

import collections
import math
import re
import sys
from collections.abc import Mapping
from typing import Any

from ._schema import suggest
from .errors import AssessmentError, AssessmentProblem
from .model import Feature

__all__ = ["normalise"]


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _check_text(feature: Feature, field: str, value: Any, problems: list[AssessmentProblem]) -> bool:
    if feature.values is not None and value not in feature.values:
        problems.append(
            AssessmentProblem(
                field,
                f"unknown value '{value}'; expected one of: {', '.join(feature.values)}",
                value,
                suggest(value, feature.values),
            )
        )
        return False
    if feature.pattern is not None and not re.fullmatch(feature.pattern, value):
        problems.append(
            AssessmentProblem(field, f"'{value}' does not match the expected form {feature.pattern}", value)
        )
        return False
    return True


def _leaf(feature: Feature, field: str, value: Any, problems: list[AssessmentProblem]) -> Any:
    """The normal form of one recorded value, or ``_INVALID`` after recording problems."""
    kind = feature.type
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(
                AssessmentProblem(
                    field,
                    f"expected {'an integer' if kind == 'integer' else 'a number'}, got {_kind(value)}",
                    value,
                )
            )
            return _INVALID
        if kind == "integer" and not isinstance(value, int):
            problems.append(AssessmentProblem(field, f"expected an integer, got {value!r}", value))
            return _INVALID
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(AssessmentProblem(field, "expected a finite number", value))
            return _INVALID
        if (feature.minimum is not None and value < feature.minimum) or (
            feature.maximum is not None and value > feature.maximum
        ):
            problems.append(
                AssessmentProblem(
                    field,
                    f"{_short(value)} is out of range ({_num(feature.minimum)} to {_num(feature.maximum)})",
                    value,
                )
            )
            return _INVALID
        if abs(value) > (_LARGEST if kind == "number" else _LARGEST_INTEGER):
            problems.append(AssessmentProblem(field, f"{_short(value)} is too large a number", value))
            return _INVALID
        return value if kind == "integer" else float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            problems.append(AssessmentProblem(field, f"expected true or false, got {_kind(value)}", value))
            return _INVALID
        return value
    if kind == "string":
        if not isinstance(value, str):
            problems.append(AssessmentProblem(field, f"expected a string, got {_kind(value)}", value))
            return _INVALID
        return value if _check_text(feature, field, value, problems) else _INVALID
    # list
    if not isinstance(value, list):
        problems.append(AssessmentProblem(field, f"expected a list of strings, got {_kind(value)}", value))
        return _INVALID
    ok = True
    for i, item in enumerate(value):
        if not isinstance(item, str):
            problems.append(AssessmentProblem(f"{field}[{i}]", f"expected a string, got {_kind(item)}", item))
            ok = False
        elif not _check_text(feature, f"{field}[{i}]", item, problems):
            ok = False
    if ok and len(set(value)) != len(value):
        twice = sorted(v for v, n in collections.Counter(value).items() if n > 1)
        problems.append(AssessmentProblem(field, f"listed more than once: {', '.join(twice)}", value))
        ok = False
    if not ok:
        return _INVALID
    if feature.values is not None:
        order = {v: i for i, v in enumerate(feature.values)}
        return tuple(sorted(value, key=order.__getitem__))
    return tuple(sorted(value))


def _num(value: float | None) -> str:
    if value is None:
        return "any"
    return str(int(value)) if float(value).is_integer() else str(value)


_INVALID = object()
_LARGEST = sys.float_info.max
_LARGEST_INTEGER = 2**53  # every integer up to here has an exact double, as the engine compares them


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


def normalise(
    assessment: object,
    features: Mapping[str, Feature],
    objects: Mapping[str, tuple[str, ...]],
    object_required: frozenset[str],
) -> dict[str, Any]:
    """Validate an assessment and return its normal form; raise AssessmentError otherwise."""
    if not isinstance(assessment, Mapping):
        raise AssessmentError(
            [AssessmentProblem("", f"an assessment is a JSON object, got {_kind(assessment)}", assessment)]
        )
    problems: list[AssessmentProblem] = []
    out: dict[str, Any] = {}
    top_level = {name for name in features if "." not in name} | set(objects)
    for key in sorted(assessment, key=str):
        value = assessment[key]
        if not isinstance(key, str) or key not in top_level:
            problems.append(
                AssessmentProblem(str(key), "unknown feature", value, suggest(key, sorted(top_level)))
            )
            continue
        if key in objects:
            if not isinstance(value, Mapping):
                problems.append(AssessmentProblem(key, f"expected an object, got {_kind(value)}", value))
                continue
            for sub in sorted(value, key=str):
                field = f"{key}.{sub}"
                if not isinstance(sub, str) or sub not in objects[key]:
                    problems.append(
                        AssessmentProblem(field, "unknown field", value[sub], suggest(sub, objects[key]))
                    )
                    continue
                if field not in features:
                    continue
                normal = _leaf(features[field], field, value[sub], problems)
                if normal is not _INVALID:
                    out[field] = normal
            continue
        normal = _leaf(features[key], key, value, problems)
        if normal is not _INVALID:
            out[key] = normal
    for name, feature in features.items():
        if not feature.required:
            continue
        if "." in name:
            parent, field = name.split(".", 1)
            parent_value = assessment.get(parent)
            if parent_value is None or (isinstance(parent_value, Mapping) and field not in parent_value):
                problems.append(AssessmentProblem(name, "required but not recorded"))
        elif name not in assessment:
            problems.append(AssessmentProblem(name, "required but not recorded"))
    for name in sorted(object_required):
        if name not in assessment:
            problems.append(AssessmentProblem(name, "required but not recorded"))
    if problems:
        problems.sort(key=lambda p: p.field)
        raise AssessmentError(problems)
    return out
