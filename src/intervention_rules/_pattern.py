"""Feature patterns: regular expressions matched in time linear in the text.

A feature's ``pattern`` is written by a rule set's author and matched against what an assessment
holds. Python's ``re`` backtracks: ``^(a+)+$`` against forty ``a`` and a ``!`` runs for hours, in
the loader (a rule's operand) or on every assessment (a patient's text). So patterns are matched
by RE2 (google-re2), which never backtracks: its time grows with the text's length, whatever
the pattern. RE2 has no backreferences and no lookaround, and its ``\\d``, ``\\w`` and ``\\s``
are ASCII; a pattern must also compile in Python's ``re``, which the testing layer generates
values from.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

__all__ = ["fits", "fullmatch", "pattern_problem"]

_OPTIONS = re2.Options()
#: RE2 would otherwise write each pattern it refuses to the process's standard error.
_OPTIONS.log_errors = False


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    return re2.compile(pattern, _OPTIONS)


@functools.lru_cache(maxsize=256)
def _whole(pattern: str) -> Any:
    """``pattern`` alone in an anchored RE2 set: it says whether a text matches as a whole, and
    nothing more, so it skips the work of building a match (several times faster per call)."""
    one = re2.Set.FullMatchSet(_OPTIONS)
    one.Add(pattern)
    one.Compile()
    return one


def pattern_problem(pattern: str) -> str | None:
    """What makes ``pattern`` unusable as a feature's pattern, or None."""
    try:
        re.compile(pattern)
    except re.error as error:
        return f"invalid regular expression: {error}"
    try:
        _compiled(pattern)
    except re2.error as error:
        reason = error.args[0] if error.args else error
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        return (
            f"a pattern the linear-time matcher cannot take: {reason} "
            "(no backreferences, no lookahead or lookbehind, repetition counts up to 1000)"
        )
    return None


def fullmatch(pattern: str, text: str) -> bool:
    """Whether the whole of ``text`` matches ``pattern`` (one that :func:`pattern_problem`
    accepted), in time linear in the length of ``text``."""
    # A text the set turns down is asked again of the pattern itself, so that the answer never
    # rests on the set alone (it also answers no if it runs out of memory); such a text is
    # refused, which is rare.
    return _whole(pattern).Match(text) is not None or _compiled(pattern).fullmatch(text) is not None


def fits(pattern: str | None, text: str) -> bool:
    """Whether ``text`` fits a feature's pattern: any text fits a feature without one."""
    return pattern is None or fullmatch(pattern, text)
