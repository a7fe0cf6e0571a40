"""Fired rules to a ranked decision.

Strengths aggregate per intervention (sum or max, then adjustments, never below zero);
under ``zero_strength: considered`` an intervention at 0 is set apart as considered, not ranked;
not-recommend wins over recommend; ties are broken by catalogue order; ``never_above``
constraints cap and move what they must and say so.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence

from .decision import (
    AlertNote,
    CautionNote,
    Collaboration,
    Considered,
    Explanation,
    NotRecommended,
    Recommendation,
)
from .model import (
    SEVERITIES,
    Adjust,
    Alert,
    Caution,
    Collaborate,
    Constraint,
    Intervention,
    NotRecommend,
    Recommend,
    Rule,
)

__all__ = ["rank"]

Explain = Callable[[Rule, str, str, float | None], Explanation]
Render = Callable[[Rule, str], str]

_SEVERITY_ORDER: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}


def rank(
    fired: Sequence[Rule],
    interventions: Mapping[str, Intervention],
    aggregate: str,
    constraints: Iterable[Constraint],
    explain: Explain,
    render: Render,
    zero_strength: str = "ranked",
) -> tuple[
    tuple[Recommendation, ...], tuple[NotRecommended, ...], tuple[AlertNote, ...], tuple[Considered, ...]
]:
    strengths: dict[str, list[float]] = {}
    adjust: dict[str, float] = {}
    reasons: dict[str, list[Explanation]] = {}
    vetoes: list[tuple[Intervention, Rule, NotRecommend]] = []
    cautions: dict[str, list[CautionNote]] = {}
    prompts: dict[str, list[Collaboration]] = {}
    alerts: list[AlertNote] = []

    for rule in fired:
        for action in rule.then:
            if isinstance(action, Recommend):
                strengths.setdefault(action.intervention, []).append(action.strength)
                reasons.setdefault(action.intervention, []).append(
                    explain(rule, "recommend", render(rule, action.text), action.strength)
                )
            elif isinstance(action, Adjust):
                adjust[action.intervention] = adjust.get(action.intervention, 0.0) + action.by
                reasons.setdefault(action.intervention, []).append(
                    explain(rule, "adjust", render(rule, action.text), action.by)
                )
            elif isinstance(action, NotRecommend):
                vetoes.append((interventions[action.intervention], rule, action))
            elif isinstance(action, Caution):
                cautions.setdefault(action.intervention, []).append(
                    CautionNote(rule.id, action.severity, render(rule, action.text), rule.status)
                )
            elif isinstance(action, Collaborate):
                prompts.setdefault(action.intervention, []).append(
                    Collaboration(action.role, render(rule, action.prompt), rule.id, rule.status)
                )
            elif isinstance(action, Alert):
                alerts.append(AlertNote(rule.id, action.severity, render(rule, action.text), rule.status))

    vetoed = {iv.id for iv, _, _ in vetoes}
    entries: dict[str, float] = {}
    for iv_id, values in strengths.items():
        if iv_id in vetoed:
            continue
        base = sum(values) if aggregate == "sum" else max(values)
        entries[iv_id] = max(0.0, base + adjust.get(iv_id, 0.0))
    zero = sorted(
        (i for i in entries if zero_strength == "considered" and entries[i] == 0),
        key=lambda i: interventions[i].order,
    )
    for iv_id in zero:
        del entries[iv_id]

    above: dict[str, set[str]] = {}  # intervention -> those a constraint placed above it
    first_cap: dict[tuple[str, str, str], tuple[float, int]] = {}  # strength before, note position

    def order() -> list[str]:
        """By strength, then constraint placements among equals, then catalogue order."""
        ranked: list[str] = []
        by_strength = sorted(entries, key=lambda i: (-entries[i], interventions[i].order))
        for _, group in itertools.groupby(by_strength, key=entries.__getitem__):
            waiting = list(group)
            while waiting:
                pending = set(waiting)
                pick = next((i for i in waiting if not above.get(i, set()) & pending), waiting[0])
                waiting.remove(pick)
                ranked.append(pick)
        return ranked

    # Each round fixes one violation; a fixed pair stays fixed and strengths only fall, so this
    # ends (the bound is a guard, far above what a catalogue can need).
    ranked = order()
    for _ in range((len(entries) + 1) ** 3):
        violation = None
        for constraint in constraints:
            uppers = [i for i in ranked if constraint.upper.selects(interventions[i])]
            if uppers:
                best = uppers[0]
                lower = [
                    i for i in ranked[: ranked.index(best)] if constraint.lower.selects(interventions[i])
                ]
                if lower:
                    violation = (constraint, best, lower[0])
                    break
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
        ranked = order()

    def notes(iv_id: str) -> tuple[CautionNote, ...]:
        return tuple(sorted(cautions.get(iv_id, []), key=lambda c: _SEVERITY_ORDER[c.severity]))

    recommendations = []
    for position, iv_id in enumerate(ranked, start=1):
        iv = interventions[iv_id]
        collaboration = [Collaboration(p.role, p.prompt, None) for p in iv.collaboration]
        collaboration += prompts.get(iv_id, [])
        seen: set[tuple[str, str]] = set()
        unique = []
        for c in collaboration:
            if (c.role, c.prompt) not in seen:
                seen.add((c.role, c.prompt))
                unique.append(c)
        recommendations.append(
            Recommendation(
                intervention=iv_id,
                title=iv.title,
                category=iv.category,
                rank=position,
                strength=entries[iv_id],
                explanations=tuple(reasons[iv_id]),
                collaboration=tuple(unique),
                cautions=notes(iv_id),
            )
        )
    considered = tuple(
        Considered(
            iv_id,
            interventions[iv_id].title,
            interventions[iv_id].category,
            0.0,
            tuple(reasons[iv_id]),
            notes(iv_id),
        )
        for iv_id in zero
    )
    vetoes.sort(key=lambda v: (v[0].order, v[1].order))
    not_recommended = tuple(
        NotRecommended(iv.id, iv.title, rule.id, render(rule, action.text), rule.status)
        for iv, rule, action in vetoes
    )
    alerts.sort(key=lambda a: _SEVERITY_ORDER[a.severity])
    return tuple(recommendations), not_recommended, tuple(alerts), considered
