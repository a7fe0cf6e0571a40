"""Testing a rule set: scenario files, expectations, coverage, mutation testing, property testing.

The scenario runner, coverage and mutation testing need only the core library. The property
testing helpers ([`assessments`][intervention_rules.testing.assessments],
[`check_decision`][intervention_rules.testing.check_decision], ...) need hypothesis
(``pip install 'intervention-rules[testing]'``). Every name is imported on first use, so
importing this package costs nothing. The pytest plugin is
[`intervention_rules.testing.pytest_plugin`][intervention_rules.testing.pytest_plugin].
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import exports

if TYPE_CHECKING:
    from ._coverage import ConditionCoverage, CoverageCollector, CoverageReport, RuleCoverage, condition_tests
    from ._expectations import Failure, Outcome, check_scenario
    from ._mutation import Mutant, MutantResult, MutationReport, generate_mutants, mutate
    from ._properties import (
        Invalid,
        assessments,
        check_constraints,
        check_decision,
        check_deterministic,
        check_explained,
        check_invariants,
        check_not_recommended_excluded,
        check_ranking,
        check_rejected,
        invalid_assessments,
        load_invariants,
    )
    from ._runner import SuiteResult, format_decision, format_outcome, run_scenarios
    from ._scenarios import (
        SCENARIO_PATTERNS,
        AcceptedMutant,
        Expectation,
        Invariant,
        Scenario,
        ScenarioError,
        ScenarioFile,
        find_scenario_files,
        load_scenarios,
        scenario_schema,
    )

__getattr__ = exports(
    __name__,
    {
        "AcceptedMutant": "._scenarios",
        "ConditionCoverage": "._coverage",
        "CoverageCollector": "._coverage",
        "CoverageReport": "._coverage",
        "Expectation": "._scenarios",
        "Failure": "._expectations",
        "Invalid": "._properties",
        "Invariant": "._scenarios",
        "Mutant": "._mutation",
        "MutantResult": "._mutation",
        "MutationReport": "._mutation",
        "Outcome": "._expectations",
        "RuleCoverage": "._coverage",
        "SCENARIO_PATTERNS": "._scenarios",
        "Scenario": "._scenarios",
        "ScenarioError": "._scenarios",
        "ScenarioFile": "._scenarios",
        "SuiteResult": "._runner",
        "assessments": "._properties",
        "check_constraints": "._properties",
        "check_decision": "._properties",
        "check_deterministic": "._properties",
        "check_explained": "._properties",
        "check_invariants": "._properties",
        "check_not_recommended_excluded": "._properties",
        "check_ranking": "._properties",
        "check_rejected": "._properties",
        "check_scenario": "._expectations",
        "condition_tests": "._coverage",
        "find_scenario_files": "._scenarios",
        "format_decision": "._runner",
        "format_outcome": "._runner",
        "generate_mutants": "._mutation",
        "invalid_assessments": "._properties",
        "load_invariants": "._properties",
        "load_scenarios": "._scenarios",
        "mutate": "._mutation",
        "run_scenarios": "._runner",
        "scenario_schema": "._scenarios",
    },
)

__all__ = [
    "SCENARIO_PATTERNS",
    "AcceptedMutant",
    "ConditionCoverage",
    "CoverageCollector",
    "CoverageReport",
    "Expectation",
    "Failure",
    "Invalid",
    "Invariant",
    "Mutant",
    "MutantResult",
    "MutationReport",
    "Outcome",
    "RuleCoverage",
    "Scenario",
    "ScenarioError",
    "ScenarioFile",
    "SuiteResult",
    "assessments",
    "check_constraints",
    "check_decision",
    "check_deterministic",
    "check_explained",
    "check_invariants",
    "check_not_recommended_excluded",
    "check_ranking",
    "check_rejected",
    "check_scenario",
    "condition_tests",
    "find_scenario_files",
    "format_decision",
    "format_outcome",
    "generate_mutants",
    "invalid_assessments",
    "load_invariants",
    "load_scenarios",
    "mutate",
    "run_scenarios",
    "scenario_schema",
]
