"""Moved to :mod:`intervention_rules.testing`; this name is kept for existing imports."""

from .testing import Mutant, MutantResult, MutationReport, generate_mutants, mutate

__all__ = ["Mutant", "MutantResult", "MutationReport", "generate_mutants", "mutate"]
