"""What a fired rule says: its actions prepared once at load, its texts and explanations per decision.

Everything about a rule that does not depend on the assessment is worked out when the rule set
loads (:class:`RulePlan`): which actions it takes on which intervention, which of its texts are
templates, and the notes (cautions, prompts, alerts, not-recommended) whose text is fixed, built
once and shared, since they are immutable. Per evaluation, :class:`Session` fills the templates
and builds the explanations, each text and each rule's explanation inputs worked out once.
"""

from __future__ import annotations

import functools
import string
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from ._validate import MATCHED
from .conditions import matched_values, referenced_facts, referenced_features, show_value
from .decision import (
    AlertNote,
    CautionNote,
    Collaboration,
    Explanation,
    ExplanationKind,
    NoteOutline,
    NotRecommended,
    VetoOutline,
)
from .model import (
    SEVERITIES,
    Adjust,
    Alert,
    Caution,
    Collaborate,
    Conclude,
    Intervention,
    NotRecommend,
    Recommend,
    Rule,
)

__all__ = [
    "SEVERITY_RANK",
    "AlertItem",
    "CautionItem",
    "Deferred",
    "Filled",
    "Pending",
    "PromptItem",
    "RulePlan",
    "Session",
    "Template",
    "VetoItem",
    "plan_rules",
    "template",
]

_FORMATTER = string.Formatter()

V = TypeVar("V")  # what a Deferred stands for

Template = tuple[tuple[str, str | None], ...]  # (literal, placeholder or None) pairs
Filled = tuple[str, Template]  # a text with placeholders, and its template

# A fired rule's note as a decision sorts it: the rule's plan, its intervention or severity or
# role, the note as built at load or the text to fill, its outline, and (but for a prompt) its
# sort key, worked out at load: (catalogue position, rule position) for a not-recommended note,
# the severity's rank (worst first) for an alert or a caution.
VetoItem = tuple["RulePlan", Intervention, NotRecommended | Filled, VetoOutline, tuple[int, int]]
AlertItem = tuple["RulePlan", str, AlertNote | Filled, NoteOutline, int]
CautionItem = tuple["RulePlan", str, CautionNote | Filled, NoteOutline, int]
PromptItem = tuple["RulePlan", str, Collaboration | Filled]
#: A severity's rank in sorting notes: the worst first.
SEVERITY_RANK: Mapping[str, int] = {s: i for i, s in enumerate(SEVERITIES)}


@functools.lru_cache(maxsize=8192)
def template(text: str) -> Template:
    """A text with ``{feature}`` placeholders as (literal, placeholder or None) pairs (parsed
    once per text, whichever rule set holds it)."""
    return tuple((literal, field) for literal, field, _, _ in _FORMATTER.parse(text))


def _json_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


