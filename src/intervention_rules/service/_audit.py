"""The audit trail: every served decision and every piece of feedback, appended, never updated.

A sink is anything with :meth:`AuditSink.record_decision`, :meth:`AuditSink.record_feedback`,
:meth:`AuditSink.decision_for_card` and :meth:`AuditSink.export`. Two back ends are real:
:class:`SQLiteSink` (the embedded default, a file path) and :class:`PostgresSink` (a
``postgresql://`` URL, for several stateless workers sharing one store; needs ``psycopg``).
Both create their tables on first use and refuse ``UPDATE`` and ``DELETE`` with triggers, so the
trail stays append-only even for a careless administrator's SQL.

A record holds what was shown and why, never the assessment: the input is kept only as a salted
hash (HMAC-SHA-256), unless the operator configures storing it.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs

__all__ = [
    "AuditError",
    "AuditSink",
    "DecisionRecord",
    "FeedbackRecord",
    "PostgresSink",
    "SQLiteSink",
    "input_hash",
    "open_sink",
]


class AuditError(Exception):
    """The audit trail cannot be written or read; the request that needed it must fail."""


def input_hash(salt: bytes, payload: Any) -> str:
    """A salted hash of a request's input: equal inputs give equal hashes under one salt, and the
    input cannot be recovered or confirmed by guessing without the salt."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "hmac-sha256:" + hmac.new(salt, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")


@attrs.frozen
class DecisionRecord:
    """One served decision: what was shown, from which rule set, for which hook call."""

    decision_id: str
    time: str
    service: str
    hook_instance: str
    ruleset_name: str
    ruleset_version: str
    ruleset_digest: str
    fired: tuple[str, ...]
    recommendations: tuple[str, ...]  # intervention ids in rank order
    cautions: tuple[dict[str, str], ...]  # {"intervention", "rule", "severity"}
    alerts: tuple[dict[str, str], ...]  # {"rule", "severity"}
    # {"uuid", "summary", "indicator", "interventions", "rules"}, and "order" on order hooks' cards
    cards: tuple[dict[str, Any], ...]
    input_hash: str
    input: Any = None  # only when the operator configured storing the input

    def to_dict(self) -> dict[str, Any]:
        out = attrs.asdict(self, recurse=False)
        for key in ("fired", "recommendations", "cautions", "alerts", "cards"):
            out[key] = list(out[key])
        out["kind"] = "decision"
        return out


@attrs.frozen
class FeedbackRecord:
    """A clinician's answer to one card: accepted or overridden, and why."""

    feedback_id: str
    time: str
    decision_id: str
    card: str
    outcome: str  # "accepted" or "overridden"
    outcome_time: str | None
    override_reason: dict[str, str] | None  # the coding: {"system", "code", "display"}
    comment: str | None = None  # only when the operator configured storing the input

    def to_dict(self) -> dict[str, Any]:
        out = attrs.asdict(self, recurse=False)
        out["kind"] = "feedback"
        return out


