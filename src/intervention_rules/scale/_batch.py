"""Many assessments at once: JSON Lines in, one record per line out, in input order.

Each non-blank input line holds one assessment (a JSON object). Each gives one output record, a
JSON object on one line:

- ``{"line": 3, "decision": {...}}``: the decision, exactly as :meth:`Decision.to_dict` gives it,
  or, with ``fields``, the projection of it that they choose (see :mod:`._project`);
- ``{"line": 4, "error": {"kind": "invalid_assessment", "problems": [...]}}``: the line could not
  be evaluated; ``kind`` is ``invalid_json`` (not UTF-8, not JSON, text UTF-8 cannot hold such as
  a lone surrogate, or longer than the line limit), ``invalid_assessment``, or ``internal_error``
  (a fault in this library, never the input's; please report it), and each problem has
  ``field``, ``message``, ``suggestion`` and ``code``, as in :class:`AssessmentError`: they name
  fields, never values, unless values were asked for (``show_values``).

Lines are numbered from 1 as in the input; blank lines are skipped and give no record. A bad line
never stops the batch, and every record is valid UTF-8 JSON whatever the line held. The engine
holds the GIL, so :class:`Batch` spreads the work over worker processes (at most one per CPU core
available); each loads the rule set once, refusing it if its digest differs from the one loaded
here first.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import attrs

from .._jsonio import MAX_ASSESSMENT_BYTES, UnreadableJSON, parse_json, too_large
from ..errors import AssessmentError, AssessmentProblem, InterventionRulesError, RuleSetError
from ..loading import load_ruleset
from ..ruleset import RuleSet
from ._project import Projection

__all__ = ["Batch", "BatchError", "LineReader", "LineResult", "available_cores", "result_record"]

#: Lines sent to a worker at a time: large enough that the hand-over costs little.
CHUNK_LINES = 64

# What json.dumps(record, ensure_ascii=...) writes, with the encoder made once (json.dumps makes
# one per call when given any option, which costs a summary record a quarter of its writing).
# A record is built here from fresh dicts and lists, never circular, so the encoder is spared
# keeping track of every container it enters (an eighth of a summary record's writing).
_JSON = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
_JSON_ASCII = json.JSONEncoder(ensure_ascii=True, check_circular=False).encode

Fields = Projection | str | Sequence[str] | None
_Line = tuple[int, str, tuple[str, ...]]  # a LineResult's fields: what crosses between processes


@attrs.frozen
class LineResult:
    """The outcome of one input line."""

    line: int
    record: str  # the output record: one JSON object, without a newline
    problems: tuple[str, ...]  # empty when the line was evaluated

    @property
    def ok(self) -> bool:
        return not self.problems


def _problem_dict(problem: AssessmentProblem) -> dict[str, Any]:
    return {
        "field": problem.field,
        "message": problem.message,
        "suggestion": problem.suggestion,
        "code": problem.code,
    }


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity where the system tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def projection_of(fields: Fields) -> Projection | None:
    """The projection that ``fields`` names (None: the full decision). ValueError if unknown."""
    if fields is None or isinstance(fields, Projection):
        return fields
    return Projection.named(fields)


def result_record(
    ruleset: RuleSet, assessment: Any, fields: Fields = None, *, show_values: bool = False
) -> tuple[dict[str, Any], tuple[AssessmentProblem, ...]]:
    """``{"decision": ...}`` for an assessment, or ``{"error": ...}`` with its problems (which
    quote values only with ``show_values``).

    With ``fields`` (a [`Projection`][intervention_rules.scale.Projection], ``"summary"`` or
    dotted paths), the decision is the projection of its JSON that they choose, built without the
    rest of it."""
    projection = projection_of(fields)
    try:
        if projection is None:
            decision = ruleset.evaluate(assessment).to_dict()
        else:
            decision = projection.evaluate(ruleset, assessment)
    except AssessmentError as error:
        found = error.values(assessment) if show_values else error.problems
        problems = [_problem_dict(p) for p in found]
        return {"error": {"kind": "invalid_assessment", "problems": problems}}, found
    return {"decision": decision}, ()


@attrs.frozen
class _Settings:
    """How each line is evaluated, the same in this process and in every worker."""

    projection: Projection | None = None
    limit: int = MAX_ASSESSMENT_BYTES
    show_values: bool = False


def _error(kind: str, message: str, code: str) -> tuple[dict[str, Any], tuple[AssessmentProblem, ...]]:
    problem = AssessmentProblem("", message, code=code)
    return {"error": {"kind": kind, "problems": [_problem_dict(problem)]}}, (problem,)


def _evaluate_line(ruleset: RuleSet, number: int, raw: str | bytes | None, settings: _Settings) -> _Line:
    """The result of one line, whatever it holds (``None``: a line longer than the limit)."""
    try:
        if raw is None:
            raise too_large("line", settings.limit)
        assessment = parse_json(raw, what="line", lines=False, limit=settings.limit)
    except UnreadableJSON as error:
        record, found = _error("invalid_json", str(error), error.code)
    else:
        try:
            record, found = result_record(
                ruleset, assessment, settings.projection, show_values=settings.show_values
            )
        except Exception as error:  # noqa: BLE001 - one line's fault must not cost the others their records
            record, found = _error(
                "internal_error",
                f"the line could not be evaluated: an internal error ({type(error).__name__}); "
                "please report it",
                "IR314",
            )
    record = {"line": number, **record}
    text = _JSON(record)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # text UTF-8 cannot hold reached a record: escape it
        text = _JSON_ASCII(record)
    return number, text, tuple(str(p) for p in found)


def _evaluate_chunk(
    ruleset: RuleSet, chunk: list[tuple[int, str | bytes | None]], settings: _Settings
) -> list[_Line]:
    """Plain tuples rather than LineResult objects: they cross between processes much faster."""
    return [_evaluate_line(ruleset, number, raw, settings) for number, raw in chunk]


def _ends_line(raw: str | bytes) -> bool:
    return raw.endswith(b"\n") if isinstance(raw, bytes) else raw.endswith("\n")


class LineReader:
    """The lines of a binary (or text) stream, each read no further than ``limit`` bytes: a
    longer line is given as ``None`` (it gets an error record) and the rest of it is skipped.

    A line that goes on past ``SKIP_LIMIT`` times the limit (``/dev/zero``) ends the reading;
    ``stopped`` then says why, and the caller reports it.
    """

    SKIP_LIMIT = 64

    def __init__(self, stream: IO[bytes] | IO[str], limit: int = MAX_ASSESSMENT_BYTES) -> None:
        self.stream = stream
        self.limit = limit
        self.stopped: str | None = None

    def __iter__(self) -> Iterator[str | bytes | None]:
        number = 0
        while True:
            raw = self.stream.readline(self.limit + 1)
            if not raw:
                return
            number += 1
            if len(raw) <= self.limit:
                yield raw
                continue
            yield None
            skipped = len(raw)
            while not _ends_line(raw):
                raw = self.stream.readline(self.limit)
                if not raw:
                    return
                skipped += len(raw)
                if skipped > self.SKIP_LIMIT * self.limit:
                    self.stopped = (
                        f"line {number} goes on past {self.SKIP_LIMIT * self.limit} bytes without "
                        "ending; the input is not JSON Lines, and reading stopped there"
                    )
                    return


# --- worker processes ------------------------------------------------------------------------

_worker_ruleset: RuleSet | None = None
_worker_settings = _Settings()
_worker_failure = "the worker has not loaded a rule set"


def _start_worker(
    path: str | None,
    digest: str,
    fields: tuple[str, ...] | None,
    limit: int,
    show_values: bool,
    parent: int,
) -> None:
    global _worker_ruleset, _worker_failure, _worker_settings
    # An interrupt (Ctrl-C reaches the whole process group) is the parent's to handle: it stops
    # the batch and reports it; a worker finishes its chunk and exits without a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # It was started with SIGINT blocked (see ``_submit``), so that Ctrl-C while it was still
    # importing could not end it with a traceback; ignored now, it can be let through.
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    # A parent killed outright (SIGTERM, SIGKILL) cannot stop its workers, and a worker waiting
    # for work would wait for ever: each one leaves as soon as its parent is gone.
    # (``parent`` comes from the parent itself: it may be gone before this line runs.)
    threading.Thread(target=_leave_with, args=(parent,), name="leave-with-parent", daemon=True).start()
    projection = None if fields is None else Projection(fields)
    _worker_settings = _Settings(projection, limit, show_values)
    try:
        _worker_ruleset = load_ruleset(path, expected_digest=digest)
    except RuleSetError as error:
        # Reported with the first chunk, as an error that crosses process boundaries intact.
        _worker_failure = f"a worker process could not load the rule set: {error}"


def _submit(pool: ProcessPoolExecutor, chunk: list[tuple[int, str | bytes | None]]) -> Future[list[_Line]]:
    """``pool.submit(_work, chunk)``, with SIGINT blocked in this thread meanwhile: a worker
    process the pool starts now inherits it blocked, until its initializer ignores it. An
    interrupt meanwhile is held, not lost, and reaches this process as soon as it is unblocked."""
    if not hasattr(signal, "pthread_sigmask"):
        return pool.submit(_work, chunk)
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return pool.submit(_work, chunk)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _leave_with(parent: int) -> None:
    """End this worker process once the process that started it is gone (it is then adopted by
    another, so its parent id changes)."""
    while os.getppid() == parent:
        time.sleep(_PARENT_CHECK_SECONDS)
    # Nobody is left to clean up for or to report to: end at once, whatever the main thread does.
    os.kill(os.getpid(), signal.SIGKILL)


#: How often a worker looks for its parent: an orphan outlives its parent by at most this long.
_PARENT_CHECK_SECONDS = 0.5


def _work(chunk: list[tuple[int, str | bytes | None]]) -> list[_Line]:
    if _worker_ruleset is None:
        raise BatchError(_worker_failure)
    return _evaluate_chunk(_worker_ruleset, chunk, _worker_settings)


class BatchError(InterventionRulesError):
    """A worker process could not evaluate: its rule set failed to load (for instance, the
    rule files changed after the batch started), or the process died."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[type[BatchError], tuple[str]]:
        return (BatchError, (self.message,))


