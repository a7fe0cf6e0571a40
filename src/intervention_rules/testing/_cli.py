"""``intervention-rules test``: run scenario files, with coverage and mutation testing.

Failure reports name interventions, rules, fields and ranks; the decision's texts and the values
the assessments held are quoted only with ``--show-values``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["register", "run"]


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"a percentage is between 0 and 100, not {text}")
    return value


def register(commands: Any, rules_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Declare ``test`` on the main parser's subparsers (nothing of the layer is imported yet)."""
    parser = commands.add_parser("test", help="run scenario files against the rule set (see docs/testing.md)")
    rules_option(parser)
    parser.set_defaults(handler=run)
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="scenario files, or directories of *.scenario.yaml"
    )
    parser.add_argument("--coverage", action="store_true", help="report rule and condition coverage")
    parser.add_argument(
        "--min-coverage", type=_percent, metavar="PCT", help="fail if fewer than PCT%% of the rules fired"
    )
    parser.add_argument(
        "--min-condition-coverage",
        type=_percent,
        metavar="PCT",
        help="fail if fewer than PCT%% of the condition outcomes (each test true and false) were seen",
    )
    parser.add_argument(
        "--mutate", action="store_true", help="mutation testing: fail if a mutant of the rule set survives"
    )
    parser.add_argument(
        "--mutant",
        action="append",
        default=[],
        metavar="PREFIX",
        help="with --mutate, only the mutants whose id starts with PREFIX (repeatable)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the scenarios that passed too")
    parser.add_argument(
        "--show-values",
        action="store_true",
        help="quote the decision's texts and the assessments' values in failure reports (patient "
        "data when the scenarios hold real assessments: never for logs)",
    )


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Run the command; RuleSetError propagates to the caller, which reports it."""
    from ..loading import load_ruleset
    from ._mutation import mutate
    from ._runner import HIDDEN, format_outcome, run_scenarios
    from ._scenarios import SCENARIO_PATTERNS, ScenarioError, find_scenario_files, load_scenarios

    try:
        paths = find_scenario_files(args.paths)
    except FileNotFoundError as error:
        stderr.write(f"intervention-rules: error: no such file or directory: {error}\n")
        return 2
    if not paths:
        patterns = " or ".join(SCENARIO_PATTERNS)
        stderr.write(f"no scenario files ({patterns}) under {', '.join(args.paths)}\n")
        return 1
    ruleset = load_ruleset(args.rules)
    try:
        files = load_scenarios(paths, ruleset)
    except ScenarioError as error:
        for problem in error.problems:
            stderr.write(f"{problem}\n")
        stderr.write(f"{len(error.problems)} problem(s) in the scenario files; nothing was run\n")
        return 1
    suite = run_scenarios(ruleset, files)
    shortfalls: list[str] = []
    coverage = suite.coverage
    if args.min_coverage is not None and coverage.rule_percent < args.min_coverage:
        shortfalls.append(
            f"rule coverage {coverage.rule_percent:g}% is below the minimum {args.min_coverage:g}%"
        )
    if args.min_condition_coverage is not None and coverage.condition_percent < args.min_condition_coverage:
        shortfalls.append(
            f"condition coverage {coverage.condition_percent:g}% is below the minimum "
            f"{args.min_condition_coverage:g}%"
        )
    report = None
    if args.mutate and suite.passed:
        report = mutate(ruleset, files, fired_in=suite.fired_in(), only=args.mutant, progress_to=stderr)
        if not report.passed:
            shortfalls.append(f"{len(report.survivors)} mutant(s) survived")
    elif args.mutate:
        shortfalls.append("mutation testing was not run: every scenario must pass first")
    show_coverage = args.coverage or args.min_coverage is not None or args.min_condition_coverage is not None
    ok = suite.passed and not shortfalls
    if args.format == "json":
        out: dict[str, Any] = {"ok": ok, **suite.to_dict(show_values=args.show_values)}
        if show_coverage:
            out["coverage"] = coverage.to_dict()
        if report is not None:
            out["mutation"] = report.to_dict()
        out["shortfalls"] = shortfalls
        stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
        return 0 if ok else 1
    for outcome in suite.outcomes:
        if args.verbose or not outcome.passed:
            stdout.write(format_outcome(ruleset, outcome, show_values=args.show_values) + "\n\n")
    if show_coverage:
        stdout.write(coverage.to_text() + "\n\n")
    if report is not None:
        stdout.write(report.to_text() + "\n\n")
    total, failed = len(suite.outcomes), len(suite.failed)
    stdout.write(
        f"{total} scenario{'s' if total != 1 else ''} in {len(files)} file{'s' if len(files) != 1 else ''}: "
        f"{total - failed} passed, {failed} failed ({ruleset.name} {ruleset.version})\n"
    )
    for shortfall in shortfalls:
        stdout.write(f"FAILED: {shortfall}\n")
    if failed and not args.show_values:
        stdout.write(f"{HIDDEN}; --show-values quotes them\n")
    return 0 if ok else 1
