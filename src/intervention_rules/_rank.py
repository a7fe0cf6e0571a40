"""Fired rules to a ranked decision.

Strengths aggregate per intervention (sum or max, then adjustments, never below zero);
under ``zero_strength: considered`` an intervention at 0 is set apart as considered, not ranked;
not-recommend wins over recommend; ties are broken by catalogue order; ``never_above``
constraints cap and move what they must and say so.

Three steps, each its own function: :func:`gather` what the fired rules say per intervention,
:func:`aggregate` it into strengths less what is vetoed, and :func:`constrain` the order
(:func:`settle` runs the three). What is recommended, in what order and with what strength is
settled here; the words that go with it (explanations, and the notes: not-recommended, cautions,
prompts and alerts) are written when they are first read (``_notes.Notes``, ``Deferred``), from
nothing but the assessment and the rules that fired, so they come out the same whenever they are
read. :func:`rank` makes the decision's parts, :func:`outline` the same without the words.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Mapping, Sequence
from typing import NamedTuple, TypeVar, cast

from ._explain import Deferred, Pending, RulePlan, Session
from ._notes import Notes, shown_cautions, sort_notes
from .decision import (
    AlertNote,
    Collaboration,
    Considered,
    ConsideredOutline,
    Explanation,
    NoteOutline,
    NotRecommended,
    Outline,
    Recommendation,
    RecommendationOutline,
    RuleSetInfo,
)
from .model import Constraint, Intervention

__all__ = [
    "Catalogue",
    "Gathered",
    "Outline",
    "Settled",
    "aggregate",
    "constrain",
    "gather",
    "outline",
    "rank",
    "settle",
]

T = TypeVar("T")


class Catalogue:
    """What ranking needs of a rule set, worked out once at load: the interventions and each
    one's catalogue position (``order``), the aggregation, for each constraint the interventions
    each side selects, and each intervention's own collaboration prompts (``defaults``)."""

    __slots__ = ("aggregate", "constraints", "defaults", "interventions", "order", "zero_strength")

    def __init__(
        self,
        interventions: Mapping[str, Intervention],
        aggregate: str,
        constraints: Sequence[Constraint],
        zero_strength: str,
    ) -> None:
        self.interventions = interventions
        self.order = {i: iv.order for i, iv in interventions.items()}  # catalogue position
        self.aggregate = aggregate
        self.zero_strength = zero_strength
        self.constraints = tuple(
            (
                c,
                frozenset(i for i, iv in interventions.items() if c.upper.selects(iv)),
                frozenset(i for i, iv in interventions.items() if c.lower.selects(iv)),
            )
            for c in constraints
        )
        # The intervention's own prompts, shared by every decision (the notes are immutable).
        self.defaults = {
            i: tuple(
                {(p.role, p.prompt): Collaboration(p.role, p.prompt, None) for p in iv.collaboration}.values()
            )
            for i, iv in interventions.items()
        }


class Gathered:
    """What the fired rules say about ranking, per intervention, in the order they say it; the
    rules that write notes, to be read later; the notes of constraints that moved an
    intervention (``moved``). Each intervention's reasons are grouped only when its explanations
    are first read (:meth:`reasons`)."""

    __slots__ = ("_grouped", "adjust", "fired", "moved", "noted", "strengths", "vetoed")

    def __init__(self, fired: Sequence[RulePlan]) -> None:
        self.fired = fired
        self.strengths: dict[str, list[float]] = {}
        self.adjust: dict[str, float] = {}
        self.vetoed: set[str] = set()
        self.noted: list[RulePlan] = []
        self.moved: dict[str, list[Explanation]] = {}  # by ``constrain``, in the order it moved them
        self._grouped: dict[str, list[Pending]] | None = None

    def reasons(self, iv_id: str) -> list[Explanation | Pending]:
        """An intervention's reasons (recommend and adjust actions) in rule order, then the notes
        of the constraints that moved it. Call under the decision's lock: the reasons of every
        intervention are grouped on the first call, and kept."""
        grouped = self._grouped
        if grouped is None:
            grouped = {}
            for plan in self.fired:
                for pending in plan.pending:
                    grouped.setdefault(pending[1][0], []).append(pending)  # by the reason's intervention
            self._grouped = grouped
        return [*grouped.get(iv_id, ()), *self.moved.get(iv_id, ())]


