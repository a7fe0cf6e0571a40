"""The CDS Hooks 2.0 service and its decision audit trail (``pip install 'intervention-rules[service]'``).

``intervention-rules serve`` runs it; :func:`create_app` builds the ASGI application for a loaded
rule set, for embedding or for another ASGI server. The audit trail (:class:`SQLiteSink`,
:class:`PostgresSink`, :func:`open_sink`) needs only the standard library for SQLite and psycopg
for PostgreSQL. Names that need FastAPI are loaded when first used, so importing this package
imports only the standard library and the core.
"""

from __future__ import annotations

from typing import Any

from ._audit import (
    AuditError,
    AuditSink,
    DecisionRecord,
    FeedbackRecord,
    PostgresSink,
    SQLiteSink,
    input_hash,
    open_sink,
)

__all__ = [
    "DEFAULT_MAX_BODY",
    "AuditError",
    "AuditSink",
    "DecisionRecord",
    "FeedbackRecord",
    "PostgresSink",
    "SQLiteSink",
    "ServiceConfig",
    "create_app",
    "input_hash",
    "open_sink",
]

_LAZY = {"create_app", "ServiceConfig", "DEFAULT_MAX_BODY"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import _app

        return getattr(_app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
