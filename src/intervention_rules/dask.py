"""Moved to :mod:`intervention_rules.scale.dask`; this name is kept for existing imports."""

from .scale.dask import RuleFiles, decide, evaluate_bag, map_decisions, ruleset_for

__all__ = ["RuleFiles", "decide", "evaluate_bag", "map_decisions", "ruleset_for"]
