"""The decision an evaluation returns: ranked recommendations, what is not recommended, alerts.

:meth:`Decision.to_dict` gives the JSON shape documented in the contract; it is tested, not
incidental. :meth:`Decision.to_text` renders it for a reader at a terminal, :meth:`Decision.to_cds_hooks` as
CDS Hooks cards. :class:`Outline` is a decision without its words (``RuleSet.outline``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar

import attrs

from ._cards import OVERRIDE_REASON_SYSTEM, OVERRIDE_REASONS
from ._jsonio import own_copy
from .model import Evidence, Location

if TYPE_CHECKING:
    from .ruleset import RuleSet

__all__ = [
    "OVERRIDE_REASONS",
    "OVERRIDE_REASON_SYSTEM",
    "AlertNote",
    "CautionNote",
    "Collaboration",
    "Considered",
    "ConsideredOutline",
    "Decision",
    "Explanation",
    "NotRecommended",
    "NoteOutline",
    "Outline",
    "Recommendation",
    "RecommendationOutline",
    "RuleSetInfo",
    "VetoOutline",
]


def _number(value: float) -> float:
    return float(value)


def _draft(status: str | None) -> str:
    return ", draft" if status == "draft" else ""


def _caution_line(note: CautionNote) -> str:
    return f"    caution [{note.severity}]: {note.text} ({note.rule}{_draft(note.status)})"


@attrs.frozen
class RuleSetInfo:
    name: str
    version: str
    digest: str

    def to_dict(self) -> dict[str, Any]:
        """Its fields, in order."""
        return {"name": self.name, "version": self.version, "digest": self.digest}


#: Why an explanation is there: a recommendation, an adjustment of its strength, or a ranking
#: constraint that moved it.
ExplanationKind = Literal["recommend", "adjust", "constraint"]


@attrs.frozen
class Explanation:
    """Why an intervention is recommended (or how its strength or rank was changed)."""

    rule: str
    kind: ExplanationKind
    text: str
    contribution: float | None
    matched: dict[str, Any]
    not_recorded: tuple[str, ...]
    facts: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    status: str
    source: Location | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "text": self.text,
            "contribution": self.contribution,
            "matched": own_copy(self.matched),  # a list feature's values are lists: copied too
            "not_recorded": list(self.not_recorded),
            "facts": list(self.facts),
            "evidence": [e.to_dict() for e in self.evidence],
            "status": self.status,
            "source": self.source.to_dict() if self.source else None,
        }


@attrs.frozen
class Collaboration:
    role: str
    prompt: str
    rule: str | None  # None for the intervention's default prompts
    status: str | None = None  # the rule's status; None for the intervention's default prompts

    def to_dict(self) -> dict[str, Any]:
        """Its fields, in order."""
        return {"role": self.role, "prompt": self.prompt, "rule": self.rule, "status": self.status}


@attrs.frozen
class CautionNote:
    rule: str
    severity: str
    text: str
    status: str

    def to_dict(self) -> dict[str, Any]:
        """Its fields, in order."""
        return {"rule": self.rule, "severity": self.severity, "text": self.text, "status": self.status}


T = TypeVar("T")
C = TypeVar("C", bound=type)

#: A tuple as given, or a call that works it out on first use (the same every time): an
#: evaluation settles what is recommended and leaves the words (explanations and notes) to be
#: written when something reads them.
Later = tuple[T, ...] | Callable[[], tuple[T, ...]]


def _resolved(value: Later[T]) -> tuple[T, ...]:
    if isinstance(value, tuple):
        return value
    # A decision built by hand may hold a list (or another sequence) where a tuple is annotated,
    # as the data model always took: read as the tuple it holds, not called.
    return value() if callable(value) else tuple(value)


def _read_settled(cls: C, docs: Mapping[str, str]) -> C:
    """Make each named field of a slotted attrs class read as what it holds settled.

    An evaluation leaves some fields as calls (``Later``) that work the tuple out on first read.
    The field keeps its public name (``attrs.fields``, ``asdict``, ``evolve``, pattern matching,
    pickling, ``==`` and ``repr`` all see it), and its slot is read through ``_resolved``: so
    whatever reads the field gets the tuple, however it reads it.
    """
    for name, doc in docs.items():
        slot = cls.__dict__[name]  # the slot's own descriptor, which stores the value

        def read(self: Any, slot: Any = slot) -> tuple[Any, ...]:
            return _resolved(slot.__get__(self))

        def store(self: Any, value: Any, slot: Any = slot) -> None:
            # reached only as attrs sets a frozen instance's fields (``__init__``, unpickling)
            slot.__set__(self, value)

        setattr(cls, name, property(read, store, doc=doc))
    return cls


@attrs.frozen
class Recommendation:
    intervention: str
    title: str
    category: str
    rank: int
    strength: float
    explanations: tuple[Explanation, ...]
    collaboration: tuple[Collaboration, ...]
    cautions: tuple[CautionNote, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "intervention": self.intervention,
            "title": self.title,
            "category": self.category,
            "rank": self.rank,
            "strength": _number(self.strength),
            "explanations": [e.to_dict() for e in self.explanations],
            "collaboration": [c.to_dict() for c in self.collaboration],
            "cautions": [c.to_dict() for c in self.cautions],
        }


_read_settled(
    Recommendation,
    {
        "explanations": "Why it is recommended, and how its strength or rank was changed, in rule order.",
        "collaboration": "Who to involve: the intervention's own prompts, then the rules', each once.",
        "cautions": "Cautions from the rules that fired, worst first.",
    },
)


@attrs.frozen
class Considered:
    """An intervention some rule recommended whose strength ended at 0 under a rule set that
    declares ``zero_strength: considered``: shown as considered, not suggested, with every reason
    for and against it and its cautions, but not ranked and without collaboration prompts."""

    intervention: str
    title: str
    category: str
    strength: float
    explanations: tuple[Explanation, ...]
    cautions: tuple[CautionNote, ...]

    def to_dict(self) -> dict[str, Any]:
        """A recommendation's JSON shape without ``rank`` and ``collaboration``."""
        card = Recommendation(
            intervention=self.intervention,
            title=self.title,
            category=self.category,
            rank=0,
            strength=self.strength,
            explanations=self.explanations,
            collaboration=(),
            cautions=self.cautions,
        ).to_dict()
        del card["rank"], card["collaboration"]
        return card


