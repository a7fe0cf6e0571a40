"""Moved to :mod:`intervention_rules.scale`; this name is kept for existing imports."""

from .scale import Batch, BatchError, LineResult, result_record

__all__ = ["Batch", "BatchError", "LineResult", "result_record"]