class RulePlan:
    """A live rule's actions, sorted by kind in action order, with their fixed parts built.

    A text is held as a ``str`` when it has no placeholder, else as its template; a note is
    built here when its text is fixed, else held as the fields to build it from.
    """

    __slots__ = (
        "adjusts",
        "alert_items",
        "caution_items",
        "concludes",
        "notes",
        "own",
        "pending",
        "prompt_items",
        "reasons",
        "rule",
        "strengths",
        "tested",
        "veto_items",
        "vetoed",
    )

    def __init__(
        self, rule: Rule, interventions: Mapping[str, Intervention], texts: Mapping[str, Template]
    ) -> None:
        self.rule = rule
        self.own = tuple(referenced_features(rule.when))
        self.tested = tuple(referenced_facts(rule.when))
        self.concludes = tuple(a.fact for a in rule.then if isinstance(a, Conclude))
        self.strengths = tuple((a.intervention, a.strength) for a in rule.then if isinstance(a, Recommend))
        self.adjusts = tuple((a.intervention, a.by) for a in rule.then if isinstance(a, Adjust))
        # (intervention, kind, text, its template or None when it has no placeholder, contribution)
        self.reasons: tuple[tuple[str, ExplanationKind, str, Template | None, float], ...] = tuple(
            (a.intervention, "recommend", a.text, _parsed(a.text, texts), a.strength)
            if isinstance(a, Recommend)
            else (a.intervention, "adjust", a.text, _parsed(a.text, texts), a.by)
            for a in rule.then
            if isinstance(a, Recommend | Adjust)
        )
        self._plan_notes(rule, interventions, texts)
        self.vetoed = tuple(item[1].id for item in self.veto_items)
        #: each reason with this plan, as a decision keeps it until its explanation is written
        self.pending: tuple[Pending, ...] = tuple((self, reason) for reason in self.reasons)
        #: whether it takes any action that makes a note (not-recommended, caution, prompt, alert)
        self.notes = bool(self.veto_items or self.caution_items or self.prompt_items or self.alert_items)

    def _plan_notes(
        self, rule: Rule, interventions: Mapping[str, Intervention], texts: Mapping[str, Template]
    ) -> None:
        """Each note the rule makes, as a decision sorts it (``_notes.sort_notes``): with this
        plan, the note built now when its text is fixed (else the text and template to fill per
        decision), its outline and its sort key (both fixed per rule; a prompt needs no key); by
        intervention where it has one."""
        rid, status, actions = rule.id, rule.status, rule.then
        self.veto_items: tuple[VetoItem, ...] = tuple(
            (
                self,
                iv,
                _note(a.text, texts, lambda text, iv=iv: NotRecommended(iv.id, iv.title, rid, text, status)),
                VetoOutline(iv.id, iv.title, rid, status),
                (iv.order, rule.order),
            )
            for a in actions
            if isinstance(a, NotRecommend)
            for iv in [interventions[a.intervention]]
        )
        self.alert_items: tuple[AlertItem, ...] = tuple(
            (
                self,
                a.severity,
                _note(a.text, texts, lambda text, a=a: AlertNote(rid, a.severity, text, status)),
                NoteOutline(rid, a.severity, status),
                SEVERITY_RANK[a.severity],
            )
            for a in actions
            if isinstance(a, Alert)
        )
        self.caution_items: tuple[tuple[str, CautionItem], ...] = tuple(
            (
                a.intervention,
                (
                    self,
                    a.severity,
                    _note(a.text, texts, lambda text, a=a: CautionNote(rid, a.severity, text, status)),
                    NoteOutline(rid, a.severity, status),
                    SEVERITY_RANK[a.severity],
                ),
            )
            for a in actions
            if isinstance(a, Caution)
        )
        self.prompt_items: tuple[tuple[str, PromptItem], ...] = tuple(
            (
                a.intervention,
                (
                    self,
                    a.role,
                    _note(a.prompt, texts, lambda text, a=a: Collaboration(a.role, text, rid, status)),
                ),
            )
            for a in actions
            if isinstance(a, Collaborate)
        )


def _parsed(text: str, texts: Mapping[str, Template]) -> Template | None:
    parsed = texts[text]
    return None if all(field is None for _, field in parsed) else parsed


def _note(text: str, texts: Mapping[str, Template], build: Any) -> Any:
    """The note built now when its text is fixed, else the text and its template, to fill per
    decision."""
    parsed = _parsed(text, texts)
    return build(text) if parsed is None else (text, parsed)


def plan_rules(live: Iterable[Rule], interventions: Mapping[str, Intervention]) -> dict[str, RulePlan]:
    """A plan for every live rule, with the templates of all their texts parsed once."""
    rules = list(live)
    texts: dict[str, Template] = {}
    for rule in rules:
        for a in rule.then:
            if not isinstance(a, Conclude):
                text = a.prompt if isinstance(a, Collaborate) else a.text
                if text not in texts:
                    texts[text] = template(text)
    return {rule.id: RulePlan(rule, interventions, texts) for rule in rules}


#: A reason an intervention is recommended, not yet explained: the fired rule's plan and one of
#: its ``reasons`` entries (intervention, kind, text, template or None, contribution).
Pending = tuple[RulePlan, tuple[str, ExplanationKind, str, Template | None, float]]