_read_settled(
    Considered,
    {
        "explanations": "Every reason for and against it, in rule order.",
        "cautions": "Cautions from the rules that fired, worst first.",
    },
)


@attrs.frozen
class NotRecommended:
    intervention: str
    title: str
    rule: str
    text: str
    status: str

    def to_dict(self) -> dict[str, Any]:
        """Its fields, in order."""
        return {
            "intervention": self.intervention,
            "title": self.title,
            "rule": self.rule,
            "text": self.text,
            "status": self.status,
        }


@attrs.frozen
class AlertNote:
    rule: str
    severity: str
    text: str
    status: str

    def to_dict(self) -> dict[str, Any]:
        """Its fields, in order."""
        return {"rule": self.rule, "severity": self.severity, "text": self.text, "status": self.status}


@attrs.frozen
class Decision:
    """The outcome of evaluating one assessment."""

    ruleset: RuleSetInfo
    recommendations: tuple[Recommendation, ...]
    not_recommended: tuple[NotRecommended, ...]
    alerts: tuple[AlertNote, ...]
    fired: tuple[str, ...]
    considered: tuple[Considered, ...] = ()  # strength 0 under ``zero_strength: considered``

    def recommendation(self, intervention: str) -> Recommendation | None:
        """The recommendation for an intervention, or None if it is not recommended."""
        for rec in self.recommendations:
            if rec.intervention == intervention:
                return rec
        return None

    def to_dict(self) -> dict[str, Any]:
        """The decision in the contract's JSON shape."""
        return {
            "ruleset": self.ruleset.to_dict(),
            "recommendations": [r.to_dict() for r in self.recommendations],
            "not_recommended": [n.to_dict() for n in self.not_recommended],
            "considered": [c.to_dict() for c in self.considered],
            "alerts": [a.to_dict() for a in self.alerts],
            "trace": {"fired": list(self.fired)},
        }

    def to_cds_hooks(self, *, ruleset: RuleSet | None = None) -> list[dict[str, Any]]:
        """The decision as CDS Hooks 2.0 cards, worst indicator first (critical, warning, info):
        within one indicator the alerts, one card per recommendation in rank order (a
        recommendation with a critical or warning caution says so first in its summary), then one
        card for what is not recommended or considered but not suggested.

        Plain JSON-ready dictionaries; each card's ``uuid`` is the same for the same decision.
        Given the rule set that made the decision, alert cards also cite their rule's evidence.
        """
        from ._cards import cards

        return cards(self, ruleset)

    def to_text(self, width: int = 100) -> str:
        """The decision for a reader: ranked, with reasons, prompts and cautions."""
        wrap = textwrap.TextWrapper(width=width, subsequent_indent="      ", break_on_hyphens=False)
        lines = [
            f"Rule set {self.ruleset.name} {self.ruleset.version} ({self.ruleset.digest[:19]}...)",
            "Decision support for a qualified professional; not a substitute for clinical judgement.",
            "",
        ]
        if self.alerts:
            lines.append("ALERTS")
            for a in self.alerts:
                lines.append(wrap.fill(f"  [{a.severity.upper()}] {a.text} ({a.rule}{_draft(a.status)})"))
            lines.append("")
        lines.append("RECOMMENDED (ranked by fit to the assessment; this is not a risk rating)")
        if not self.recommendations:
            lines.append("  (none)")
        for r in self.recommendations:
            lines.append(f"{r.rank:>2}. {r.title} [{r.intervention}, {r.category}] strength {r.strength:g}")
            for e in r.explanations:
                lines.append(wrap.fill(f"    why: {e.text} ({e.rule}{_draft(e.status)})"))
                for ev in e.evidence:
                    lines.append(wrap.fill(f"      evidence: {ev.source} (grade {ev.grade})"))
            lines += [wrap.fill(_caution_line(note)) for note in r.cautions]
            for prompt in r.collaboration:
                source = f" ({prompt.rule}{_draft(prompt.status)})" if prompt.rule else ""
                lines.append(
                    wrap.fill(f"    involve {prompt.role.replace('_', ' ')}: {prompt.prompt}{source}")
                )
        if self.considered:
            lines.append("")
            lines.append("CONSIDERED, NOT SUGGESTED (reasons for and against left no support)")
            for c in self.considered:
                lines.append(f"  - {c.title} [{c.intervention}, {c.category}] strength {c.strength:g}")
                for e in c.explanations:
                    lines.append(wrap.fill(f"    why: {e.text} ({e.rule}{_draft(e.status)})"))
                lines += [wrap.fill(_caution_line(note)) for note in c.cautions]
        if self.not_recommended:
            lines.append("")
            lines.append("NOT RECOMMENDED")
            for n in self.not_recommended:
                lines.append(
                    wrap.fill(f"  - {n.title} [{n.intervention}]: {n.text} ({n.rule}{_draft(n.status)})")
                )
        lines.append("")
        lines.append(f"Rules fired: {', '.join(self.fired) if self.fired else 'none'}")
        lines.append("'draft' marks content from rules not yet confirmed by clinical review.")
        return "\n".join(lines)


