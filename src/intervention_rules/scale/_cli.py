"""``intervention-rules evaluate --batch``: the command-line side of :mod:`intervention_rules.batch`.

``--summary`` or ``--fields PATH,...`` write compact decisions (see :mod:`._project`).

Exit status: 0 when every line was evaluated; 1 when any line was invalid (each reported on
stderr as ``INPUT:LINE: problem``, naming fields, never values, unless ``--show-values``, and
written to the output as an error record) or the rule set is invalid, or the input stopped
being JSON Lines; 2 for wrong usage; 74 when the output could not be written (``--output`` on a
full disk). A progress bar shows on a terminal only. More workers than the CPU cores available
are not started.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import stat
from collections.abc import Iterator
from typing import IO, TextIO

from tqdm import tqdm

from ._batch import Batch, BatchError, LineReader, available_cores, projection_of

__all__ = ["run_batch"]


class _Usage(Exception):
    pass


class _OutputFailed(Exception):
    pass


def _count_lines(path: str) -> int | None:
    """The non-blank lines of a regular file, for the progress bar (None for anything else: a
    device such as /dev/zero would never end)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as handle:
            return sum(1 for line in handle if line.strip())
    except OSError:
        return None


@contextlib.contextmanager
def _input(source: str, stdin: TextIO | None) -> Iterator[IO[bytes] | TextIO]:
    if source == "-":
        if stdin is None or stdin.closed:
            raise _Usage("standard input is closed; give the input as a file")
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
    try:
        with handle:
            yield handle
    except OSError as error:  # a full disk shows on a write or on the flush at close
        raise _OutputFailed(f"cannot write {target}: {error.strerror or error}") from error


def run_batch(args: argparse.Namespace, stdin: TextIO | None, stdout: TextIO, stderr: TextIO) -> int:
    """Run a batch from parsed arguments; returns the exit status."""
    from ..errors import RuleSetError

    try:
        if args.batch is None:
            raise _Usage("--output, --workers, --fields and --summary go with --batch")
        if args.assessment != "-":
            raise _Usage("give either an assessment file or --batch INPUT.jsonl, not both")
        if args.format != "json":
            raise _Usage("--batch writes JSON Lines; --format text is for single assessments")
        cores = available_cores()
        workers = args.workers if args.workers is not None else cores
        if workers < 1:
            raise _Usage("--workers must be at least 1")
        if workers > cores:
            stderr.write(f"intervention-rules: {workers} workers asked for; {cores} used, one per core\n")
        fields = "summary" if args.summary else args.fields
        try:
            projection = projection_of(fields)
        except ValueError as error:
            raise _Usage(f"--fields: {error}") from error
        batch = Batch(
            args.rules,
            workers=min(workers, cores),
            fields=projection,
            max_line_bytes=args.max_input_bytes,
            show_values=args.show_values,
        )
    except _Usage as error:
        stderr.write(f"intervention-rules: error: {error}\n")
        return 2
    except RuleSetError as error:
        for problem in error.problems:
            stderr.write(f"{problem}\n")
        stderr.write(f"{len(error.problems)} problem(s); the rule set was not loaded\n")
        return 1
    name = "<stdin>" if args.batch == "-" else args.batch
    terminal = getattr(stderr, "isatty", lambda: False)()
    total = None if args.batch == "-" or not terminal else _count_lines(args.batch)
    seen = invalid = 0
    try:
        with (
            batch,
            _input(args.batch, stdin) as stream,
            _output(args.output, stdout) as out,
            tqdm(total=total, unit=" lines", file=stderr, disable=not terminal) as bar,
        ):
            lines = LineReader(stream, args.max_input_bytes)
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
    except _OutputFailed as error:
        stderr.write(f"intervention-rules: error: {error}\n")
        return 74  # EX_IOERR, as for any output failure (see cli.py)
    if lines.stopped is not None:
        stderr.write(f"{name}: {lines.stopped}\n")
        return 1
    if terminal:
        stderr.write(f"{seen} lines: {seen - invalid} evaluated, {invalid} invalid\n")
    return 1 if invalid else 0
