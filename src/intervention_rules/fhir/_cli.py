"""The ``intervention-rules fhir`` subcommands: ``fhir questionnaire`` prints the rule set's
FHIR Questionnaire. Heavy modules are imported only when the command runs."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

__all__ = ["register"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def register(subparsers: Any) -> None:
    """Declare ``fhir`` and its subcommands on the main parser's subparsers."""
    fhir = subparsers.add_parser("fhir", help="FHIR R4 resources for the rule set (needs the fhir extra)")
    commands = fhir.add_subparsers(dest="fhir_command", required=True, parser_class=type(fhir))
    qu = commands.add_parser(
        "questionnaire", help="print the FHIR Questionnaire generated from the rule set's vocabulary"
    )
    qu.add_argument("--rules", metavar="PATH", help="rule set directory or file (default: the bundled set)")
    qu.set_defaults(run=_questionnaire)


def _questionnaire(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    import os

    from ..loading import load_ruleset
    from . import EXTRA_HINT, FhirExtraMissing, questionnaire

    if args.rules is not None and not os.path.exists(args.rules):
        stderr.write(f"intervention-rules: error: no rule set at {args.rules}\n")
        return EXIT_USAGE
    ruleset = load_ruleset(args.rules)
    try:
        resource = questionnaire(ruleset)
    except FhirExtraMissing:
        stderr.write(f"intervention-rules: error: 'fhir' needs the fhir extra: {EXTRA_HINT}\n")
        return EXIT_USAGE
    stdout.write(json.dumps(resource, indent=2, ensure_ascii=False) + "\n")
    return EXIT_OK
