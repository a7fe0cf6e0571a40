"""The CDS Hooks 2.0 service and its decision audit trail (``pip install 'intervention-rules[service]'``).

`intervention-rules serve` runs it; [`create_app`][intervention_rules.service.create_app] builds
the ASGI application for a loaded rule set, for embedding or for another ASGI server. The audit
trail ([`SQLiteSink`][intervention_rules.service.SQLiteSink],
[`PostgresSink`][intervention_rules.service.PostgresSink],
[`open_sink`][intervention_rules.service.open_sink]) needs only the standard library for SQLite,
and psycopg for PostgreSQL. Every name is loaded when first used, so importing this package costs
nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import exports

if TYPE_CHECKING:
    from ._app import DEFAULT_MAX_BODY, ServiceConfig, create_app
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

__getattr__ = exports(
    __name__,
    {
        "DEFAULT_MAX_BODY": "._app",
        "ServiceConfig": "._app",
        "create_app": "._app",
        "AuditError": "._audit",
        "AuditSink": "._audit",
        "DecisionRecord": "._audit",
        "FeedbackRecord": "._audit",
        "PostgresSink": "._audit",
        "SQLiteSink": "._audit",
        "input_hash": "._audit",
        "open_sink": "._audit",
    },
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
