"""A decision's outline: what an evaluation settles, without a word of text.

Every field of :class:`~.decision.Decision` by the same name, except the texts, explanations and
collaboration prompts, and each in the same order: what a population summary reads. The notes'
outlines are fixed per rule, so they are built once, when the rule set loads.
"""

from __future__ import annotations

from typing import NamedTuple

from .decision import RuleSetInfo

__all__ = ["ConsideredOutline", "NoteOutline", "Outline", "RecommendationOutline", "VetoOutline"]


class NoteOutline(NamedTuple):
    """A caution or alert without its text."""

    rule: str
    severity: str
    status: str


class VetoOutline(NamedTuple):
    """A not-recommended note without its text."""

    intervention: str
    title: str
    rule: str
    status: str


class RecommendationOutline(NamedTuple):
    """A recommendation without its explanations, prompts and cautions' texts."""

    intervention: str
    title: str
    category: str
    rank: int
    strength: float
    cautions: tuple[NoteOutline, ...]


class ConsideredOutline(NamedTuple):
    """An intervention considered, not suggested, without its explanations and cautions' texts."""

    intervention: str
    title: str
    category: str
    strength: float
    cautions: tuple[NoteOutline, ...]


class Outline(NamedTuple):
    """A decision without its words: every field of :class:`~.decision.Decision` by the same
    name except texts, explanations and collaboration prompts, and each in the same order. What a
    population summary reads, settled without making a note or filling a template."""

    ruleset: RuleSetInfo
    recommendations: tuple[RecommendationOutline, ...]
    not_recommended: tuple[VetoOutline, ...]
    considered: tuple[ConsideredOutline, ...]
    alerts: tuple[NoteOutline, ...]
    fired: tuple[str, ...]
