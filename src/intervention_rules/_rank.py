"""Fired rules to a ranked decision.

Strengths aggregate per intervention (sum or max, then adjustments, never below zero);
under ``zero_strength: considered`` an intervention at 0 is set apart as considered, not ranked;
not-recommend wins over recommend; ties are broken by catalogue order; ``never_above``
constraints cap and move what they must and say so.

Three steps, each its own function: :func:`gather` what the fired rules say per intervention,
:func:`aggregate` it into strengths less what is vetoed, and :func:`constrain` the order. What is
recommended, in what order and with what strength is settled here; the words that go with it
(explanations, and the notes: not-recommended, cautions, prompts and alerts) are written when
they are first read (:class:`Notes`, ``Deferred``), from nothing but the assessment and the rules
that fired, so they come out the same whenever they are read.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple, TypeVar, cast

from ._explain import (
    AlertItem,
    CautionItem,
    Deferred,
    Filled,
    Pending,
    PromptItem,
    RulePlan,
    Session,
    VetoItem,
)
from ._outline import ConsideredOutline, NoteOutline, Outline, RecommendationOutline
from .decision import (
    AlertNote,
    CautionNote,
    Collaboration,
    Considered,
    Explanation,
    NotRecommended,
    Recommendation,
    RuleSetInfo,
)
from .model import SEVERITIES, Constraint, Intervention, Rule

__all__ = [
    "Catalogue",
    "Gathered",
    "Outline",
    "Settled",
    "SortedNotes",
    "aggregate",
    "constrain",
    "gather",
    "outline",
    "rank",
    "settle",
    "sort_notes",
]

T = TypeVar("T")
N = TypeVar("N", CautionNote, Collaboration)

_SEVERITY_ORDER: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}


class Catalogue:
    """What ranking needs of a rule set, worked out once at load: the interventions, the
    aggregation, and for each constraint the interventions each side selects."""

    __slots__ = ("aggregate", "constraints", "defaults", "interventions", "zero_strength")

    def __init__(
        self,
        interventions: Mapping[str, Intervention],
        aggregate: str,
        constraints: Sequence[Constraint],
        zero_strength: str,
    ) -> None:
        self.interventions = interventions
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
    rules that write notes, to be read later."""

    __slots__ = ("adjust", "noted", "reasons", "strengths", "vetoed")

    def __init__(self) -> None:
        self.strengths: dict[str, list[float]] = {}
        self.adjust: dict[str, float] = {}
        self.reasons: dict[str, list[Explanation | Pending]] = {}  # explained when first read
        self.vetoed: set[str] = set()
        self.noted: list[RulePlan] = []


def gather(fired: Sequence[RulePlan]) -> Gathered:
    """Every action of every fired rule that bears on the ranking; reasons and notes are kept
    to be written later. (The fired rules' actions are chained in C, so that the work in Python
    is per action, not per rule: a decision can rest on hundreds of fired rules.)"""
    out = Gathered()
    strengths, adjust, reasons = out.strengths, out.adjust, out.reasons
    chained = itertools.chain.from_iterable
    for iv_id, value in chained(map(_STRENGTHS, fired)):
        found = strengths.get(iv_id)
        if found is None:
            strengths[iv_id] = [value]
        else:
            found.append(value)
    for iv_id, by in chained(map(_ADJUSTS, fired)):
        adjust[iv_id] = adjust.get(iv_id, 0.0) + by
    for pending in chained(map(_PENDING, fired)):
        iv_id = pending[1][0]
        found_reasons = reasons.get(iv_id)
        if found_reasons is None:
            reasons[iv_id] = [pending]
        else:
            found_reasons.append(pending)
    out.noted.extend(filter(_NOTES, fired))
    out.vetoed.update(chained(map(_VETOED, fired)))
    return out


_STRENGTHS = operator.attrgetter("strengths")
_ADJUSTS = operator.attrgetter("adjusts")
_PENDING = operator.attrgetter("pending")
_NOTES = operator.attrgetter("notes")
_VETOED = operator.attrgetter("vetoed")


class SortedNotes(NamedTuple):
    """The notes the fired rules make, in the order a decision shows them (each as
    ``RulePlan`` holds it: with its plan, the note or the text to fill, and its outline)."""

    vetoes: list[VetoItem]  # catalogue order, then rule order
    alerts: list[AlertItem]  # worst first, rule order within a severity
    cautions: dict[str, list[CautionItem]]  # by intervention, each as alerts
    prompts: dict[str, list[PromptItem]]  # by intervention, in rule order


