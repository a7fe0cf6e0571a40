"""Fired rules to a ranked decision.

Strengths aggregate per intervention (sum or max, then adjustments, never below zero);
under ``zero_strength: considered`` an intervention at 0 is set apart as considered, not ranked;
not-recommend wins over recommend; ties are broken by catalogue order; ``never_above``
constraints cap and move what they must and say so.

Three steps, each its own function: :func:`gather` what the fired rules say per intervention,
:func:`aggregate` it into strengths less what is vetoed, and :func:`constrain` the order.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from ._explain import RulePlan, Session
from .decision import (
    AlertNote,
    CautionNote,
    Collaboration,
    Considered,
    Explanation,
    NotRecommended,
    Recommendation,
)
from .model import SEVERITIES, Constraint, Intervention

__all__ = ["Catalogue", "Gathered", "aggregate", "constrain", "gather", "rank"]

_SEVERITY_ORDER: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}

Ranked = tuple[
    tuple[Recommendation, ...], tuple[NotRecommended, ...], tuple[AlertNote, ...], tuple[Considered, ...]
]


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
    """What the fired rules say, per intervention, in the order they say it."""

    __slots__ = ("adjust", "alerts", "cautions", "prompts", "reasons", "strengths", "vetoes")

    def __init__(self) -> None:
        self.strengths: dict[str, list[float]] = {}
        self.adjust: dict[str, float] = {}
        self.reasons: dict[str, list[Explanation]] = {}
        self.vetoes: list[tuple[int, int, NotRecommended]] = []  # catalogue order, rule order, note
        self.cautions: dict[str, list[CautionNote]] = {}
        self.prompts: dict[str, list[Collaboration]] = {}
        self.alerts: list[AlertNote] = []


def gather(fired: Sequence[RulePlan], session: Session) -> Gathered:
    """Every action of every fired rule, texts filled and explanations built."""
    out = Gathered()
    strengths, adjust, reasons = out.strengths, out.adjust, out.reasons
    fill, explain = session.fill, session.explain
    for plan in fired:
        for iv_id, value in plan.strengths:
            strengths.setdefault(iv_id, []).append(value)
        for iv_id, by in plan.adjusts:
            adjust[iv_id] = adjust.get(iv_id, 0.0) + by
        for iv_id, kind, text, parsed, contribution in plan.reasons:
            said = text if parsed is None else fill(plan, text, parsed)
            reasons.setdefault(iv_id, []).append(explain(plan, kind, said, contribution))
        rule = plan.rule
        for iv, veto in plan.vetoes:
            note = veto if isinstance(veto, NotRecommended) else _veto(plan, iv, veto, session)
            out.vetoes.append((iv.order, rule.order, note))
        for iv_id, severity, caution in plan.cautions:
            if isinstance(caution, str):
                caution = CautionNote(rule.id, severity, session.render(plan, caution), rule.status)
            out.cautions.setdefault(iv_id, []).append(caution)
        for iv_id, role, prompt in plan.prompts:
            if isinstance(prompt, str):
                prompt = Collaboration(role, session.render(plan, prompt), rule.id, rule.status)
            out.prompts.setdefault(iv_id, []).append(prompt)
        for severity, alert in plan.alerts:
            if isinstance(alert, str):
                alert = AlertNote(rule.id, severity, session.render(plan, alert), rule.status)
            out.alerts.append(alert)
    return out


def _veto(plan: RulePlan, iv: Intervention, text: str, session: Session) -> NotRecommended:
    rule = plan.rule
    return NotRecommended(iv.id, iv.title, rule.id, session.render(plan, text), rule.status)


def aggregate(gathered: Gathered, catalogue: Catalogue) -> tuple[dict[str, float], list[str]]:
    """Strengths by intervention, vetoed ones left out, and (under ``zero_strength:
    considered``) the interventions whose strength ended at 0, set apart in catalogue order."""
    vetoed = {note.intervention for _, _, note in gathered.vetoes}
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
    entries: dict[str, float], reasons: dict[str, list[Explanation]], catalogue: Catalogue
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


def _collaboration(iv_id: str, gathered: Gathered, catalogue: Catalogue) -> tuple[Collaboration, ...]:
    """The intervention's own prompts, then the rules', each (role, prompt) once."""
    prompts = gathered.prompts.get(iv_id)
    if not prompts:
        return catalogue.defaults[iv_id]
    seen: set[tuple[str, str]] = set()
    unique = []
    for c in (*catalogue.defaults[iv_id], *prompts):
        if (c.role, c.prompt) not in seen:
            seen.add((c.role, c.prompt))
            unique.append(c)
    return tuple(unique)


def _notes(iv_id: str, gathered: Gathered) -> tuple[CautionNote, ...]:
    found = gathered.cautions.get(iv_id)
    return tuple(sorted(found, key=lambda c: _SEVERITY_ORDER[c.severity])) if found else ()


def rank(fired: Sequence[RulePlan], catalogue: Catalogue, session: Session) -> Ranked:
    """Recommendations, what is not recommended, alerts and what was considered, for the rules
    that fired (in definition order)."""
    gathered = gather(fired, session)
    entries, zero = aggregate(gathered, catalogue)
    ranked = constrain(entries, gathered.reasons, catalogue)
    interventions, reasons = catalogue.interventions, gathered.reasons
    recommendations = tuple(
        Recommendation(
            intervention=iv_id,
            title=interventions[iv_id].title,
            category=interventions[iv_id].category,
            rank=position,
            strength=entries[iv_id],
            explanations=tuple(reasons[iv_id]),
            collaboration=_collaboration(iv_id, gathered, catalogue),
            cautions=_notes(iv_id, gathered),
        )
        for position, iv_id in enumerate(ranked, start=1)
    )
    considered = tuple(
        Considered(
            iv_id,
            interventions[iv_id].title,
            interventions[iv_id].category,
            0.0,
            tuple(reasons[iv_id]),
            _notes(iv_id, gathered),
        )
        for iv_id in zero
    )
    gathered.vetoes.sort(key=lambda v: (v[0], v[1]))
    not_recommended = tuple(note for _, _, note in gathered.vetoes)
    alerts = tuple(sorted(gathered.alerts, key=lambda a: _SEVERITY_ORDER[a.severity]))
    return recommendations, not_recommended, alerts, considered