def gather(fired: Sequence[RulePlan]) -> Gathered:
    """Every action of every fired rule that bears on the ranking; reasons and notes are kept
    to be written later. One plain loop over the fired rules: a decision can rest on hundreds of
    them, and the interpreter runs a loop reading each plan's slots faster than chained
    ``map``s over attribute getters (measured in ``docs/performance.md``)."""
    out = Gathered(fired)
    strengths, adjust, vetoed, noted = out.strengths, out.adjust, out.vetoed, out.noted
    for plan in fired:
        for iv_id, value in plan.strengths:  # get, not setdefault: no list made per strength
            found = strengths.get(iv_id)
            if found is None:
                strengths[iv_id] = [value]
            else:
                found.append(value)
        if plan.adjusts:
            for iv_id, by in plan.adjusts:
                adjust[iv_id] = adjust.get(iv_id, 0.0) + by
        if plan.notes:  # a veto makes a not-recommended note, so only a noting rule can veto
            noted.append(plan)
            if plan.vetoed:
                vetoed.update(plan.vetoed)
    return out


def aggregate(gathered: Gathered, catalogue: Catalogue) -> tuple[dict[str, float], list[str]]:
    """Strengths by intervention, vetoed ones left out, and (under ``zero_strength:
    considered``) the interventions whose strength ended at 0, set apart in catalogue order."""
    vetoed = gathered.vetoed
    adjust = gathered.adjust
    total = sum if catalogue.aggregate == "sum" else max
    entries: dict[str, float] = {}
    for iv_id, values in gathered.strengths.items():
        if iv_id not in vetoed:
            entries[iv_id] = max(0.0, total(values) + adjust.get(iv_id, 0.0))
    zero: list[str] = []
    if catalogue.zero_strength == "considered":
        zero = sorted([i for i in entries if entries[i] == 0], key=catalogue.order.__getitem__)
        for iv_id in zero:
            del entries[iv_id]
    return entries, zero


def _order(entries: Mapping[str, float], above: Mapping[str, set[str]], catalogue: Catalogue) -> list[str]:
    """By strength, then constraint placements among equals, then catalogue order."""
    # Two stable sorts on keys looked up in C: catalogue order, then strength, highest first
    # (``reverse`` keeps equals in the order they were in).
    by_strength = sorted(entries, key=catalogue.order.__getitem__)
    by_strength.sort(key=entries.__getitem__, reverse=True)
    if not above:
        return by_strength
    ranked: list[str] = []
    for _, group in itertools.groupby(by_strength, key=entries.__getitem__):
        waiting = list(group)
        while waiting:
            pending = set(waiting)
            pick = next((i for i in waiting if not above.get(i, set()) & pending), waiting[0])
            waiting.remove(pick)
            ranked.append(pick)
    return ranked


def _violation(ranked: list[str], catalogue: Catalogue) -> tuple[Constraint, str, str] | None:
    """The first constraint broken: an intervention it keeps lower placed above its best upper."""
    for constraint, upper, lower in catalogue.constraints:
        below = None  # the first intervention the constraint keeps lower, so far
        for iv_id in ranked:
            if iv_id in upper:
                if below is not None:
                    return constraint, iv_id, below
                break
            if below is None and iv_id in lower:
                below = iv_id
    return None


def constrain(
    entries: dict[str, float], moved: dict[str, list[Explanation]], catalogue: Catalogue
) -> list[str]:
    """The ranked order after every ``never_above`` constraint holds, capping strengths and
    adding (or updating) a note to ``moved``, after the explanations of each intervention moved."""
    interventions = catalogue.interventions
    above: dict[str, set[str]] = {}  # intervention -> those a constraint placed above it
    first_cap: dict[tuple[str, str, str], tuple[float, int]] = {}  # strength before, note position
    ranked = _order(entries, above, catalogue)
    if not catalogue.constraints:
        return ranked
    # Each round fixes one violation; a fixed pair stays fixed and strengths only fall, so this
    # ends (the bound is a guard, far above what a catalogue can need).
    for _ in range((len(entries) + 1) ** 3):
        violation = _violation(ranked, catalogue)
        if violation is None:
            break
        constraint, best, iv_id = violation
        key = (iv_id, constraint.id, best)
        notes = moved.setdefault(iv_id, [])
        original, position = first_cap.get(key, (entries[iv_id], len(notes)))
        entries[iv_id] = min(entries[iv_id], entries[best])
        above.setdefault(iv_id, set()).add(best)
        cap = (
            f"; strength capped from {original:g} to {entries[iv_id]:g}" if original > entries[iv_id] else ""
        )
        note = Explanation(
            rule=constraint.id,
            kind="constraint",
            text=f"{constraint.text} Placed below {interventions[best].title}{cap}.",
            contribution=None,
            matched={},
            not_recorded=(),
            facts=(),
            evidence=(),
            status="active",
            source=constraint.location,
        )
        if key in first_cap:  # the same placement again, after another cap: one note, final figures
            notes[position] = note
        else:
            first_cap[key] = (original, position)
            notes.append(note)
        ranked = _order(entries, above, catalogue)
    return ranked