def _by_severity(item: AlertItem | CautionItem) -> int:
    return _SEVERITY_ORDER[item[1]]


def _by_catalogue_then_rule(item: VetoItem) -> tuple[int, int]:
    return item[1].order, item[0].rule.order


def _grouped(items: Iterable[tuple[str, T]]) -> dict[str, list[T]]:
    out: dict[str, list[T]] = {}
    for key, item in items:
        found = out.get(key)
        if found is None:
            out[key] = [item]
        else:
            found.append(item)
    return out


def sort_notes(noted: Sequence[RulePlan]) -> SortedNotes:
    """Which notes the fired rules (in rule order) make, and in what order they are shown: the
    one place that decides it, for a decision's notes and for its outline alike."""
    chained = itertools.chain.from_iterable
    vetoes = sorted(chained(map(_VETO_ITEMS, noted)), key=_by_catalogue_then_rule)
    alerts = sorted(chained(map(_ALERT_ITEMS, noted)), key=_by_severity)  # stable: rule order kept
    cautions = _grouped(chained(map(_CAUTION_ITEMS, noted)))
    for found in cautions.values():
        found.sort(key=_by_severity)
    return SortedNotes(vetoes, alerts, cautions, _grouped(chained(map(_PROMPT_ITEMS, noted))))


_VETO_ITEMS = operator.attrgetter("veto_items")
_ALERT_ITEMS = operator.attrgetter("alert_items")
_CAUTION_ITEMS = operator.attrgetter("caution_items")
_PROMPT_ITEMS = operator.attrgetter("prompt_items")


class Notes:
    """A decision's not-recommended notes, cautions, prompts and alerts, taken from the rules that
    fired on the first read of any of them. Not-recommended notes and alerts are made then; an
    intervention's cautions and prompts when they are read (only a recommended or considered
    intervention shows them). A prompt's text is filled when it is made; the other notes' texts
    when each is first read. Texts are filled under the session's lock."""

    __slots__ = ("_alerts", "_catalogue", "_cautions", "_noted", "_prompts", "_session", "_vetoes")

    def __init__(self, noted: Sequence[RulePlan], catalogue: Catalogue, session: Session) -> None:
        self._noted = noted
        self._catalogue = catalogue
        self._session = session
        self._vetoes: tuple[NotRecommended, ...] | None = None
        self._alerts: tuple[AlertNote, ...] = ()
        self._cautions: dict[str, list[CautionItem]] = {}
        self._prompts: dict[str, list[PromptItem]] = {}

    def _take(self) -> None:
        """Sort every note of the fired rules out, making the not-recommended notes and alerts."""
        if self._vetoes is not None:
            return
        with self._session.lock:
            if self._vetoes is not None:
                return
            # Made apart and kept only once all is made: a read that fails half way (an
            # interrupt) leaves nothing behind, and the next read starts again from the start.
            sorted_out = sort_notes(self._noted)
            later = self._unwritten
            vetoes = tuple(
                veto
                if isinstance(veto, NotRecommended)
                else NotRecommended(iv.id, iv.title, plan.rule.id, later(plan, veto), plan.rule.status)
                for plan, iv, veto, _ in sorted_out.vetoes
            )
            alerts = tuple(
                alert
                if isinstance(alert, AlertNote)
                else AlertNote(plan.rule.id, severity, later(plan, alert), plan.rule.status)
                for plan, severity, alert, _ in sorted_out.alerts
            )
            self._cautions, self._prompts = sorted_out.cautions, sorted_out.prompts
            self._alerts = alerts
            self._vetoes = vetoes  # last: it says all is taken

    def _unwritten(self, plan: RulePlan, filled: Filled) -> str:
        """A note's text, filled (under the session's lock) when it is first read: what is ranked
        and which notes there are is settled without writing a word (a population summary reads
        only rule ids and severities)."""
        return cast(str, Deferred(self._session.lock, self._session.fill, plan, *filled))

    def _written(
        self,
        found: Sequence[CautionItem] | Sequence[PromptItem],
        kind: type[N],
        make: Callable[[Rule, str, str], N],
        text: Callable[[RulePlan, Filled], str],
    ) -> list[N]:
        """Each note as it was built at load, or made now: ``make(rule, severity or role,
        text(plan, filled))``."""
        return [
            note if isinstance(note, kind) else make(item[0].rule, item[1], text(item[0], cast(Filled, note)))
            for item in found
            for note in (item[2],)
        ]

    def _filled(self, plan: RulePlan, filled: Filled) -> str:
        """A prompt's text, filled now (prompts are told apart by their texts)."""
        with self._session.lock:
            return self._session.fill(plan, *filled)

    def not_recommended(self) -> tuple[NotRecommended, ...]:
        self._take()
        assert self._vetoes is not None  # set by _take
        return self._vetoes

    def alerts(self) -> tuple[AlertNote, ...]:
        self._take()
        return self._alerts

    def cautions(self, iv_id: str) -> tuple[CautionNote, ...]:
        """An intervention's cautions, worst first, in rule order within a severity (as
        :func:`sort_notes` puts them)."""
        self._take()
        found = self._cautions.get(iv_id)
        if not found:
            return ()
        return tuple(
            self._written(
                found,
                CautionNote,
                lambda rule, severity, text: CautionNote(rule.id, severity, text, rule.status),
                self._unwritten,
            )
        )

    def collaboration(self, iv_id: str) -> tuple[Collaboration, ...]:
        """The intervention's own prompts, then the rules', each (role, prompt) once."""
        self._take()
        defaults = self._catalogue.defaults[iv_id]
        found = self._prompts.get(iv_id)
        if not found:
            return defaults
        prompts = self._written(
            found,
            Collaboration,
            lambda rule, role, text: Collaboration(role, text, rule.id, rule.status),
            self._filled,
        )
        seen: set[tuple[str, str]] = set()
        unique = []
        for c in (*defaults, *prompts):
            if (c.role, c.prompt) not in seen:
                seen.add((c.role, c.prompt))
                unique.append(c)
        return tuple(unique)


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
        order = catalogue.interventions
        zero = sorted((i for i in entries if entries[i] == 0), key=lambda i: order[i].order)
        for iv_id in zero:
            del entries[iv_id]
    return entries, zero


