"""Lazy public names for the optional layers (PEP 562).

A layer's ``__init__`` lists where each of its public names lives; the module holding a name is
imported the first time the name is used. So importing a layer (as the command line does to
declare its subcommands) costs nothing, and a layer whose extra is missing fails only when used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["exports"]


def exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``package + where[name]`` for ``name`` on first use."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module, package), name)

    return __getattr__
