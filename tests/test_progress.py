"""Long runs (an impact analysis, mutation testing) draw a progress bar on a terminal and nothing
in a pipe or a file."""

from __future__ import annotations

import io
from pathlib import Path

import intervention_rules as ir
from copies import add_rules, copy_rules
from helpers import TOOLKIT_RULES, TOOLKIT_SCENARIOS, rule
from intervention_rules._progress import progress
from intervention_rules.cli import main
from intervention_rules.testing import load_scenarios, mutate


class Terminal(io.StringIO):
    """What a terminal looks like to a program: a stream that says it is one."""

    def isatty(self) -> bool:
        return True


def test_a_bar_on_a_terminal_and_nothing_elsewhere() -> None:
    shown, piped = Terminal(), io.StringIO()
    assert list(progress(range(7), shown, total=7, what="work", unit="steps")) == list(range(7))
    assert list(progress(range(7), piped, total=7)) == list(range(7))
    assert list(progress(range(7), None)) == list(range(7))
    assert "work: " in shown.getvalue()
    assert "0/7" in shown.getvalue()  # the bar starts at nought of the total
    assert shown.getvalue().endswith("\r")  # and is wiped when done
    assert piped.getvalue() == ""


def test_diff_shows_the_impact_analysis_progressing_on_a_terminal(tmp_path: Path) -> None:
    old, new = copy_rules(tmp_path, "old"), copy_rules(tmp_path, "new")
    add_rules(
        new, rule("ALERT-YOUNG", {"age": {"lt": 16}}, {"alert": {"severity": "info", "text": "Young."}})
    )
    argv = ["diff", str(old), str(new), "--generate", "30", "--format", "json"]
    terminal, out = Terminal(), io.StringIO()
    assert main(argv, stdout=out, stderr=terminal) == 0
    assert "impact: " in terminal.getvalue()
    assert " assessments" in terminal.getvalue()
    quiet = io.StringIO()
    assert main(argv, stdout=io.StringIO(), stderr=quiet) == 0
    assert quiet.getvalue() == ""


def test_mutation_testing_shows_the_mutants_progressing_on_a_terminal() -> None:
    ruleset = ir.load_ruleset(TOOLKIT_RULES)
    files = load_scenarios(TOOLKIT_SCENARIOS, ruleset)
    terminal = Terminal()
    report = mutate(ruleset, files, progress_to=terminal)
    assert f"mutants:   0%|          | 0/{len(report.results)}" in terminal.getvalue()
    quiet = io.StringIO()
    mutate(ruleset, files, progress_to=quiet, only=["remove:"])
    assert quiet.getvalue() == ""
