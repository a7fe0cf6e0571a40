"""Moved to :mod:`intervention_rules.testing`; this name is kept for existing imports."""

from .testing import ConditionCoverage, CoverageCollector, CoverageReport, RuleCoverage, condition_tests

__all__ = ["ConditionCoverage", "CoverageCollector", "CoverageReport", "RuleCoverage", "condition_tests"]
