"""Optional dependencies: which extra installs what, and importing them with a clear error.

The core never imports an optional package at import time; a layer that needs one imports it
through :func:`require` when it is used, so a missing extra names the extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingExtraError

__all__ = ["EXTRA_OF", "extra_for", "require"]

#: The top-level module of each optional dependency, and the extra that installs it.
EXTRA_OF: dict[str, str] = {
    "jinja2": "governance",
    "markupsafe": "governance",
    "hypothesis": "testing",
    "dask": "dask",
    "distributed": "dask",
    "fhir": "fhir",
    "fastapi": "service",
    "starlette": "service",
    "uvicorn": "service",
    "httpx": "service",
    "psycopg": "service",
}


def extra_for(error: ModuleNotFoundError) -> str | None:
    """The extra that installs the module an import could not find, if it is one of ours."""
    name = (error.name or "").partition(".")[0]
    return EXTRA_OF.get(name)


def require(extra: str, module: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtraError` naming ``extra``."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] != module.partition(".")[0]:
            raise
        raise MissingExtraError(extra, module) from error
