"""The ``intervention-rules`` command line.

Exit status: 0 success; 1 invalid rules or invalid assessment (problems on stderr, nothing on
stdout); 2 wrong usage, including a command whose optional extra is not installed; 70 an internal
error (a bug: the exception's type only, since its message and traceback can quote an assessment;
a command's ``--show-values`` adds the traceback); 74 the output could not be written (a closed
pipe, a full disk); 130 interrupted. No traceback reaches the user unless asked for.

Problems name fields, never the values an assessment held, unless ``--show-values`` is given.

The core commands (``evaluate``, ``explain``, ``validate``) are declared here. Each optional layer
declares its own in its ``_cli`` module, which imports nothing of the layer until one of its
commands runs; so every command works, and ``--help`` lists them all, without any extra installed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO

from ._extras import extra_for
from ._jsonio import MAX_ASSESSMENT_BYTES, UnreadableJSON, parse_json, read_limited
from .errors import (
    AssessmentError,
    AssessmentProblem,
    MissingExtraError,
    RuleSetError,
    UnknownInterventionError,
)
from .loading import load_ruleset

__all__ = ["main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL, EXIT_OUTPUT, EXIT_INTERRUPTED = 0, 1, 2, 70, 74, 130

#: The optional layers whose ``_cli`` module declares subcommands, in ``--help`` order.
LAYERS = ("governance", "testing", "fhir", "service")


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise _Usage(f"{self.prog}: error: {message}")


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1 (the layers' commands use it too)."""
    try:
        value = int(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from error
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def rule_set_path(text: str) -> str:
    """An argparse type: a rule-set path that exists (the layers' commands use it too). A path
    that does not exist is wrong usage (exit 2) for every command; a rule set that is there but
    does not load is invalid rules (exit 1)."""
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(f"no rule set at {text}")
    return text


def _input_options(p: argparse.ArgumentParser) -> None:
    """The options of the commands that read assessments."""
    p.add_argument(
        "--show-values",
        action="store_true",
        help="quote the offending values in problems (patient data: for the person who entered "
        "them, never for logs)",
    )
    p.add_argument(
        "--max-input-bytes",
        type=positive,
        default=MAX_ASSESSMENT_BYTES,
        metavar="N",
        help=f"refuse an assessment (or batch line) larger than this (default: {MAX_ASSESSMENT_BYTES})",
    )


def _evaluate_command(commands: Any, rules_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """The ``evaluate`` subcommand: one assessment, or a batch of them."""
    ev = commands.add_parser("evaluate", help="evaluate an assessment and print the decision")
    rules_option(ev)
    ev.add_argument(
        "assessment",
        nargs="?",
        default="-",
        metavar="ASSESSMENT.json",
        help="the assessment (JSON); '-' or nothing reads standard input",
    )
    ev.add_argument("--format", choices=("json", "text"), default="json", help="output format")
    _input_options(ev)
    ev.add_argument(
        "--batch",
        metavar="INPUT.jsonl",
        help="evaluate one assessment per line of a JSON Lines file ('-' for standard input)",
    )
    ev.add_argument(
        "--output",
        metavar="OUTPUT.jsonl",
        help="with --batch: where the records go, one per line (default: standard output)",
    )
    ev.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="with --batch: worker processes (default and most: one per CPU core available)",
    )
    compact = ev.add_mutually_exclusive_group()
    compact.add_argument(
        "--fields",
        metavar="PATH,...",
        help="with --batch: each record's decision holds only these dotted paths of its JSON, "
        "e.g. recommendations.intervention,trace.fired",
    )
    compact.add_argument(
        "--summary",
        action="store_true",
        help="with --batch: compact decisions (digest, ranked interventions with strengths, "
        "cautions' and alerts' rules and severities, not-recommended rules, fired rules)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="intervention-rules",
        description="Evaluate self-harm assessments against a rule set of intervention recommendations. "
        "Decision support for qualified professionals; not a substitute for clinical judgement.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def rules_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--rules",
            type=rule_set_path,
            metavar="PATH",
            help="rule set directory or file (default: the bundled set)",
        )

    _evaluate_command(commands, rules_option)
    va = commands.add_parser("validate", help="check a rule set and report every problem")
    rules_option(va)

    ex = commands.add_parser("explain", help="explain why an intervention is or is not recommended")
    rules_option(ex)
    ex.add_argument(
        "assessment", metavar="ASSESSMENT.json", help="the assessment (JSON); '-' for standard input"
    )
    ex.add_argument("intervention", help="intervention id, e.g. family_therapy")
    ex.add_argument("--format", choices=("json", "text"), default="text", help="output format")
    _input_options(ex)

    for layer in LAYERS:
        importlib.import_module(f".{layer}._cli", __package__).register(commands, rules_option)
    return parser


def _invalid(message: str, code: str) -> AssessmentError:
    return AssessmentError([AssessmentProblem("", message, code=code)])


def _read_json(source: str, stdin: TextIO | None, limit: int) -> Any:
    """Read an assessment: strict UTF-8 (a byte-order mark is allowed), strict JSON, at most
    ``limit`` bytes (reading stops there)."""
    try:
        if source == "-":
            if stdin is None or stdin.closed:
                raise _Usage("standard input is closed; give the assessment as a file")
            data = read_limited(getattr(stdin, "buffer", stdin), limit)
        else:
            try:
                with open(source, "rb") as handle:
                    data = read_limited(handle, limit)
            except OSError as error:
                raise _Usage(f"cannot read {source}: {error.strerror}") from error
        return parse_json(data, limit=limit)
    except UnreadableJSON as error:
        raise _invalid(str(error), error.code) from error


def _count(number: int, noun: str) -> str:
    """``1 file``, ``2 files``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _write_json(data: Any, out: TextIO) -> None:
    out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _run(args: argparse.Namespace, stdin: TextIO | None, stdout: TextIO, stderr: TextIO) -> int:
    """Run the chosen command: a layer's through its handler, the core's here."""
    handler = getattr(args, "handler", None)
    if handler is not None:
        return int(handler(args, stdin, stdout, stderr))
    if args.command == "validate":
        ruleset = load_ruleset(args.rules)
        live = ruleset.live_rules
        drafts = sum(1 for r in live if r.status == "draft")
        stdout.write(
            f"{ruleset.name} {ruleset.version}: valid; {_count(len(ruleset.rules), 'rule')} "
            f"({len(live) - drafts} active, {drafts} draft, {len(ruleset.rules) - len(live)} retired), "
            f"{_count(len(ruleset.interventions), 'intervention')}, {_count(len(ruleset.files), 'file')}; "
            f"{ruleset.digest}\n"
        )
        return EXIT_OK
    if args.command == "evaluate" and (
        args.batch is not None or args.output or args.workers or args.fields or args.summary
    ):
        from .scale._cli import run_batch

        return run_batch(args, stdin, stdout, stderr)
    ruleset = load_ruleset(args.rules)
    assessment = _read_json(args.assessment, stdin, args.max_input_bytes)
    try:
        if args.command == "evaluate":
            decision = ruleset.evaluate(assessment)
            if args.format == "text":
                stdout.write(decision.to_text() + "\n")
            else:
                _write_json(decision.to_dict(), stdout)
            return EXIT_OK
        explanation = ruleset.explain(assessment, args.intervention)
    except UnknownInterventionError as error:
        stderr.write(f"intervention-rules: error: {error}\n")
        return EXIT_USAGE
    except AssessmentError as error:
        if args.show_values:  # asked for: the problems again, quoting the values
            raise AssessmentError(error.values(assessment)) from None
        raise
    if args.format == "json":
        _write_json(explanation.to_dict(), stdout)
    else:
        stdout.write(explanation.to_text() + "\n")
    return EXIT_OK


class _Streams:
    """The streams a run writes to, made safe for the process's own: a closed standard error
    becomes a sink, and the output is UTF-8 whatever the locale."""

    def __init__(self, stdin: TextIO | None, stdout: TextIO | None, stderr: TextIO | None) -> None:
        self.own_stdout = stdout is None
        self.stdin = stdin if stdin is not None else sys.stdin
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        if self.stderr is None:  # started with standard error closed
            self.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
        elif stderr is None and hasattr(self.stderr, "reconfigure"):
            self.stderr.reconfigure(errors="backslashreplace")
        if self.own_stdout and self.stdout is not None and hasattr(self.stdout, "reconfigure"):
            self.stdout.reconfigure(encoding="utf-8")

    def silence_stdout(self) -> None:
        """After the output failed: point the process's standard output at the null device, so
        that the interpreter's own flush at exit fails no more."""
        if not self.own_stdout:
            return
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, AttributeError, ValueError):
            pass


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; returns the exit status. Every failure is a message and an exit
    status, never a traceback: see the module's docstring for the statuses."""
    streams = _Streams(stdin, stdout, stderr)
    err = streams.stderr
    try:
        if streams.stdout is None:
            err.write("intervention-rules: error: standard output is closed\n")
            return EXIT_OUTPUT
        status = _main(argv, streams.stdin, streams.stdout, err)
        streams.stdout.flush()
        return status
    except KeyboardInterrupt:
        err.write("intervention-rules: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        streams.silence_stdout()
        err.write("intervention-rules: the output was closed before everything was written\n")
        return EXIT_OUTPUT
    except OSError as error:  # writing the output failed: a full disk, an I/O error
        streams.silence_stdout()
        err.write(f"intervention-rules: error: cannot write the output: {error.strerror or error}\n")
        return EXIT_OUTPUT
    except RecursionError:
        err.write("intervention-rules: error: the input is nested too deeply\n")
        return EXIT_INVALID


def _main(argv: Sequence[str] | None, stdin: TextIO | None, stdout: TextIO, stderr: TextIO) -> int:
    try:
        args = _parser().parse_args(argv)
    except _Usage as error:
        stderr.write(f"{error}\n")
        return EXIT_USAGE
    except SystemExit as exit_:  # --help and --version
        return int(exit_.code or 0)
    try:
        return _run(args, stdin, stdout, stderr)
    except RuleSetError as error:
        for problem in error.problems:
            stderr.write(f"{problem}\n")
        stderr.write(f"{len(error.problems)} problem(s); the rule set was not loaded\n")
        return EXIT_INVALID
    except AssessmentError as error:
        stderr.write("invalid assessment:\n")
        for item in error.problems:
            stderr.write(f"  {item}\n")
        return EXIT_INVALID
    except _Usage as error:
        stderr.write(f"intervention-rules: error: {error}\n")
        return EXIT_USAGE
    except MissingExtraError as error:
        stderr.write(f"intervention-rules {args.command}: {error}\n")
        return EXIT_USAGE
    except ModuleNotFoundError as error:
        extra = extra_for(error)
        if extra is None:
            return _internal_error(args, error, stderr)
        stderr.write(f"intervention-rules {args.command}: {MissingExtraError(extra, error.name or '')}\n")
        return EXIT_USAGE
    except (OSError, RecursionError):
        raise  # the output could not be written, or the input is nested too deeply: see main()
    except Exception as error:  # noqa: BLE001 - any other exception is a bug: reported without its message
        return _internal_error(args, error, stderr)


def _internal_error(args: argparse.Namespace, error: BaseException, stderr: TextIO) -> int:
    """A bug, reported by the exception's type only: its message and its traceback can quote the
    assessment (an exception's text often holds the value it choked on). A command that reads
    assessments shows the traceback, message included, with ``--show-values``."""
    show = bool(getattr(args, "show_values", False))
    if show:
        import traceback

        stderr.write("".join(traceback.format_exception(error)))
    hidden = "" if show else "; its message and traceback are left out, as they can quote patient data"
    if not show and hasattr(args, "show_values"):
        hidden += " (--show-values shows them)"
    stderr.write(
        f"intervention-rules {args.command}: an internal error ({type(error).__name__}); "
        f"please report it{hidden}\n"
    )
    return EXIT_INTERNAL
