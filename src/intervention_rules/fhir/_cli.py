"""``intervention-rules fhir questionnaire``: the rule set's FHIR Questionnaire.

Nothing of the layer is imported until the command runs; without the ``fhir`` extra the command
says which extra to install and exits 2.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["register", "run"]


def register(commands: Any, rules_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Declare ``fhir`` and its subcommands on the main parser's subparsers."""
    fhir = commands.add_parser("fhir", help="FHIR R4 resources for the rule set (needs the fhir extra)")
    sub = fhir.add_subparsers(dest="fhir_command", required=True, parser_class=type(fhir))
    questionnaire = sub.add_parser(
        "questionnaire", help="print the FHIR Questionnaire generated from the rule set's vocabulary"
    )
    rules_option(questionnaire)
    questionnaire.set_defaults(handler=run)


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Run the command; RuleSetError and MissingExtraError propagate to the caller, which reports them."""
    from ..loading import load_ruleset
    from ._questionnaire import questionnaire

    resource = questionnaire(load_ruleset(args.rules))
    stdout.write(json.dumps(resource, indent=2, ensure_ascii=False) + "\n")
    return 0
