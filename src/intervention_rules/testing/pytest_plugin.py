"""The pytest plugin: scenario files become pytest items, one per scenario.

Registered through the ``pytest11`` entry point, so installing intervention-rules is enough. Only
files whose names match ``ir_scenario_patterns`` (default ``*.scenario.yaml`` and
``*.scenario.yml``) are collected; rule files and other YAML are never touched.

Options (command line, or ini keys in ``pyproject.toml`` / ``pytest.ini``):

- ``--ir-rules PATH`` / ``ir_rules``: the rule set (default: the bundled one). An ini path is
  relative to the ini file's directory, a command-line path to the current directory.
- ``--ir-coverage`` / ``ir_coverage``: print rule and condition coverage at the end.
- ``--ir-min-coverage PCT`` / ``ir_min_coverage``, ``--ir-min-condition-coverage PCT`` /
  ``ir_min_condition_coverage``: fail the session below these coverages.
- ``--ir-mutate`` / ``ir_mutate``: after the tests pass, mutation-test the rule set against every
  scenario of the collected files, and fail the session if a mutant survives.
- ``--ir-show-values`` / ``ir_show_values``: quote the decision's texts and the assessment's values
  in failure reports. Without it a report names interventions, rules, fields and ranks only: a
  rule's text can quote the assessment through its templates, and test logs travel far. The same
  holds for an unexpected exception while a scenario is checked (a bug, not a failed expectation):
  its report names the exception's type, the scenario and where it was raised, but not its message
  nor the traceback's local variables (``--showlocals``), which can hold the assessment; with the
  option it is pytest's usual traceback.

A rule set is loaded only when a scenario file is collected, so the plugin costs next to nothing
in test sessions that have none.
"""

from __future__ import annotations

import fnmatch
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..ruleset import RuleSet
    from ._coverage import CoverageCollector
    from ._expectations import Outcome
    from ._mutation import MutationReport
    from ._scenarios import Invariant, Scenario
    from ._scenarios import ScenarioFile as ScenarioFileData

# Nothing of the library is imported until a scenario file is collected: installing the package
# registers this plugin in every pytest session, and most of them have no scenario files.
_PATTERNS = ["*.scenario.yaml", "*.scenario.yml"]
_RULESET: pytest.StashKey[RuleSet | BaseException] = pytest.StashKey()
_COVERAGE: pytest.StashKey[CoverageCollector] = pytest.StashKey()
_FILES: pytest.StashKey[list[ScenarioFileData]] = pytest.StashKey()
_MUTATION: pytest.StashKey[MutationReport] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("intervention-rules", "intervention-rules scenario files")
    group.addoption(
        "--ir-rules", metavar="PATH", help="rule set for scenario files (default: the bundled one)"
    )
    group.addoption("--ir-coverage", action="store_true", default=None, help="report rule set coverage")
    group.addoption("--ir-min-coverage", metavar="PCT", type=float, help="fail below this rule coverage")
    group.addoption(
        "--ir-min-condition-coverage", metavar="PCT", type=float, help="fail below this condition coverage"
    )
    group.addoption(
        "--ir-mutate",
        action="store_true",
        default=None,
        help="mutation-test the rule set after the tests pass",
    )
    group.addoption(
        "--ir-show-values",
        action="store_true",
        default=None,
        help="quote decision texts and assessment values in failure reports",
    )
    parser.addini("ir_rules", "rule set for scenario files, relative to the ini file", default="")
    parser.addini(
        "ir_scenario_patterns", "file name patterns of scenario files", type="linelist", default=_PATTERNS
    )
    parser.addini("ir_coverage", "report rule set coverage", type="bool", default=False)
    parser.addini("ir_min_coverage", "fail below this rule coverage (percent)", default="")
    parser.addini("ir_min_condition_coverage", "fail below this condition coverage (percent)", default="")
    parser.addini("ir_mutate", "mutation-test the rule set after the tests pass", type="bool", default=False)
    parser.addini(
        "ir_show_values",
        "quote decision texts and assessment values in failure reports",
        type="bool",
        default=False,
    )


def _option(config: pytest.Config, name: str) -> Any:
    value = config.getoption(f"--ir-{name.replace('_', '-')}")
    return value if value is not None else config.getini(f"ir_{name}")


def _threshold(config: pytest.Config, name: str) -> float | None:
    value = _option(config, name)
    return None if value in ("", None) else float(value)


def _rules_path(config: pytest.Config) -> Path | None:
    option: str | None = config.getoption("--ir-rules")
    if option:
        return Path(option)
    ini: str = config.getini("ir_rules")
    if not ini:
        return None
    base = config.inipath.parent if config.inipath else config.rootpath
    return base / ini


def _ruleset(config: pytest.Config) -> RuleSet:
    """The rule set, loaded once per session (a load failure is kept and raised for every file)."""
    if _RULESET not in config.stash:
        from ..errors import RuleSetError
        from ..loading import load_ruleset

        try:
            config.stash[_RULESET] = load_ruleset(_rules_path(config))
        except RuleSetError as error:  # kept and raised for each scenario file, which reports it
            config.stash[_RULESET] = error
    loaded = config.stash[_RULESET]
    if isinstance(loaded, BaseException):
        raise loaded
    return loaded


