"""Checking an assessment against a rule set's vocabulary, and normalising it.

Nothing is guessed: an unknown feature or value, a value of the wrong JSON type (``"15"`` or
``true`` for an integer), a number out of range or a missing required feature is an error, and
every such problem is reported with its field. The normal form has one key per recorded leaf
feature (``family.involved``), numbers of one type per feature, and lists as sorted tuples, so
that the result does not depend on the order of keys or list items in the input.

An assessment's values are patient data: a problem names the field and the kind of problem,
never the value, unless the caller asks for values (:meth:`AssessmentError.values`). A key the
vocabulary does not know is named only when it looks like a field name (a short identifier);
any other key might be text a person wrote, and is reported as ``<key>``.
"""

from __future__ import annotations

import collections
import functools
import math
import re
import reprlib
import sys
from collections.abc import Mapping
from typing import Any

from ._pattern import fullmatch
from ._schema import suggest
from ._yaml import format_path
from .errors import AssessmentError, AssessmentProblem
from .model import Feature

__all__ = ["Names", "is_name", "normalise"]


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


Parts = tuple[str | int, ...]


class _Report:
    """The problems found so far. Each is recorded without its value unless values were asked for
    (``show``); ``shown`` is then the message that quotes the value."""

    def __init__(self, show: bool) -> None:
        self.show = show
        self.items: list[AssessmentProblem] = []

    def add(
        self,
        where: str | Parts,
        code: str,
        message: str,
        value: object = None,
        *,
        shown: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        """Record a problem at ``where``: a feature's name (``family.involved``) or the parts of
        its place (``("reasons", 0)``)."""
        if isinstance(where, str):
            parts: Parts = tuple(where.split(".")) if where else ()
        else:
            parts = where
        field = format_path(parts)
        if self.show:
            problem = AssessmentProblem(field, shown or message, value, suggestion, code=code, parts=parts)
        else:
            problem = AssessmentProblem(field, message, None, suggestion, code=code, parts=parts)
        self.items.append(problem)


#: Text that cannot be written as UTF-8: a UTF-16 surrogate on its own (JSON's ``"\\ud800"``).
_SURROGATE = re.compile("[\ud800-\udfff]")
#: What a key must look like to be named in a problem: anything else may be free text.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")


def is_name(key: object) -> bool:
    """Whether ``key`` looks like a field name, so that a problem may name it (else it may be free
    text a person wrote, and is not quoted)."""
    return isinstance(key, str) and _NAME.fullmatch(key) is not None


def _key(key: object, show: bool) -> str:
    """How an unknown key is named in a problem: itself if it looks like a field name."""
    if is_name(key):
        return str(key)
    return _short(key) if show else "<key>"


def _suggest(name: object, candidates: Any) -> str | None:
    """A vocabulary name close to ``name``; none for long text, which no name is close to."""
    if not isinstance(name, str) or len(name) > 100:
        return None
    return suggest(name, candidates)


def _check_text(feature: Feature, field: Parts, value: str, report: _Report) -> bool:
    if not value.isascii() and _SURROGATE.search(value):
        report.add(
            field,
            "IR312",
            "text that is not valid Unicode (a lone surrogate, such as \\ud800)",
            value,
        )
        return False
    if feature.values is not None and value not in feature.values:
        expected = ", ".join(feature.values)
        report.add(
            field,
            "IR307",
            f"unknown value; expected one of: {expected}",
            value,
            shown=f"unknown value {_short(value)}; expected one of: {expected}",
            suggestion=_suggest(value, feature.values),
        )
        return False
    if feature.pattern is not None and not fullmatch(feature.pattern, value):
        report.add(
            field,
            "IR308",
            f"does not match the expected form {feature.pattern}",
            value,
            shown=f"{_short(value)} does not match the expected form {feature.pattern}",
        )
        return False
    return True


def _leaf(feature: Feature, field: Parts, value: Any, report: _Report) -> Any:
    """The normal form of one recorded value, or ``_INVALID`` after recording problems."""
    kind = feature.type
    if kind in ("integer", "number"):
        return _number(feature, field, value, report)
    if kind == "boolean":
        if not isinstance(value, bool):
            report.add(field, "IR304", f"expected true or false, got {_kind(value)}", value)
            return _INVALID
        return value
    if kind == "string":
        if not isinstance(value, str):
            report.add(field, "IR304", f"expected a string, got {_kind(value)}", value)
            return _INVALID
        return value if _check_text(feature, field, value, report) else _INVALID
    return _string_list(feature, field, value, report)


def _number(feature: Feature, field: Parts, value: Any, report: _Report) -> Any:
    """An integer or number feature's value, in range and of one JSON type."""
    kind = feature.type
    expected = "an integer" if kind == "integer" else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        report.add(field, "IR304", f"expected {expected}, got {_kind(value)}", value)
        return _INVALID
    if kind == "integer" and not isinstance(value, int):
        report.add(
            field,
            "IR304",
            "expected an integer, got a number with a fraction or decimal point",
            value,
            shown=f"expected an integer, got {_short(value)}",
        )
        return _INVALID
    if isinstance(value, float) and not math.isfinite(value):
        report.add(field, "IR306", "expected a finite number", value)
        return _INVALID
    if (feature.minimum is not None and value < feature.minimum) or (
        feature.maximum is not None and value > feature.maximum
    ):
        bounds = f"({_num(feature.minimum)} to {_num(feature.maximum)})"
        shown = f"{_short(value)} is out of range {bounds}"
        report.add(field, "IR305", f"out of range {bounds}", value, shown=shown)
        return _INVALID
    if abs(value) > (_LARGEST if kind == "number" else _LARGEST_INTEGER):
        shown = f"{_short(value)} is too large a number"
        report.add(field, "IR305", "too large a number", value, shown=shown)
        return _INVALID
    return value if kind == "integer" else float(value)


def _string_list(feature: Feature, field: Parts, value: Any, report: _Report) -> Any:
    """A list feature's value: strings, each allowed, none twice, in the vocabulary's order."""
    if not isinstance(value, list):
        report.add(field, "IR304", f"expected a list of strings, got {_kind(value)}", value)
        return _INVALID
    ok = True
    for i, item in enumerate(value):
        if not isinstance(item, str):
            report.add((*field, i), "IR304", f"expected a string, got {_kind(item)}", item)
            ok = False
        elif not _check_text(feature, (*field, i), item, report):
            ok = False
    if ok and len(set(value)) != len(value):
        twice = sorted(v for v, n in collections.Counter(value).items() if n > 1)
        report.add(
            field,
            "IR309",
            "an item is listed more than once",
            value,
            shown=f"listed more than once: {', '.join(_short(v) for v in twice)}",
        )
        ok = False
    if not ok:
        return _INVALID
    if feature.values is not None:
        return tuple(sorted(value, key=feature.values.index))  # every item is one of them
    return tuple(sorted(value))


def _num(value: float | None) -> str:
    if value is None:
        return "any"
    return str(int(value)) if float(value).is_integer() else str(value)


_INVALID = object()
_LARGEST = sys.float_info.max
_LARGEST_INTEGER = 2**53  # every integer up to here has an exact double, as the engine compares them

#: Values quoted when values were asked for: shortened, and safe for any depth of nesting.
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 40
_REPR.maxlevel = 3


def _short(value: object) -> str:
    if isinstance(value, int) and value.bit_length() > 128:  # repr refuses more than 4300 digits
        return f"a {value.bit_length()}-bit integer"
    return _REPR.repr(value)


class Names:
    """What checking an assessment needs of a vocabulary besides its features, worked out once
    (a rule set keeps one): the top-level names and the required features."""

    __slots__ = ("required", "top_level")

    def __init__(self, features: Mapping[str, Feature], objects: Mapping[str, tuple[str, ...]]) -> None:
        self.top_level = frozenset(name for name in features if "." not in name) | frozenset(objects)
        self.required = {name: feature for name, feature in features.items() if feature.required}


def normalise(
    assessment: object,
    features: Mapping[str, Feature],
    objects: Mapping[str, tuple[str, ...]],
    object_required: frozenset[str],
    *,
    show_values: bool = False,
    names: Names | None = None,
) -> dict[str, Any]:
    """Validate an assessment and return its normal form; raise AssessmentError otherwise.

    The error's problems hold no values unless ``show_values``; its :meth:`AssessmentError.values`
    checks the assessment again with them.
    """
    report = _Report(show_values)
    out = _check(assessment, features, objects, object_required, report, names)
    if report.items:
        report.items.sort(key=lambda p: p.field)
        recheck = functools.partial(_problems_with_values, features, objects, object_required)
        raise AssessmentError(report.items, recheck=recheck)
    return out


def _problems_with_values(
    features: Mapping[str, Feature],
    objects: Mapping[str, tuple[str, ...]],
    object_required: frozenset[str],
    assessment: object,
) -> tuple[AssessmentProblem, ...]:
    report = _Report(True)
    _check(assessment, features, objects, object_required, report)
    report.items.sort(key=lambda p: p.field)
    return tuple(report.items)


def _check(
    assessment: object,
    features: Mapping[str, Feature],
    objects: Mapping[str, tuple[str, ...]],
    object_required: frozenset[str],
    report: _Report,
    names: Names | None = None,
) -> dict[str, Any]:
    if not isinstance(assessment, Mapping):
        report.add("", "IR301", f"an assessment is a JSON object, got {_kind(assessment)}", assessment)
        return {}
    out: dict[str, Any] = {}
    if names is None:
        names = Names(features, objects)
    top_level = names.top_level
    for key in sorted(assessment, key=str):
        value = assessment[key]
        if not isinstance(key, str) or key not in top_level:
            report.add(
                (_key(key, report.show),),
                "IR302",
                "unknown feature",
                value,
                suggestion=_suggest(key, sorted(top_level)),
            )
            continue
        if key in objects:
            if not isinstance(value, Mapping):
                report.add((key,), "IR304", f"expected an object, got {_kind(value)}", value)
                continue
            for sub in sorted(value, key=str):
                if not isinstance(sub, str) or sub not in objects[key]:
                    report.add(
                        (key, _key(sub, report.show)),
                        "IR303",
                        "unknown field",
                        value[sub],
                        suggestion=_suggest(sub, objects[key]),
                    )
                    continue
                field = f"{key}.{sub}"
                if field not in features:
                    continue
                normal = _leaf(features[field], (key, sub), value[sub], report)
                if normal is not _INVALID:
                    out[field] = normal
            continue
        normal = _leaf(features[key], (key,), value, report)
        if normal is not _INVALID:
            out[key] = normal
    _required(assessment, names.required, object_required, report)
    return out


def _required(
    assessment: Mapping[Any, Any],
    features: Mapping[str, Feature],
    object_required: frozenset[str],
    report: _Report,
) -> None:
    """Record each required feature (or object) the assessment does not hold."""
    for name, feature in features.items():
        if not feature.required:
            continue
        if "." in name:
            parent, field = name.split(".", 1)
            parent_value = assessment.get(parent)
            if parent_value is None or (isinstance(parent_value, Mapping) and field not in parent_value):
                report.add(name, "IR310", "required but not recorded")
        elif name not in assessment:
            report.add(name, "IR310", "required but not recorded")
    for name in sorted(object_required):
        if name not in assessment:
            report.add(name, "IR310", "required but not recorded")