class AuditSink(Protocol):
    """Where the audit trail is appended."""

    def record_decision(self, record: DecisionRecord) -> None: ...

    def record_feedback(self, records: Sequence[FeedbackRecord]) -> None: ...

    def decision_for_card(self, card: str, service: str | None = None) -> str | None:
        """The most recent decision that showed this card (of ``service`` when one is given: the
        CDS service, such as ``order-sign``, whose answer showed it), or None."""
        ...

    def export(
        self, since: datetime.datetime | None = None, until: datetime.datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every record in time order (decisions and feedback), as JSON-ready dictionaries."""
        ...

    def close(self) -> None: ...


_TABLES = (
    """CREATE TABLE IF NOT EXISTS ir_decision (
        decision_id TEXT PRIMARY KEY, time TEXT NOT NULL, record TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS ir_decision_card (
        card TEXT NOT NULL, decision_id TEXT NOT NULL REFERENCES ir_decision (decision_id),
        time TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ir_decision_card_card ON ir_decision_card (card, time)",
    """CREATE TABLE IF NOT EXISTS ir_feedback (
        feedback_id TEXT PRIMARY KEY, time TEXT NOT NULL,
        decision_id TEXT NOT NULL REFERENCES ir_decision (decision_id), record TEXT NOT NULL)""",
)
_APPEND_ONLY = ("ir_decision", "ir_decision_card", "ir_feedback")


def _dump(record: DecisionRecord | FeedbackRecord) -> str:
    return json.dumps(record.to_dict(), sort_keys=True, ensure_ascii=False)


def _bounds(since: datetime.datetime | None, until: datetime.datetime | None) -> tuple[str, str]:
    low = since.astimezone(datetime.UTC).isoformat(timespec="microseconds") if since else ""
    high = until.astimezone(datetime.UTC).isoformat(timespec="microseconds") if until else "~"
    return low, high


_EXPORT = (
    "SELECT time, record FROM ir_decision WHERE time >= ? AND time < ? "
    "UNION ALL SELECT time, record FROM ir_feedback WHERE time >= ? AND time < ? ORDER BY 1"
)


class _SQLStore:
    """What both back ends share: the statements (written with ``?`` placeholders) and the
    records they append and read. A back end supplies ``_write`` (one transaction) and ``_read``."""

    def _write(self, rows: Sequence[tuple[str, tuple[Any, ...]]]) -> None:
        raise NotImplementedError

    def _read(self, statement: str, values: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def record_decision(self, record: DecisionRecord) -> None:
        rows = [
            ("INSERT INTO ir_decision VALUES (?, ?, ?)", (record.decision_id, record.time, _dump(record)))
        ]
        rows += [
            ("INSERT INTO ir_decision_card VALUES (?, ?, ?)", (card["uuid"], record.decision_id, record.time))
            for card in record.cards
        ]
        self._write(rows)

    def record_feedback(self, records: Sequence[FeedbackRecord]) -> None:
        statement = "INSERT INTO ir_feedback VALUES (?, ?, ?, ?)"
        self._write([(statement, (r.feedback_id, r.time, r.decision_id, _dump(r))) for r in records])

    #: The SQL expression for the ``service`` of a decision's JSON record (aliased ``d``).
    _SERVICE_OF_RECORD = ""

    def decision_for_card(self, card: str, service: str | None = None) -> str | None:
        if service is None:
            statement = "SELECT decision_id FROM ir_decision_card WHERE card = ? ORDER BY time DESC LIMIT 1"
            rows = self._read(statement, (card,))
        else:
            # The service is read from the decision's own record, so a store written before
            # feedback was checked against it answers alike; the card index narrows the rows first.
            rows = self._read(
                "SELECT c.decision_id FROM ir_decision_card c JOIN ir_decision d "
                f"ON d.decision_id = c.decision_id WHERE c.card = ? AND {self._SERVICE_OF_RECORD} = ? "
                "ORDER BY c.time DESC LIMIT 1",
                (card, service),
            )
        return str(rows[0][0]) if rows else None

    def export(
        self, since: datetime.datetime | None = None, until: datetime.datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        low, high = _bounds(since, until)
        for _, record in self._read(_EXPORT, (low, high, low, high)):
            yield json.loads(record)


class SQLiteSink(_SQLStore):
    """The embedded audit store: one SQLite file, written in one transaction per request."""

    _SERVICE_OF_RECORD = "json_extract(d.record, '$.service')"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=10000")
            for statement in _TABLES:
                self._db.execute(statement)
            for table in _APPEND_ONLY:
                for verb in ("UPDATE", "DELETE"):
                    self._db.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
                    )
        except sqlite3.Error as error:
            raise AuditError(f"cannot open the SQLite audit store at {self.path}: {error}") from error

    def _write(self, rows: Sequence[tuple[str, tuple[Any, ...]]]) -> None:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    for statement, values in rows:
                        self._db.execute(statement, values)
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                raise AuditError(f"cannot write the audit record: {error}") from error

    def _read(self, statement: str, values: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return list(self._db.execute(statement, values).fetchall())
            except sqlite3.Error as error:
                raise AuditError(f"cannot read the audit store: {error}") from error

    def close(self) -> None:
        self._db.close()


class PostgresSink(_SQLStore):
    """The shared audit store for several workers: PostgreSQL through psycopg 3, one short
    transaction per request on a connection of the worker's own."""

    _SERVICE_OF_RECORD = "(d.record::jsonb ->> 'service')"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError as error:
            raise AuditError(
                "a PostgreSQL audit store needs psycopg: pip install 'intervention-rules[service]'"
            ) from error
        self._psycopg = psycopg
        self.url = url
        self._lock = threading.Lock()
        try:
            self._db = psycopg.connect(url, autocommit=True)
            with self._db.transaction():
                # One worker at a time creates the tables; the others wait and find them.
                self._db.execute("SELECT pg_advisory_xact_lock(7314920)")
                for statement in _TABLES:
                    self._db.execute(statement)
                self._db.execute(
                    "CREATE OR REPLACE FUNCTION ir_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$"
                )
                for table in _APPEND_ONLY:
                    self._db.execute(
                        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                        "FOR EACH STATEMENT EXECUTE FUNCTION ir_append_only()"
                    )
        except psycopg.Error as error:
            raise AuditError(f"cannot open the PostgreSQL audit store: {error}") from error

    def _write(self, rows: Sequence[tuple[str, tuple[Any, ...]]]) -> None:
        with self._lock:
            try:
                with self._db.transaction():
                    for statement, values in rows:
                        self._db.execute(statement.replace("?", "%s"), values)
            except self._psycopg.Error as error:
                raise AuditError(f"cannot write the audit record: {error}") from error

    def _read(self, statement: str, values: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return list(self._db.execute(statement.replace("?", "%s"), values).fetchall())
            except self._psycopg.Error as error:
                raise AuditError(f"cannot read the audit store: {error}") from error

    def close(self) -> None:
        self._db.close()


def open_sink(where: str) -> AuditSink:
    """A PostgreSQL store for a ``postgresql://`` or ``postgres://`` URL, else a SQLite file."""
    if where.startswith(("postgresql://", "postgres://")):
        return PostgresSink(where)
    return SQLiteSink(where)


def new_time() -> str:
    """The time stamp of a record (UTC, ISO 8601 with microseconds, so it sorts as text)."""
    return _now()
