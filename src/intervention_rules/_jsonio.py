"""Reading an assessment's JSON strictly, the same way for one file and for each batch line.

Strict UTF-8 (a byte-order mark is allowed), strict JSON, and no key twice in one object: which of
two values was meant would be a guess.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["UnreadableJSON", "parse_json"]


class UnreadableJSON(Exception):
    """The text is not an acceptable JSON document; the message says why."""


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise UnreadableJSON(f"the key '{key}' appears more than once in one object")
        out[key] = value
    return out


def parse_json(data: str | bytes, *, what: str = "input", lines: bool = True) -> Any:
    """Parse one JSON document. ``what`` names it in messages ("input", "line"); ``lines`` says
    whether a syntax error names its line as well as its column."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise UnreadableJSON(
                f"the {what} is not UTF-8 text ({error.reason} at byte {error.start})"
            ) from error
    try:
        return json.loads(data, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}" if lines else f"column {error.colno}"
        raise UnreadableJSON(f"not valid JSON: {error.msg} at {where}") from error
    except RecursionError as error:
        raise UnreadableJSON("not accepted: the JSON is nested too deeply") from error
    except ValueError as error:  # e.g. an integer with more digits than Python converts
        raise UnreadableJSON(f"not accepted: {error}") from error
