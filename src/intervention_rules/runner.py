"""Moved to :mod:`intervention_rules.testing`; this name is kept for existing imports."""

from .testing import SuiteResult, format_decision, format_outcome, run_scenarios

__all__ = ["SuiteResult", "format_decision", "format_outcome", "run_scenarios"]
