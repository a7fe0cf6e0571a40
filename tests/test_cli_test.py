"""``intervention-rules test``, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import TOOLKIT_RULES, TOOLKIT_SCENARIOS, cli_after, write_scenarios

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str | Path, before: str = "") -> subprocess.CompletedProcess[str]:
    """``intervention-rules test`` as a process; ``before``: Python run first in that process (then
    the command line runs as ``python -m intervention_rules`` does)."""
    command = cli_after(before) if before else [sys.executable, "-m", "intervention_rules"]
    return subprocess.run(
        [*command, "test", "--rules", str(TOOLKIT_RULES), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


ONE_FAILURE = """
scenarios:
  - name: adult with depression
    assessment: {age: 30, conditions: [depression]}
    expect:
      ranks: {ssri: {rank: 2}}
"""


def test_a_passing_suite_exits_0_with_a_summary() -> None:
    result = run(TOOLKIT_SCENARIOS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "12 scenarios in 1 file: 12 passed, 0 failed (toolkit-fixture 1.0)\n"
    assert result.stderr == ""


def test_verbose_lists_passing_scenarios_too() -> None:
    result = run("-v", TOOLKIT_SCENARIOS)
    assert result.stdout.count("PASSED ") == 12


def test_a_failing_suite_exits_1_and_shows_why(tmp_path: Path) -> None:
    path = write_scenarios(tmp_path, ONE_FAILURE)
    result = run(path, TOOLKIT_SCENARIOS)
    assert result.returncode == 1
    assert result.stderr == ""
    assert f"FAILED {path}:2: adult with depression\n" in result.stdout
    assert (
        f"  expected ranks: {{ssri: {{rank: 2}}}}   [{path}:5]\n    but ssri is at rank 1, not 2\n"
        in result.stdout
    )
    assert "  explain ssri:\n    SSRI [ssri]: recommended, rank 1, strength 6\n" in result.stdout
    assert "A medicine never ranks above the best psychological intervention" not in result.stdout
    assert result.stdout.endswith(
        "13 scenarios in 2 files: 12 passed, 1 failed (toolkit-fixture 1.0)\n"
        "Texts of decisions and values of assessments are left out of failure reports; "
        "--show-values quotes them\n"
    )


def test_coverage_and_its_thresholds(tmp_path: Path) -> None:
    path = write_scenarios(tmp_path, ONE_FAILURE.replace("rank: 2", "rank: 1"))
    result = run("--coverage", path)
    assert result.returncode == 0
    assert "  rules fired: 2/10 (20%)\n" in result.stdout
    result = run("--min-coverage", "20", "--min-condition-coverage", "60", path)
    assert result.returncode == 1
    assert "FAILED: condition coverage 50% is below the minimum 60%\n" in result.stdout
    assert "FAILED: rule coverage" not in result.stdout
    assert run("--min-coverage", "21", path).stdout.endswith(
        "FAILED: rule coverage 20% is below the minimum 21%\n"
    )
    full = run("--min-coverage", "100", "--min-condition-coverage", "100", TOOLKIT_SCENARIOS)
    assert full.returncode == 0
    assert "  condition outcomes seen (each test true and false): 28/28 (100%)" in full.stdout


def test_mutation_testing_passes_fails_or_is_refused(tmp_path: Path) -> None:
    result = run("--mutate", TOOLKIT_SCENARIOS)
    assert result.returncode == 0
    assert result.stdout.startswith(
        "Mutation testing: 51 mutants, 51 killed, 0 survived, 0 accepted survivors"
    )
    weak = write_scenarios(tmp_path, ONE_FAILURE.replace("rank: 2", "rank: 1"), "weak.scenario.yaml")
    result = run("--mutate", weak)
    assert result.returncode == 1
    assert (
        "  SURVIVED (no scenario notices this change; test it, or accept it with a reason):\n"
        in result.stdout
    )
    assert "    remove:GROUP-ADULT\n      remove rule GROUP-ADULT" in result.stdout
    assert "FAILED: " in result.stdout
    assert "mutant(s) survived" in result.stdout
    failing = write_scenarios(tmp_path, ONE_FAILURE, "failing.scenario.yaml")
    result = run("--mutate", failing)
    assert result.returncode == 1
    assert "FAILED: mutation testing was not run: every scenario must pass first\n" in result.stdout


def test_json_output(tmp_path: Path) -> None:
    path = write_scenarios(tmp_path, ONE_FAILURE)
    result = run("--format", "json", "--coverage", "--mutate", path)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["failed"] == 1
    assert data["results"][0]["failures"][0]["message"] == "ssri is at rank 1, not 2"
    assert data["coverage"]["rules"]["fired"] == 2
    assert "mutation" not in data
    assert data["shortfalls"] == ["mutation testing was not run: every scenario must pass first"]
    passing = json.loads(run("--format", "json", "--mutate", TOOLKIT_SCENARIOS).stdout)
    assert passing["ok"] is True
    assert passing["mutation"]["killed"] == 51


def test_an_invalid_scenario_file_exits_1_with_problems_on_stderr(tmp_path: Path) -> None:
    path = write_scenarios(tmp_path, ONE_FAILURE.replace("ssri", "sssri"))
    result = run(path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"{path}:5:22: unknown intervention 'sssri'; did you mean 'ssri'? (at "
        "scenarios[0].expect.ranks.sssri) [IR501]\n"
        "1 problem(s) in the scenario files; nothing was run\n"
    )


def test_an_invalid_rule_set_exits_1(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "intervention_rules",
            "test",
            "--rules",
            "tests/fixtures/invalid",
            str(TOOLKIT_SCENARIOS),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "the rule set was not loaded" in result.stderr


def test_wrong_usage_and_missing_files(tmp_path: Path) -> None:
    missing = run(tmp_path / "nope.scenario.yaml")
    assert missing.returncode == 2
    assert "no such file or directory" in missing.stderr
    assert run("--min-coverage", "101", TOOLKIT_SCENARIOS).returncode == 2
    assert run().returncode == 2
    empty = run(tmp_path)
    assert empty.returncode == 1
    assert empty.stderr == f"no scenario files (*.scenario.yaml or *.scenario.yml) under {tmp_path}\n"


BROKEN_ENGINE = """
from intervention_rules.ruleset import RuleSet