class Session:
    """Texts and explanations for one evaluation: each text, placeholder and rule's explanation
    inputs is worked out once, however many rules share it.

    Explanations are worked out when they are first asked for (:meth:`explanations`), under the
    session's lock, from nothing but the assessment and the rules that fired: whenever and in
    whatever order they are asked for, they come out the same.
    """

    def __init__(
        self,
        values: Mapping[str, Any],
        fired: Sequence[RulePlan],
        objects: Mapping[str, tuple[str, ...]],
    ) -> None:
        self.values = values
        self.objects = objects
        self.lock = threading.Lock()
        self._fired = fired
        self._concluders: dict[str, list[RulePlan]] | None = None
        self._recorded: dict[str, Any] | None = None
        self._shown: dict[str, str] = {}
        self._rendered: dict[str, str] = {}
        self._by_rule: dict[tuple[str, str], str] = {}
        self._matches: dict[str, set[tuple[str, Any]]] = {}
        self._through_matches: dict[str, frozenset[tuple[str, Any]]] = {}
        self._inputs: dict[str, dict[str, None]] = {}
        self._through_inputs: dict[str, dict[str, None]] = {}
        self._parts: dict[str, tuple[dict[str, Any], tuple[str, ...], tuple[str, ...], Rule]] = {}

    @property
    def concluders(self) -> dict[str, list[RulePlan]]:
        """The fired rules that concluded each derived fact."""
        concluders = self._concluders
        if concluders is None:
            concluders = {}
            for plan in self._fired:
                for fact in plan.concludes:
                    concluders.setdefault(fact, []).append(plan)
            self._concluders = concluders
        return concluders

    @property
    def recorded(self) -> dict[str, Any]:
        """The assessment's values as JSON-ready data (lists, not tuples)."""
        recorded = self._recorded
        if recorded is None:
            recorded = self._recorded = {f: _json_value(v) for f, v in self.values.items()}
        return recorded

    # --- texts -------------------------------------------------------------------------------

    def show(self, field: str) -> str:
        text = self._shown.get(field)
        if text is None:
            values, objects = self.values, self.objects
            if field in objects:
                parts = [
                    f"{f.replace('_', ' ')}: {show_value(values[f'{field}.{f}'])}"
                    for f in objects[field]
                    if f"{field}.{f}" in values
                ]
                text = "; ".join(parts) if parts else "not recorded"
            else:
                text = show_value(values[field]) if field in values else "not recorded"
            self._shown[field] = text
        return text

    def _matched(self, plan: RulePlan) -> set[tuple[str, Any]]:
        found = self._matches.get(plan.rule.id)
        if found is None:
            # the rule fired, so its condition holds
            found = matched_values(
                plan.rule.when, self.values, self.concluders, self._through_values, holds=True
            )
            self._matches[plan.rule.id] = found
        return found

    def _through_values(self, fact: str) -> frozenset[tuple[str, Any]]:
        out = self._through_matches.get(fact)
        if out is None:
            found: set[tuple[str, Any]] = set()
            for producer in self.concluders.get(fact, ()):
                found |= self._matched(producer)
            out = self._through_matches[fact] = frozenset(found)
        return out

    def _show_matched(self, plan: RulePlan, feature: str) -> str:
        if feature not in self.values:
            return "not recorded"
        found = self._matched(plan)
        return show_value([v for v in self.values[feature] if (feature, v) in found])

    def fill(self, plan: RulePlan, text: str, parsed: Template) -> str:
        """A template's text for a rule: ``{feature}`` from the assessment, ``{matched.feature}``
        with the values of it that made the rule (or the rules concluding its facts) fire."""
        out = self._rendered.get(text)  # only texts without ``{matched...}`` are kept here
        if out is not None:
            return out
        if not any(field is not None and field.startswith(MATCHED) for _, field in parsed):
            out = self._rendered[text] = "".join(
                [literal if field is None else literal + self.show(field) for literal, field in parsed]
            )
            return out
        key = (plan.rule.id, text)
        out = self._by_rule.get(key)
        if out is None:
            out = self._by_rule[key] = "".join(
                [
                    literal
                    if field is None
                    else literal
                    + (
                        self._show_matched(plan, field.removeprefix(MATCHED))
                        if field.startswith(MATCHED)
                        else self.show(field)
                    )
                    for literal, field in parsed
                ]
            )
        return out

    def render(self, plan: RulePlan, text: str) -> str:
        """Any of a rule's texts, filled."""
        return self.fill(plan, text, template(text))

    # --- explanations ---------------------------------------------------------------------

    def _inputs_of(self, plan: RulePlan) -> dict[str, None]:
        """The features a fired rule rests on, through the rules that concluded its facts, in
        order of first mention."""
        features = self._inputs.get(plan.rule.id)
        if features is None:
            features = dict.fromkeys(plan.own)
            for fact in plan.tested:
                features.update(self._through(fact))
            self._inputs[plan.rule.id] = features
        return features

    def _through(self, fact: str) -> dict[str, None]:
        features = self._through_inputs.get(fact)
        if features is None:
            features = {}
            for producer in self.concluders.get(fact, ()):
                features.update(self._inputs_of(producer))
            self._through_inputs[fact] = features
        return features

    def explanations(self, reasons: Sequence[Explanation | Pending]) -> tuple[Explanation, ...]:
        """The explanations of an intervention's reasons: each pending one worked out (its text
        filled), those already made (a ranking constraint's notes) as they are."""
        out: list[Explanation] = []
        fill, explain = self.fill, self.explain
        for reason in reasons:
            if isinstance(reason, Explanation):
                out.append(reason)
            else:
                plan, (_, kind, text, parsed, contribution) = reason
                said = text if parsed is None else fill(plan, text, parsed)
                out.append(explain(plan, kind, said, contribution))
        return tuple(out)

    def explain(
        self, plan: RulePlan, kind: ExplanationKind, text: str, contribution: float | None
    ) -> Explanation:
        """An explanation of what a fired rule did. The parts that depend only on the rule and
        the assessment are worked out once per rule (its explanations share one ``matched``
        dict, which ``to_dict`` copies)."""
        parts = self._parts.get(plan.rule.id)
        if parts is None:
            parts = self._parts[plan.rule.id] = self._parts_of(plan)
        matched, not_recorded, facts, rule = parts
        # positional: the fields in order (rule, kind, text, contribution, matched, not_recorded,
        # facts, evidence, status, source)
        return Explanation(
            rule.id,
            kind,
            text,
            contribution,
            matched,
            not_recorded,
            facts,
            rule.evidence,
            rule.status,
            rule.location,
        )

    def _parts_of(self, plan: RulePlan) -> tuple[dict[str, Any], tuple[str, ...], tuple[str, ...], Rule]:
        recorded = self.recorded
        # ``_inputs_of`` gives a dict, a rule's own features a tuple: both iterate in mention order
        features = self._inputs_of(plan) if plan.tested else plan.own
        return (
            {f: recorded[f] for f in features if f in recorded},
            tuple([f for f in features if f not in recorded]),
            tuple([f for f in plan.tested if f in self.concluders]),
            plan.rule,
        )