_read_settled(
    Decision,
    {
        "not_recommended": "What a rule rules out, in catalogue order, then rule order.",
        "alerts": "Alerts, worst first, in rule order within a severity.",
    },
)


# --- outlines: a decision without its words ---------------------------------------------------


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
    """A decision without its words, from [`RuleSet.outline`][intervention_rules.RuleSet.outline]:
    the fields of [`Decision`][intervention_rules.Decision] by the same names, less the texts,
    explanations and collaboration prompts; each list in the decision's order, with the same
    values. What a population summary reads, settled without making a note or filling a
    template (the notes' outlines are fixed per rule, built when the rule set loads).

    ``recommendations`` hold ``intervention``, ``title``, ``category``, ``rank``, ``strength`` and
    ``cautions``; ``considered`` the same without ``rank``; each caution and alert ``rule``,
    ``severity`` and ``status``; each of ``not_recommended`` ``intervention``, ``title``, ``rule``
    and ``status``. Read them by name: fields may be added, so positions, unpacking and length
    are not part of the API."""

    ruleset: RuleSetInfo
    recommendations: tuple[RecommendationOutline, ...]
    not_recommended: tuple[VetoOutline, ...]
    considered: tuple[ConsideredOutline, ...]
    alerts: tuple[NoteOutline, ...]
    fired: tuple[str, ...]