def _order(entries: Mapping[str, float], above: Mapping[str, set[str]], catalogue: Catalogue) -> list[str]:
    """By strength, then constraint placements among equals, then catalogue order."""
    interventions = catalogue.interventions
    by_strength = sorted(entries, key=lambda i: (-entries[i], interventions[i].order))
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
        for position, iv_id in enumerate(ranked):
            if iv_id in upper:
                below = next((i for i in ranked[:position] if i in lower), None)
                if below is not None:
                    return constraint, iv_id, below
                break
    return None


def constrain(
    entries: dict[str, float], reasons: dict[str, list[Explanation | Pending]], catalogue: Catalogue
) -> list[str]:
    """The ranked order after every ``never_above`` constraint holds, capping strengths and
    adding (or updating) a note to the explanations of each intervention moved."""
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
        original, position = first_cap.get(key, (entries[iv_id], len(reasons[iv_id])))
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
            reasons[iv_id][position] = note
        else:
            first_cap[key] = (original, position)
            reasons[iv_id].append(note)
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
    ranked = constrain(entries, gathered.reasons, catalogue)
    return Settled(gathered, entries, ranked, zero)


def rank(fired: Sequence[RulePlan], catalogue: Catalogue, session: Session) -> Ranked:
    """Recommendations, what is not recommended, alerts and what was considered, for the rules
    that fired (in definition order)."""
    gathered, entries, ranked, zero = settle(fired, catalogue)
    interventions, reasons = catalogue.interventions, gathered.reasons
    notes = Notes(gathered.noted, catalogue, session)
    lock, explain = session.lock, session.explanations
    recommendations = tuple(
        Recommendation(
            iv_id,
            interventions[iv_id].title,
            interventions[iv_id].category,
            position,
            entries[iv_id],
            _later(Deferred(lock, explain, reasons[iv_id])),
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
            _later(Deferred(lock, explain, reasons[iv_id])),
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
    notes = sort_notes(gathered.noted)
    interventions, cautions = catalogue.interventions, notes.cautions

    def heads(iv_id: str) -> tuple[NoteOutline, ...]:
        found = cautions.get(iv_id)
        return tuple(map(_OUTLINE, found)) if found else ()

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
