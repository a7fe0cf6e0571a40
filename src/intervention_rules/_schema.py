"""Structural validation of rule files against the published JSON Schema."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema.exceptions import ValidationError, best_match

from ._suggest import suggest
from ._yaml import Located, Path
from .errors import Problem

__all__ = ["rule_file_schema", "schema_problems", "suggest"]


@functools.cache
def rule_file_schema() -> dict[str, Any]:
    """The JSON Schema that every rule file satisfies."""
    text = (
        resources.files("intervention_rules")
        .joinpath("schemas/rule-file.schema.json")
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    schema = rule_file_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@functools.cache
def _quick_check() -> jsonschema_rs.Validator:
    """A compiled validator of the same schema that only answers valid or not, in a fraction of
    the time; the full validator below runs only on files it does not accept, to explain why."""
    return jsonschema_rs.validator_for(rule_file_schema(), validate_formats=True)


def _quickly_valid(data: Any) -> bool:
    try:
        return bool(_quick_check().is_valid(data))
    except Exception:  # noqa: BLE001 - whatever it cannot take, the full validator decides on
        return False


_TYPE_NAMES = {
    dict: "a mapping",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "nothing (null)",
}


def _kind(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _leaf_errors(error: ValidationError) -> Iterator[ValidationError]:
    """Descend through anyOf/oneOf to the most relevant concrete error: that of the branch made
    for the kind of value written (a mapping's errors, not "expected a string")."""
    while error.context:
        same_place = tuple(error.absolute_path)
        # An error deeper inside the value beats "the value as a whole is of another kind".
        relevant = [e for e in error.context if tuple(e.absolute_path) != same_place]
        error = best_match(relevant or error.context)
    yield error


def _convert(doc: Located, error: ValidationError) -> Iterator[Problem]:
    path: Path = tuple(error.absolute_path)
    instance: Any = error.instance
    validator: Any = error.validator
    expected: Any = error.validator_value
    schema = error.schema if isinstance(error.schema, dict) else {}
    if validator == "additionalProperties" and isinstance(instance, dict):
        known = list(schema.get("properties", {}))
        for key in instance:
            if key not in known:
                yield doc.problem(
                    (*path, key), "IR120", f"unknown field '{key}'", suggestion=suggest(key, known)
                )
        return
    if validator == "required":
        missing = [name for name in expected if name not in instance]
        for name in missing:
            yield doc.problem(path, "IR121", f"missing required field '{name}'")
        return
    if validator == "enum":
        choices = ", ".join(str(c) for c in expected)
        yield doc.problem(
            path,
            "IR122",
            f"'{instance}' is not one of: {choices}",
            suggestion=suggest(instance, expected),
        )
        return
    if validator == "type":
        expected_text = " or ".join(expected) if isinstance(expected, list) else expected
        hint = ""
        if isinstance(instance, bool) and "string" in str(expected_text):
            hint = " (YAML reads unquoted yes, no, on, off, true and false as booleans: quote the text)"
        yield doc.problem(path, "IR123", f"expected {expected_text}, found {_kind(instance)}{hint}")
        return
    if validator in ("minProperties", "maxProperties") and isinstance(instance, dict):
        keys = ", ".join(instance) or "none"
        yield doc.problem(path, "IR124", f"expected exactly one key here, found {len(instance)}: {keys}")
        return
    if validator == "pattern" and path and path[-1] == "id":
        yield doc.problem(
            path, "IR125", f"'{instance}' is not a valid id (upper-case letters, digits and hyphens)"
        )
        return
    if validator == "pattern":
        yield doc.problem(
            path, "IR126", f"'{instance}' is not a valid name (lower-case letters, digits and underscores)"
        )
        return
    if validator == "propertyNames":
        yield doc.problem((*path, instance), "IR126", f"'{instance}' is not a valid name")
        return
    yield doc.problem(path, "IR127", error.message)


def schema_problems(doc: Located, validator: jsonschema.protocols.Validator | None = None) -> list[Problem]:
    """Every structural problem of one rule file (or, given its validator, of another document)."""
    if validator is None and _quickly_valid(doc.data):
        return []
    problems: dict[tuple[str, str], Problem] = {}  # jsonschema reports each missing field once per field
    for error in (validator or _validator()).iter_errors(doc.data):
        for leaf in _leaf_errors(error):
            for problem in _convert(doc, leaf):
                problems.setdefault((problem.path, problem.message), problem)
    return list(problems.values())
