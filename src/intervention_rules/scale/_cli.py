"""``intervention-rules evaluate --batch``: the command-line side of :mod:`intervention_rules.batch`.

``--summary`` or ``--fields PATH,...`` write compact decisions (see :mod:`._project`).

Exit status: 0 when every line was evaluated; 1 when any line was invalid (each reported on
stderr as ``INPUT:LINE: problem``, and written to the output as an error record) or the rule set
is invalid; 2 for wrong usage. A progress bar shows on a terminal only.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from typing import IO, TextIO

from tqdm import tqdm

from ._batch import Batch, BatchError, projection_of

__all__ = ["run_batch"]


class _Usage(Exception):
    pass


def _count_lines(path: str) -> int | None:
    try:
        with open(path, "rb") as handle:
            return sum(1 for line in handle if line.strip())
    except OSError:
        return None


@contextlib.contextmanager
def _input(source: str, stdin: TextIO) -> Iterator[IO[bytes] | TextIO]:
    if source == "-":
        yield getattr(stdin, "buffer", stdin)
        return
    try:
        handle = open(source, "rb")  # noqa: SIM115 - closed below, after the batch has read it
    except OSError as error:
        raise _Usage(f"cannot read {source}: {error.strerror}") from error
    with handle:
        yield handle


@contextlib.contextmanager
def _output(target: str | None, stdout: TextIO) -> Iterator[TextIO]:
    if target is None or target == "-":
        yield stdout
        return
    try:
        handle = open(target, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as error:
        raise _Usage(f"cannot write {target}: {error.strerror}") from error
    with handle:
        yield handle


def run_batch(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Run a batch from parsed arguments; returns the exit status."""
    from ..errors import RuleSetError

    try:
        if args.batch is None:
            raise _Usage("--output, --workers, --fields and --summary go with --batch")
        if args.assessment != "-":
            raise _Usage("give either an assessment file or --batch INPUT.jsonl, not both")
        if args.format != "json":
            raise _Usage("--batch writes JSON Lines; --format text is for single assessments")
        workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
        if workers < 1:
            raise _Usage("--workers must be at least 1")
        fields = "summary" if args.summary else args.fields
        try:
            projection = projection_of(fields)
        except ValueError as error:
            raise _Usage(f"--fields: {error}") from error
        batch = Batch(args.rules, workers=workers, fields=projection)
    except _Usage as error:
        stderr.write(f"intervention-rules: error: {error}\n")
        return 2
    except RuleSetError as error:
        for problem in error.problems:
            stderr.write(f"{problem}\n")
        stderr.write(f"{len(error.problems)} problem(s); the rule set was not loaded\n")
        return 1
    name = "<stdin>" if args.batch == "-" else args.batch
    total = None if args.batch == "-" else _count_lines(args.batch)
    terminal = getattr(stderr, "isatty", lambda: False)()
    seen = invalid = 0
    try:
        with (
            batch,
            _input(args.batch, stdin) as lines,
            _output(args.output, stdout) as out,
            tqdm(total=total, unit=" lines", file=stderr, disable=not terminal) as bar,
        ):
            for chunk in batch.evaluate_chunks(lines):
                out.write("".join([record + "\n" for _, record, _ in chunk]))
                for line, _, problems in chunk:
                    if problems:
                        invalid += 1
                        for text in problems:
                            bar.write(f"{name}:{line}: {text}", file=stderr)
                seen += len(chunk)
                bar.update(len(chunk))
    except _Usage as error:
        stderr.write(f"intervention-rules: error: {error}\n")
        return 2
    except BatchError as error:
        stderr.write(f"intervention-rules: error: {error}\n")
        return 1
    if terminal:
        stderr.write(f"{seen} lines: {seen - invalid} evaluated, {invalid} invalid\n")
    return 1 if invalid else 0
