"""Many assessments at once: JSON Lines in, one record per line out, in input order.

Each non-blank input line holds one assessment (a JSON object). Each gives one output record, a
JSON object on one line:

- ``{"line": 3, "decision": {...}}``: the decision, exactly as :meth:`Decision.to_dict` gives it,
  or, with ``fields``, the projection of it that they choose (see :mod:`._project`);
- ``{"line": 4, "error": {"kind": "invalid_assessment", "problems": [...]}}``: the line could not
  be evaluated; ``kind`` is ``invalid_json`` (not UTF-8 or not JSON) or ``invalid_assessment``,
  and each problem has ``field``, ``message`` and ``suggestion``, as in :class:`AssessmentError`.

Lines are numbered from 1 as in the input; blank lines are skipped and give no record. A bad line
never stops the batch. The engine holds the GIL, so :class:`Batch` spreads the work over worker
processes; each loads the rule set once, refusing it if its digest differs from the one loaded
here first.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs

from .._jsonio import UnreadableJSON, parse_json
from ..errors import AssessmentError, AssessmentProblem, InterventionRulesError, RuleSetError
from ..loading import load_ruleset
from ..ruleset import RuleSet
from ._project import Projection

__all__ = ["Batch", "BatchError", "LineResult", "result_record"]

#: Lines sent to a worker at a time: large enough that the hand-over costs little.
CHUNK_LINES = 64

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
    return {"field": problem.field, "message": problem.message, "suggestion": problem.suggestion}


def projection_of(fields: Fields) -> Projection | None:
    """The projection that ``fields`` names (None: the full decision). ValueError if unknown."""
    if fields is None or isinstance(fields, Projection):
        return fields
    return Projection.named(fields)


def result_record(
    ruleset: RuleSet, assessment: Any, fields: Fields = None
) -> tuple[dict[str, Any], tuple[AssessmentProblem, ...]]:
    """``{"decision": ...}`` for an assessment, or ``{"error": ...}`` with its problems.

    With ``fields`` (a [`Projection`][intervention_rules.scale.Projection], ``"summary"`` or
    dotted paths), the decision is the projection of its JSON that they choose, built without the
    rest of it."""
    projection = projection_of(fields)
    try:
        decision = ruleset.evaluate(assessment)
    except AssessmentError as error:
        problems = [_problem_dict(p) for p in error.problems]
        return {"error": {"kind": "invalid_assessment", "problems": problems}}, error.problems
    return {"decision": decision.to_dict() if projection is None else projection.of(decision)}, ()


def _evaluate_line(ruleset: RuleSet, number: int, raw: str | bytes, projection: Projection | None) -> _Line:
    try:
        assessment = parse_json(raw, what="line", lines=False)
    except UnreadableJSON as error:
        found: tuple[AssessmentProblem, ...] = (AssessmentProblem("", str(error), code="IR311"),)
        record: dict[str, Any] = {"error": {"kind": "invalid_json", "problems": [_problem_dict(found[0])]}}
    else:
        record, found = result_record(ruleset, assessment, projection)
    return number, json.dumps({"line": number, **record}, ensure_ascii=False), tuple(str(p) for p in found)


def _evaluate_chunk(
    ruleset: RuleSet, chunk: list[tuple[int, str | bytes]], projection: Projection | None
) -> list[_Line]:
    """Plain tuples rather than LineResult objects: they cross between processes much faster."""
    return [_evaluate_line(ruleset, number, raw, projection) for number, raw in chunk]


# --- worker processes ------------------------------------------------------------------------

_worker_ruleset: RuleSet | None = None
_worker_projection: Projection | None = None
_worker_failure = "the worker has not loaded a rule set"


def _start_worker(path: str | None, digest: str, fields: tuple[str, ...] | None) -> None:
    global _worker_ruleset, _worker_failure, _worker_projection
    _worker_projection = None if fields is None else Projection(fields)
    try:
        _worker_ruleset = load_ruleset(path, expected_digest=digest)
    except RuleSetError as error:
        # Reported with the first chunk, as an error that crosses process boundaries intact.
        _worker_failure = f"a worker process could not load the rule set: {error}"


def _work(chunk: list[tuple[int, str | bytes]]) -> list[_Line]:
    if _worker_ruleset is None:
        raise BatchError(_worker_failure)
    return _evaluate_chunk(_worker_ruleset, chunk, _worker_projection)


class BatchError(InterventionRulesError):
    """A worker process could not evaluate: its rule set failed to load (for instance, the
    rule files changed after the batch started), or the process died."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[type[BatchError], tuple[str]]:
        return (BatchError, (self.message,))


def _numbered(lines: Iterable[str | bytes]) -> Iterator[list[tuple[int, str | bytes]]]:
    chunk: list[tuple[int, str | bytes]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
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
    With one worker, everything runs in this process. ``fields`` (``"summary"``, dotted paths, or
    a ``Projection``) makes each record's decision that projection of the full one, built without
    the rest. Use it as a context manager, or call [`close`][intervention_rules.scale.Batch.close].
    """

    def __init__(
        self, rules: str | os.PathLike[str] | None = None, *, workers: int = 1, fields: Fields = None
    ) -> None:
        if workers < 1:
            raise ValueError("at least one worker is needed")
        self.projection = projection_of(fields)
        self.ruleset = load_ruleset(rules)
        self.workers = workers
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
                ),
            )
        return self._pool

    def evaluate(self, lines: Iterable[str | bytes]) -> Iterator[LineResult]:
        """One result per non-blank line, in input order, reading the input as it goes."""
        for chunk in self.evaluate_chunks(lines):
            for number, record, problems in chunk:
                yield LineResult(number, record, problems)

    def evaluate_chunks(
        self, lines: Iterable[str | bytes]
    ) -> Iterator[list[tuple[int, str, tuple[str, ...]]]]:
        """The same, a chunk of lines at a time, each as ``(line, record, problems)``: what the
        command line writes out, with nothing built per line in this process."""
        if self.workers == 1:
            for chunk in _numbered(lines):
                yield _evaluate_chunk(self.ruleset, chunk, self.projection)
            return
        pool = self._executor()
        pending: deque[Future[list[_Line]]] = deque()
        try:
            for chunk in _numbered(lines):
                pending.append(pool.submit(_work, chunk))
                if len(pending) >= 4 * self.workers:  # bounded read-ahead keeps memory flat
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool as error:
            raise BatchError(f"a worker process died: {error}") from error

    def evaluate_assessments(self, assessments: Iterable[Mapping[str, Any]]) -> Iterator[LineResult]:
        """The same for assessments already parsed (numbered from 1)."""
        return self.evaluate(json.dumps(a, ensure_ascii=False) for a in assessments)