def _wants_coverage(config: pytest.Config) -> bool:
    return bool(_option(config, "coverage")) or any(
        _threshold(config, n) is not None for n in ("min_coverage", "min_condition_coverage")
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    patterns = parent.config.getini("ir_scenario_patterns")
    if any(fnmatch.fnmatch(file_path.name, p) for p in patterns):
        node: ScenarioFile = ScenarioFile.from_parent(parent, path=file_path)
        return node
    return None


class ScenarioFailed(Exception):
    """A scenario's expectations did not hold."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.scenario.name)
        self.outcome = outcome


class ScenarioFile(pytest.File):
    """A scenario file: one item per scenario."""

    def collect(self) -> list[pytest.Item]:
        from ._scenarios import load_scenarios

        ruleset = _ruleset(self.config)
        (loaded,) = load_scenarios(_relative(self.path, self.config), ruleset)
        self.config.stash.setdefault(_FILES, []).append(loaded)
        return [
            ScenarioItem.from_parent(
                self, name=scenario.name, scenario=scenario, invariants=loaded.invariants, ruleset=ruleset
            )
            for scenario in loaded.scenarios
        ]

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from ..errors import InterventionRulesError

        if isinstance(excinfo.value, InterventionRulesError):
            return str(excinfo.value)
        if bool(_option(self.config, "show_values")) or isinstance(excinfo.value, self.CollectError):
            return super().repr_failure(excinfo)
        doing = f"reading the scenario file {_relative(self.path, self.config)}"
        return _internal_error(excinfo, doing, self.config)


class ScenarioItem(pytest.Item):
    """One scenario: evaluate its assessment and check its expectations."""

    def __init__(
        self,
        *,
        scenario: Scenario,
        invariants: tuple[Invariant, ...],
        ruleset: RuleSet,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.invariants = invariants
        self.ruleset = ruleset

    def runtest(self) -> None:
        from ._expectations import check_scenario

        outcome = check_scenario(self.ruleset, self.scenario, self.invariants)
        if _wants_coverage(self.config) and outcome.decision is not None and outcome.values is not None:
            if _COVERAGE not in self.config.stash:
                from ._coverage import CoverageCollector

                self.config.stash[_COVERAGE] = CoverageCollector(self.ruleset)
            self.config.stash[_COVERAGE].add(outcome.values, outcome.decision)
        if not outcome.passed:
            raise ScenarioFailed(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        show = bool(_option(self.config, "show_values"))
        if isinstance(excinfo.value, ScenarioFailed):
            from ._runner import HIDDEN, format_outcome

            report = format_outcome(self.ruleset, excinfo.value.outcome, show_values=show)
            # pytest's header already names the scenario; the report starts with what was expected.
            report = textwrap.dedent(report.split("\n", 1)[1])
            return report if show else f"{report}\n({HIDDEN}; --ir-show-values quotes them)"
        if show:
            return super().repr_failure(excinfo, style)
        location = self.scenario.location
        checking = (
            f"checking the scenario at {location.file}:{location.line} "
            f"against the rule set {self.ruleset.name} {self.ruleset.version}"
        )
        return _internal_error(excinfo, checking, self.config)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.location.line - 1, f"scenario: {self.name}"


#: Said under the report of an unexpected exception, followed by how to see the whole traceback.
INTERNAL_HIDDEN = (
    "The exception's message and the traceback's variables are left out of failure reports: "
    "they can quote the assessment"
)


def _relative(path: Path, config: pytest.Config) -> Path:
    """The path as the user names it: relative to where pytest was started, when it is below."""
    here = config.invocation_params.dir
    return path.relative_to(here) if path.is_relative_to(here) else path


def _internal_error(excinfo: pytest.ExceptionInfo[BaseException], doing: str, config: pytest.Config) -> str:
    """An unexpected exception without its message or any variable: its type (and those of the
    exceptions it came from), what was being done, and where in the code it was raised."""
    kinds: list[str] = []
    error: BaseException | None = excinfo.value
    while error is not None and len(kinds) < 10:
        kinds.append(type(error).__qualname__)
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    lines = [f"{' from '.join(kinds)}: an unexpected error while {doing} (a bug, not a failed expectation)"]
    # From this module's call into the library on (pytest's and pluggy's frames before it are noise).
    for entry in excinfo.traceback.cut(path=Path(__file__)).filter(excinfo):
        lines.append(f"  {_relative(Path(entry.path), config)}:{entry.lineno + 1} in {entry.name}")
    lines.append(f"({INTERNAL_HIDDEN}; --ir-show-values shows the whole traceback)")
    return "\n".join(lines)


def _shortfalls(config: pytest.Config) -> list[str]:
    if _COVERAGE not in config.stash:
        return []
    report = config.stash[_COVERAGE].report()
    out = []
    rules, conditions = _threshold(config, "min_coverage"), _threshold(config, "min_condition_coverage")
    if rules is not None and report.rule_percent < rules:
        out.append(f"rule coverage {report.rule_percent:g}% is below the minimum {rules:g}%")
    if conditions is not None and report.condition_percent < conditions:
        out.append(f"condition coverage {report.condition_percent:g}% is below the minimum {conditions:g}%")
    return out


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    failed = bool(_shortfalls(config))
    if bool(_option(config, "mutate")) and exitstatus == pytest.ExitCode.OK and config.stash.get(_FILES, []):
        from ._mutation import mutate

        files: list[ScenarioFileData] = config.stash[_FILES]
        report = mutate(_ruleset(config), files)
        config.stash[_MUTATION] = report
        failed = failed or not report.passed
    if failed and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if _COVERAGE in config.stash:
        terminalreporter.section("intervention-rules coverage")
        terminalreporter.write_line(config.stash[_COVERAGE].report().to_text())
        for shortfall in _shortfalls(config):
            terminalreporter.write_line(f"FAILED: {shortfall}", red=True)
    if _MUTATION in config.stash:
        report = config.stash[_MUTATION]
        terminalreporter.section("intervention-rules mutation testing")
        terminalreporter.write_line(report.to_text())
        if not report.passed:
            terminalreporter.write_line(f"FAILED: {len(report.survivors)} mutant(s) survived", red=True)