#: What an evaluation returns before it becomes a Decision: recommendations, not recommended,
#: alerts and considered, the notes and explanations left to be written when first read.
Ranked = tuple[
    tuple[Recommendation, ...],
    tuple[NotRecommended, ...],
    tuple[AlertNote, ...],
    tuple[Considered, ...],
]


def _later(part: Deferred[tuple[T, ...]]) -> tuple[T, ...]:
    """A deferred part, given where a decision's field takes a tuple: the decision's classes
    read such a field as the tuple the part works out (``decision._read_settled``)."""
    return cast("tuple[T, ...]", part)


class Settled(NamedTuple):
    """What the fired rules settle: strengths, the ranked order, what was considered."""

    gathered: Gathered
    entries: dict[str, float]  # strength by intervention ranked
    ranked: list[str]
    zero: list[str]  # considered, not suggested (under ``zero_strength: considered``)


def settle(fired: Sequence[RulePlan], catalogue: Catalogue) -> Settled:
    """Gather, aggregate and constrain: the order and strengths, for a decision and its outline."""
    gathered = gather(fired)
    entries, zero = aggregate(gathered, catalogue)
    ranked = constrain(entries, gathered.moved, catalogue)
    return Settled(gathered, entries, ranked, zero)


def rank(fired: Sequence[RulePlan], catalogue: Catalogue, session: Session) -> Ranked:
    """Recommendations, what is not recommended, alerts and what was considered, for the rules
    that fired (in definition order)."""
    gathered, entries, ranked, zero = settle(fired, catalogue)
    interventions = catalogue.interventions
    notes = Notes(gathered.noted, catalogue, session)
    lock, explain = session.lock, session.explanations

    def explained(iv_id: str) -> tuple[Explanation, ...]:
        return explain(gathered.reasons(iv_id))  # under the session's lock (its Deferred's)

    recommendations = tuple(
        Recommendation(
            iv_id,
            interventions[iv_id].title,
            interventions[iv_id].category,
            position,
            entries[iv_id],
            _later(Deferred(lock, explained, iv_id)),
            _later(Deferred(None, notes.collaboration, iv_id)),
            _later(Deferred(None, notes.cautions, iv_id)),
        )
        for position, iv_id in enumerate(ranked, start=1)
    )
    considered = tuple(
        Considered(
            iv_id,
            interventions[iv_id].title,
            interventions[iv_id].category,
            0.0,
            _later(Deferred(lock, explained, iv_id)),
            _later(Deferred(None, notes.cautions, iv_id)),
        )
        for iv_id in zero
    )
    not_recommended = _later(Deferred(None, notes.not_recommended))
    return recommendations, not_recommended, _later(Deferred(None, notes.alerts)), considered


def outline(
    fired: Sequence[RulePlan], catalogue: Catalogue, ruleset: RuleSetInfo, fired_ids: tuple[str, ...]
) -> Outline:
    """The outline of the decision :func:`rank` makes of the same fired rules."""
    gathered, entries, ranked, zero = settle(fired, catalogue)
    notes = sort_notes(gathered.noted, prompts=False)
    interventions, cautions = catalogue.interventions, notes.cautions

    def heads(iv_id: str) -> tuple[NoteOutline, ...]:
        found = cautions.get(iv_id)
        return tuple(map(_OUTLINE, shown_cautions(found))) if found else ()

    return Outline(
        ruleset,
        tuple(
            [
                RecommendationOutline(iv_id, iv.title, iv.category, position, entries[iv_id], heads(iv_id))
                for position, iv_id in enumerate(ranked, start=1)
                for iv in (interventions[iv_id],)
            ]
        ),
        tuple(map(_OUTLINE, notes.vetoes)),
        tuple(
            [
                ConsideredOutline(iv_id, iv.title, iv.category, 0.0, heads(iv_id))
                for iv_id in zero
                for iv in (interventions[iv_id],)
            ]
        ),
        tuple(map(_OUTLINE, notes.alerts)),
        fired_ids,
    )


_OUTLINE = operator.itemgetter(3)