def _numbered(lines: Iterable[str | bytes | None]) -> Iterator[list[tuple[int, str | bytes | None]]]:
    chunk: list[tuple[int, str | bytes | None]] = []
    for number, raw in enumerate(lines, start=1):
        if raw is not None and not raw.strip():
            continue
        chunk.append((number, raw))
        if len(chunk) == CHUNK_LINES:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Batch:
    """A rule set loaded once, evaluating lines of JSON on ``workers`` processes.

    Loading raises [`RuleSetError`][intervention_rules.RuleSetError] here, before any line is read.
    With one worker, everything runs in this process; more than the CPU cores available are not
    started. ``fields`` (``"summary"``, dotted paths, or a ``Projection``) makes each record's
    decision that projection of the full one, built without the rest. A line longer than
    ``max_line_bytes`` gets an error record without being parsed. Problems quote no values unless
    ``show_values``. Use it as a context manager, or call
    [`close`][intervention_rules.scale.Batch.close].
    """

    def __init__(
        self,
        rules: str | os.PathLike[str] | None = None,
        *,
        workers: int = 1,
        fields: Fields = None,
        max_line_bytes: int = MAX_ASSESSMENT_BYTES,
        show_values: bool = False,
    ) -> None:
        if workers < 1:
            raise ValueError("at least one worker is needed")
        self.projection = projection_of(fields)
        self.ruleset = load_ruleset(rules)
        self.workers = min(workers, available_cores())
        self.max_line_bytes = max_line_bytes
        self.show_values = show_values
        self._settings = _Settings(self.projection, max_line_bytes, show_values)
        self._path = None if rules is None else str(Path(rules))
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Batch:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # Fresh interpreters rather than forks: nothing of this process's engine state is copied.
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(
                    self._path,
                    self.ruleset.digest,
                    None if self.projection is None else self.projection.paths,
                    self.max_line_bytes,
                    self.show_values,
                    os.getpid(),
                ),
            )
        return self._pool

    def evaluate(self, lines: Iterable[str | bytes | None]) -> Iterator[LineResult]:
        """One result per non-blank line, in input order, reading the input as it goes (``None``
        stands for a line too long to read, as the batch's line reader gives it)."""
        for chunk in self.evaluate_chunks(lines):
            for number, record, problems in chunk:
                yield LineResult(number, record, problems)

    def evaluate_chunks(
        self, lines: Iterable[str | bytes | None]
    ) -> Iterator[list[tuple[int, str, tuple[str, ...]]]]:
        """The same, a chunk of lines at a time, each as ``(line, record, problems)``: what the
        command line writes out, with nothing built per line in this process."""
        if self.workers == 1:
            for chunk in _numbered(lines):
                yield _evaluate_chunk(self.ruleset, chunk, self._settings)
            return
        pool = self._executor()
        pending: deque[Future[list[_Line]]] = deque()
        try:
            for chunk in _numbered(lines):
                pending.append(_submit(pool, chunk))
                if len(pending) >= 4 * self.workers:  # bounded read-ahead keeps memory flat
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool as error:
            raise BatchError(f"a worker process died: {error}") from error

    def evaluate_assessments(self, assessments: Iterable[Mapping[str, Any]]) -> Iterator[LineResult]:
        """The same for assessments already parsed (numbered from 1)."""
        return self.evaluate(json.dumps(a, ensure_ascii=False) for a in assessments)
