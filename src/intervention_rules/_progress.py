"""Progress bars for long runs: shown on a terminal, silent in a pipe or a file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

__all__ = ["progress"]

T = TypeVar("T")


def progress(
    items: Iterable[T], stream: TextIO | None, *, total: int | None = None, what: str = "", unit: str = "it"
) -> Iterator[T]:
    """``items``, drawing a progress bar on ``stream`` as they are taken when it is a terminal
    (tqdm, removed when done); just ``items`` when ``stream`` is None or not a terminal."""
    if stream is None or not getattr(stream, "isatty", lambda: False)():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=what or None, unit=f" {unit}", file=stream, leave=False)
