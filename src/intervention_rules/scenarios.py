"""Moved to :mod:`intervention_rules.testing`; this name is kept for existing imports."""

from .testing import (
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

__all__ = [
    "SCENARIO_PATTERNS",
    "AcceptedMutant",
    "Expectation",
    "Invariant",
    "Scenario",
    "ScenarioError",
    "ScenarioFile",
    "find_scenario_files",
    "load_scenarios",
    "scenario_schema",
]
