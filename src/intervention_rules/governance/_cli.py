"""The governance subcommands of ``intervention-rules``: schema, lint, report, diff, digest, approve.

:func:`add_commands` declares them on the main parser; :func:`run` executes one and returns the
exit status, or None when the command is not one of these.
"""

from __future__ import annotations

import argparse
import datetime
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..cli import positive as _positive
from ..cli import rule_set_path
from ..errors import Problem, RuleSetError
from ..loading import bundled_rules_path, load_ruleset

if TYPE_CHECKING:
    from ._manifest import Manifest

__all__ = ["COMMANDS", "register", "run"]

COMMANDS = ("schema", "lint", "report", "diff", "digest", "approve")


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from error


def register(commands: Any, rules_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Declare the governance subcommands on the main parser's subparsers.

    Nothing of the layer is imported until a command runs.
    """

    def manifest_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--manifest",
            metavar="FILE",
            help="the manifest (default: manifest.json in the rule-set directory, "
            "or NAME.manifest.json beside a single file)",
        )

    def today_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--today", type=_date, metavar="DATE", help="the date to judge review dates by (default: today)"
        )

    def output_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")

    sc = commands.add_parser("schema", help="print the JSON Schema of rule files (or of manifests)")
    sc.add_argument("--manifest", action="store_true", help="print the manifest's schema instead")

    li = commands.add_parser(
        "lint",
        help="governance findings: review dates, conflicts, unreachable rules, unused names",
        epilog="exit status: 0 when no finding is worse than info, 3 when the worst is a warning, "
        "1 for an error or rules that do not load, 2 for wrong usage",
    )
    rules_option(li)
    today_option(li)
    manifest_option(li)
    li.add_argument("--format", choices=("text", "json"), default="text", help="output format")

    re_ = commands.add_parser("report", help="the reviewer's rule book, as self-contained HTML or Markdown")
    rules_option(re_)
    re_.add_argument("--format", choices=("html", "md"), default="html", help="output format")
    re_.add_argument(
        "--scenarios",
        nargs="+",
        metavar="PATH",
        help="scenario files (*.scenario.yaml), JSON or JSON Lines assessments, or directories of "
        "them, for coverage",
    )
    today_option(re_)
    manifest_option(re_)
    output_option(re_)

    di = commands.add_parser(
        "diff", help="what changed between two rule-set versions, and its impact on decisions"
    )
    di.add_argument(
        "old", type=rule_set_path, metavar="OLD", help="the approved (old) rule set: directory or file"
    )
    di.add_argument(
        "new", type=rule_set_path, metavar="NEW", help="the proposed (new) rule set: directory or file"
    )
    source = di.add_mutually_exclusive_group()
    source.add_argument(
        "--scenarios",
        nargs="+",
        metavar="PATH",
        help="scenario files (*.scenario.yaml), JSON or JSON Lines assessments, or directories",
    )
    source.add_argument(
        "--generate", type=_positive, metavar="N", help="evaluate N generated assessments (default: 500)"
    )
    di.add_argument("--seed", type=int, default=0, help="seed for generated assessments (default: 0)")
    di.add_argument(
        "--show-values",
        action="store_true",
        help="quote the assessments read from JSON or JSON Lines files in the changed decisions "
        "(they may be real people's: for a governance group's own use, never for publishing)",
    )
    di.add_argument("--format", choices=("text", "json", "html"), default="text", help="output format")
    output_option(di)

    dg = commands.add_parser(
        "digest", help="print the rule set's content digest, checked against its manifest"
    )
    rules_option(dg)
    manifest_option(dg)
    dg.add_argument("--no-manifest", action="store_true", help="do not compare with a manifest")

    ap = commands.add_parser("approve", help="record approval of the rule set as it is now, in its manifest")
    rules_option(ap)
    manifest_option(ap)
    ap.add_argument("--by", required=True, metavar="WHO", help="who approves (name and role)")
    ap.add_argument("--on", type=_date, metavar="DATE", help="date of approval (default: today)")
    ap.add_argument(
        "--reviewed", metavar="TEXT", help="what was reviewed (e.g. the diff, impact and rule book)"
    )
    for parser in (sc, li, re_, di, dg, ap):
        parser.set_defaults(handler=run)


def _rules_root(path: str | None) -> Path:
    return bundled_rules_path() if path is None else Path(path)


def _manifest_file(args: argparse.Namespace) -> Path:
    from ._manifest import manifest_path

    return Path(args.manifest) if args.manifest else manifest_path(_rules_root(args.rules))


def _write(text: str, args: argparse.Namespace, stdout: TextIO) -> None:
    if getattr(args, "output", None):
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        stdout.write(text)


def _optional_manifest(args: argparse.Namespace) -> Manifest | None:
    from ._manifest import ManifestError, read_manifest

    where = _manifest_file(args)
    if where.exists():
        return read_manifest(where)
    if args.manifest:
        raise ManifestError([Problem("no manifest at this path", file=str(where), code="IR401")])
    return None


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Run one governance command; RuleSetError and its kind propagate to the caller."""
    from ..testing import ScenarioError
    from ._manifest import ManifestError

    try:
        return int(_HANDLERS[args.command](args, stdout, stderr))
    except (ScenarioError, ManifestError) as error:
        for problem in error.problems:
            stderr.write(f"{problem}\n")
        what = "the scenario files" if isinstance(error, ScenarioError) else "the manifest"
        stderr.write(f"{len(error.problems)} problem(s) in {what}\n")
        return 1
    except OSError as error:
        if error.filename is None:  # writing failed (a full disk, a closed pipe): exit 74 from main
            raise
        # a path that cannot be opened: --output, or approve's manifest
        stderr.write(f"intervention-rules: error: cannot write {error.filename}: {error.strerror}\n")
        return 2


def _schema(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    name = "manifest.schema.json" if args.manifest else "rule-file.schema.json"
    stdout.write(
        resources.files("intervention_rules").joinpath(f"schemas/{name}").read_text(encoding="utf-8")
    )
    return 0


def _lint(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from ._lint import lint

    result = lint(args.rules, today=args.today, manifest=args.manifest)
    if result.ruleset is None:  # the rule set does not load: problems on stderr, as everywhere
        raise RuleSetError(
            Problem(f.message, file=f.file, line=f.line, column=f.column, rule=f.rule, code=f.code)
            for f in result.findings
        )
    if args.format == "json":
        stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        stdout.write(result.to_text() + "\n")
    return result.exit_status


def _report(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from ._report import rule_book
    from ._scenarios import read_assessments

    scenarios = read_assessments(args.scenarios) if args.scenarios else None
    text = rule_book(
        args.rules, format=args.format, scenarios=scenarios, today=args.today, manifest=args.manifest
    )
    _write(text, args, stdout)
    return 0


def _diff(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from ._diff import diff_rulesets, impact, render_diff
    from ._scenarios import generate, read_assessments, rule_examples

    old, new = load_ruleset(args.old), load_ruleset(args.new)
    changes = diff_rulesets(old, new)
    if args.scenarios:
        scenarios, source = read_assessments(args.scenarios), "scenario files"
    else:
        count = args.generate or 500
        examples = rule_examples(old, new)
        scenarios = examples + generate(new, count, seed=args.seed, also=[old])
        source = (
            f"{len(examples)} assessments that each fire one rule of either version, "
            f"and {count} generated assessments (seed {args.seed})"
        )
    effects = impact(old, new, scenarios, source, progress_to=stderr, show_values=args.show_values)
    _write(render_diff(changes, effects, args.format), args, stdout)
    return 0


def _digest(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from ._manifest import ManifestError, manifest_problems

    ruleset = load_ruleset(args.rules)
    if not args.no_manifest:
        where = _manifest_file(args)
        record = _optional_manifest(args)
        if record is not None:
            problems = manifest_problems(ruleset, record, str(where))
            if problems:
                raise ManifestError(problems)
            stderr.write(f"matches {where}: approved by {record.approval.by} on {record.approval.on}\n")
    stdout.write(ruleset.digest + "\n")
    return 0


def _approve(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from ._lint import SEVERITIES, lint_ruleset
    from ._manifest import Manifest, write_manifest

    root = _rules_root(args.rules)
    ruleset = load_ruleset(root)
    on = args.on or datetime.date.today()
    result = lint_ruleset(ruleset, root, today=on, approved=True)
    errors = [f for f in result.findings if f.severity == "error"]
    if errors:
        for f in errors:
            stderr.write(f"{f}\n")
        stderr.write(
            f"{len(errors)} error finding(s): fix them before approving; the manifest was not written\n"
        )
        return 1
    record = Manifest.for_ruleset(ruleset, args.by, on, args.reviewed)
    where = _manifest_file(args)
    write_manifest(where, record)
    stdout.write(f"approved {ruleset.name} {ruleset.version} ({ruleset.digest}) in {where}\n")
    for severity in SEVERITIES[1:]:
        count = result.count(severity)
        if count:
            stderr.write(f"note: {count} {severity} finding(s) remain; see 'intervention-rules lint'\n")
    return 0


_HANDLERS: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], int]] = {
    "schema": _schema,
    "lint": _lint,
    "report": _report,
    "diff": _diff,
    "digest": _digest,
    "approve": _approve,
}