def evaluate(self, assessment, **options):
    raise RuntimeError(f"the engine stopped on {assessment!r}")


RuleSet.evaluate = evaluate
"""
DISTRESS = "9.375"  # the assessment's value, to be kept out of the report unless asked for


def test_an_internal_error_is_one_line_without_the_message_and_exits_70(tmp_path: Path) -> None:
    """A bug while the scenarios run (here: evaluation raises, its message quoting the assessment,
    as an exception's message may) is reported by the exception's type alone, with exit status 70;
    --show-values adds the traceback, message included."""
    path = write_scenarios(tmp_path, ONE_FAILURE.replace("conditions: [depression]", f"distress: {DISTRESS}"))
    result = run(path, before=BROKEN_ENGINE)
    assert result.returncode == 70
    assert result.stdout == ""
    assert DISTRESS not in result.stderr
    assert result.stderr == (
        "intervention-rules test: an internal error (RuntimeError); please report it; its message "
        "and traceback are left out, as they can quote patient data (--show-values shows them)\n"
    )
    shown = run("--show-values", path, before=BROKEN_ENGINE)
    assert shown.returncode == 70
    assert shown.stderr.startswith("Traceback (most recent call last):\n")
    assert f"RuntimeError: the engine stopped on {{'age': 30, 'distress': {DISTRESS}}}\n" in shown.stderr
    assert shown.stderr.endswith(
        "intervention-rules test: an internal error (RuntimeError); please report it\n"
    )