class Deferred(Generic[V]):
    """A value (a tuple of notes or explanations) worked out on the first call, then kept: what
    a decision holds for the words it writes when first read. With a lock, the
    work is done under it (once); without, the work must be safe to race (it then comes out the
    same whichever call wins). Pickled and copied as the value it stands for.

    What is left to do is one attribute, the call and its arguments together, dropped only once
    the value is kept: a call that found no value yet and then finds nothing left to do has been
    overtaken by another that finished, and takes that one's value.
    """

    __slots__ = ("_lock", "_todo", "_value")

    def __init__(self, lock: threading.Lock | None, make: Callable[..., V], *args: Any) -> None:
        self._lock = lock
        self._todo: tuple[Callable[..., V], tuple[Any, ...]] | None = (make, args)
        self._value: V | None = None

    def __call__(self) -> V:
        value = self._value
        if value is None:
            if self._lock is None:
                value = self._work()
            else:
                with self._lock:
                    value = self._value if self._value is not None else self._work()
        return value

    def _work(self) -> V:
        todo = self._todo
        if todo is None:  # another call finished the work since this one looked for the value
            value = self._value
            assert value is not None  # kept before the work is dropped
            return value
        make, args = todo
        value = self._value = make(*args)
        self._todo = None  # what it was made from is no longer needed
        return value

    def __reduce__(self) -> tuple[Callable[[V], V], tuple[V]]:
        return _kept, (self(),)


def _kept(value: V) -> V:
    """What a pickled Deferred is rebuilt as: the value it stood for, as it is."""
    return value
