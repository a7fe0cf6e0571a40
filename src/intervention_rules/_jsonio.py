"""Reading an assessment's JSON strictly, the same way for one file and for each batch line.

Strict UTF-8 (a byte-order mark is allowed), strict JSON, no key twice in one object (which of
two values was meant would be a guess), and no text that UTF-8 cannot hold (a lone surrogate,
``"\\ud800"``, is valid JSON but not valid Unicode). The input is refused before it is parsed when
it is larger than a limit, and read no further than that limit. Messages say what is wrong and
where, never what the text held.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import IO, Any

__all__ = [
    "MAX_ASSESSMENT_BYTES",
    "UnreadableJSON",
    "own_copy",
    "parse_json",
    "parse_json_file",
    "read_limited",
    "too_large",
]

#: The largest assessment read, in bytes (one file, standard input, or one batch line). A real
#: assessment is a few kilobytes; the limit stops a runaway input (``/dev/zero``) early.
MAX_ASSESSMENT_BYTES = 1024 * 1024


class UnreadableJSON(Exception):
    """The text is not an acceptable JSON document; the message says why, and ``code`` is the
    problem's stable code (``IR311`` not JSON, ``IR312`` not Unicode, ``IR313`` too large)."""

    def __init__(self, message: str, code: str = "IR311") -> None:
        super().__init__(message)
        self.code = code
        #: The (line, column) of a syntax error, set by :func:`parse_json_file`.
        self.where: tuple[int, int] | None = None


#: A key is quoted in a message only when it looks like a field name (it may be free text).
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
#: A ``\uD800``-``\uDFFF`` escape in the text: only then can the parsed data hold a lone surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    seen: set[str] = set()
    for key, _ in pairs:  # the first key that comes again, in the order written
        if key in seen:
            named = f"the key '{key}'" if _NAME.fullmatch(key) else "a key"
            raise UnreadableJSON(f"{named} appears more than once in one object")
        seen.add(key)
    raise AssertionError("a shorter dict must have a repeated key")


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys)


def _has_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def too_large(what: str, limit: int) -> UnreadableJSON:
    return UnreadableJSON(f"the {what} is larger than the limit of {limit} bytes", "IR313")


def read_limited(stream: IO[bytes] | IO[str], limit: int = MAX_ASSESSMENT_BYTES) -> bytes | str:
    """Everything ``stream`` holds, reading no more than ``limit`` + 1 bytes or characters;
    raises :class:`UnreadableJSON` when there is more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise too_large("input", limit)
    return data


def own_copy(values: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-ready values (scalars, or lists of scalars) as data of the caller's own: the mapping
    and each list in it copied, so that changing it changes nothing it was copied from."""
    return {key: list(value) if isinstance(value, list) else value for key, value in values.items()}


def parse_json(
    data: str | bytes, *, what: str = "input", lines: bool = True, limit: int | None = MAX_ASSESSMENT_BYTES
) -> Any:
    """Parse one JSON document. ``what`` names it in messages ("input", "line"); ``lines`` says
    whether a syntax error names its line as well as its column; ``limit`` is the largest size
    accepted, in bytes (``None``: no limit)."""
    if limit is not None and len(data) > limit:
        raise too_large(what, limit)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise UnreadableJSON(
                f"the {what} is not UTF-8 text ({error.reason} at byte {error.start})"
            ) from error
    try:
        # One decoder for every call (json.loads makes one per call when given a hook), except for
        # text that starts with a byte-order mark, which json.loads refuses with its own message.
        parsed = (
            _DECODER.decode(data)
            if not data.startswith("\ufeff")
            else json.loads(data, object_pairs_hook=_no_duplicate_keys)
        )
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}" if lines else f"column {error.colno}"
        raise UnreadableJSON(f"not valid JSON: {error.msg} at {where}") from error
    except RecursionError as error:
        raise UnreadableJSON("not accepted: the JSON is nested too deeply") from error
    except ValueError as error:  # an integer with more digits than Python converts
        raise UnreadableJSON("not accepted: a number has too many digits") from error
    if _SURROGATE_ESCAPE.search(data) and _has_surrogate(parsed):
        raise UnreadableJSON(
            "not accepted: text that is not valid Unicode (a lone surrogate escape such as \\ud800)", "IR312"
        )
    return parsed


def parse_json_file(text: str) -> Any:
    """Parse a JSON file's text as strictly as an assessment (no size limit: the caller read it).

    Raises :class:`UnreadableJSON`; for a syntax error its message is ``not valid JSON:`` and the
    parser's own (``Expecting value``), and its ``where`` the (line, column)."""
    try:
        return parse_json(text, limit=None)
    except UnreadableJSON as error:
        cause = error.__cause__
        if isinstance(cause, json.JSONDecodeError):
            error.args = (f"not valid JSON: {cause.msg}",)
            error.where = (cause.lineno, cause.colno)
        raise
