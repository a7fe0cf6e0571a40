"""A decision's notes: which the fired rules make, in what order, and each made when first read.

:func:`sort_notes` is the one place that decides which not-recommended notes, alerts, cautions
and prompts a decision shows and in what order, for the decision (:class:`Notes`) and for its
outline alike.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple, TypeVar, cast

from ._explain import AlertItem, CautionItem, Filled, PromptItem, RulePlan, Session, VetoItem
from .decision import AlertNote, CautionNote, Collaboration, NotRecommended
from .model import Rule

if TYPE_CHECKING:
    from ._rank import Catalogue

__all__ = ["Notes", "SortedNotes", "shown_cautions", "sort_notes"]

N = TypeVar("N", CautionNote, Collaboration)


class SortedNotes(NamedTuple):
    """The notes the fired rules make, in the order a decision shows them (each as
    ``RulePlan`` holds it: with its plan, the note or the text to fill, and its outline)."""

    vetoes: list[VetoItem]  # catalogue order, then rule order
    alerts: list[AlertItem]  # worst first, rule order within a severity
    cautions: dict[str, list[CautionItem]]  # by intervention, in rule order: see ``shown_cautions``
    prompts: dict[str, list[PromptItem]]  # by intervention, in rule order (empty if not asked for)


#: An alert's or a caution's sort key (its severity's rank), or a not-recommended note's
#: (catalogue position, then rule position): the last of its item, worked out at load.
_SORT_KEY = operator.itemgetter(4)


def sort_notes(noted: Sequence[RulePlan], *, prompts: bool = True) -> SortedNotes:
    """Which notes the fired rules (in rule order) make, and in what order they are shown: the
    one place that decides it, for a decision's notes and for its outline alike (which asks for
    no prompts). An intervention's cautions are put in order when they are shown."""
    vetoes: list[VetoItem] = []
    alerts: list[AlertItem] = []
    cautions: dict[str, list[CautionItem]] = {}
    told: dict[str, list[PromptItem]] = {}
    for plan in noted:  # one loop reading each plan's slots: faster than chained getters
        if plan.veto_items:
            vetoes.extend(plan.veto_items)
        if plan.alert_items:
            alerts.extend(plan.alert_items)
        for key, caution in plan.caution_items:
            cautions.setdefault(key, []).append(caution)
        if prompts:
            for key, prompt in plan.prompt_items:
                told.setdefault(key, []).append(prompt)
    vetoes.sort(key=_SORT_KEY)
    alerts.sort(key=_SORT_KEY)  # stable: rule order kept within a severity
    return SortedNotes(vetoes, alerts, cautions, told)


def shown_cautions(found: list[CautionItem]) -> list[CautionItem]:
    """An intervention's cautions as shown: worst first, in rule order within a severity."""
    return sorted(found, key=_SORT_KEY) if len(found) > 1 else found


class Notes:
    """A decision's not-recommended notes, cautions, prompts and alerts, taken from the rules that
    fired on the first read of any of them. Not-recommended notes and alerts are written then; an
    intervention's cautions and prompts when they are read (only a recommended or considered
    intervention shows them). Texts are filled under the session's lock. (What reads only rules
    and severities reads a decision's outline instead, which makes no note.)"""

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
        """Sort every note of the fired rules out, writing the not-recommended notes and alerts."""
        if self._vetoes is not None:
            return
        with self._session.lock:
            if self._vetoes is not None:
                return
            # Written apart and kept only once all is written: a read that fails half way (an
            # interrupt) leaves nothing behind, and the next read starts again from the start.
            sorted_out = sort_notes(self._noted)
            fill = self._session.fill
            vetoes = tuple(
                veto
                if isinstance(veto, NotRecommended)
                else NotRecommended(iv.id, iv.title, plan.rule.id, fill(plan, *veto), plan.rule.status)
                for plan, iv, veto, _, _ in sorted_out.vetoes
            )
            alerts = tuple(
                alert
                if isinstance(alert, AlertNote)
                else AlertNote(plan.rule.id, severity, fill(plan, *alert), plan.rule.status)
                for plan, severity, alert, _, _ in sorted_out.alerts
            )
            self._cautions, self._prompts = sorted_out.cautions, sorted_out.prompts
            self._alerts = alerts
            self._vetoes = vetoes  # last: it says all is taken

    def _written(
        self,
        found: Sequence[CautionItem] | Sequence[PromptItem],
        kind: type[N],
        make: Callable[[Rule, str, str], N],
    ) -> list[N]:
        """Each note as it was built at load, or made now with its text filled (under the
        session's lock): ``make(rule, severity or role, text)``."""
        with self._session.lock:
            fill = self._session.fill
            return [
                note
                if isinstance(note, kind)
                else make(item[0].rule, item[1], fill(item[0], *cast(Filled, note)))
                for item in found
                for note in (item[2],)
            ]

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
        found = shown_cautions(found)
        return tuple(
            self._written(
                found,
                CautionNote,
                lambda rule, severity, text: CautionNote(rule.id, severity, text, rule.status),
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
        )
        seen: set[tuple[str, str]] = set()
        unique = []
        for c in (*defaults, *prompts):
            if (c.role, c.prompt) not in seen:
                seen.add((c.role, c.prompt))
                unique.append(c)
        return tuple(unique)
