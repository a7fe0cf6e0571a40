"""Did you mean: the closest known name to a misspelt one, and how a message offers it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean", "suggest"]


def suggest(name: object, candidates: Iterable[object]) -> str | None:
    """The closest candidate to a misspelt name, if one is close enough."""
    if not isinstance(name, str):
        return None
    matches = difflib.get_close_matches(name, [str(c) for c in candidates], n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(suggestion: str | None) -> str:
    """``; did you mean 'x'?`` for a suggestion, or nothing."""
    return "" if suggestion is None else f"; did you mean '{suggestion}'?"
