"""A loaded, compiled rule set: evaluate assessments and explain decisions.

A :class:`RuleSet` is immutable after loading and safe to share between threads. Evaluation
validates the assessment, asks the engine which rules fire (stratum by stratum, so that derived
facts chain forward), then ranks and explains.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from ._assessment import normalise
from ._compile import FactEncoder, Plan
from ._engine import Engine
from ._rank import rank
from ._validate import MATCHED, Definition
from .conditions import (
    ConditionResult,
    evaluate,
    matched_values,
    referenced_facts,
    referenced_features,
    show_value,
    trace,
)
from .decision import Decision, Explanation, RuleSetInfo
from .errors import UnknownInterventionError
from .model import (
    Action,
    Collaborate,
    Conclude,
    Constraint,
    Feature,
    Intervention,
    Role,
    Rule,
    action_intervention,
)

__all__ = ["InterventionExplanation", "RuleOutcome", "RuleSet"]

_FORMATTER = string.Formatter()


def _json_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _template(text: str) -> tuple[tuple[str, str | None], ...]:
    """A text with ``{feature}`` placeholders as (literal, placeholder or None) pairs."""
    return tuple((literal, field) for literal, field, _, _ in _FORMATTER.parse(text))


@attrs.frozen
class RuleOutcome:
    """How one rule that concerns an intervention came out for an assessment."""

    rule: str
    title: str
    actions: tuple[str, ...]
    fired: bool
    status: str
    text: tuple[str, ...]
    failed: tuple[ConditionResult, ...]
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "title": self.title,
            "actions": list(self.actions),
            "fired": self.fired,
            "status": self.status,
            "text": list(self.text),
            "failed": [f.to_dict() for f in self.failed],
            "source": self.source,
        }


@attrs.frozen
class InterventionExplanation:
    """Why an intervention is, or is not, recommended for an assessment."""

    intervention: str
    title: str
    outcome: str  # "recommended", "considered", "ruled_out" or "not_recommended"
    rank: int | None
    strength: float | None
    summary: str
    rules: tuple[RuleOutcome, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "intervention": self.intervention,
            "title": self.title,
            "outcome": self.outcome,
            "rank": self.rank,
            "strength": self.strength,
            "summary": self.summary,
            "rules": [r.to_dict() for r in self.rules],
        }

    def to_text(self) -> str:
        lines = [f"{self.title} [{self.intervention}]: {self.summary}"]
        for r in self.rules:
            mark = "fired" if r.fired else "did not fire"
            lines.append(f"- {r.rule} ({', '.join(r.actions)}) {mark}: {r.title} [{r.source}]")
            for text in r.text if r.fired else ():
                lines.append(f"    {text}")
            for f in r.failed:
                lines.append(f"    needs {f.condition}; saw {f.seen} [{f.location}]")
        if not self.rules:
            lines.append("- no rule in this rule set concerns it")
        return "\n".join(lines)


class RuleSet:
    """A validated and compiled rule set. Build one with [`load_ruleset`][intervention_rules.load_ruleset]."""

    __slots__ = (
        "_definition",
        "_digest",
        "_encoder",
        "_engine",
        "_live",
        "_plan",
        "_refs",
        "_rules_by_id",
        "_sources",
        "_templates",
    )

    def __init__(self, definition: Definition, plan: Plan, digest: str, sources: tuple[str, ...]) -> None:
        self._definition = definition
        self._plan = plan
        self._digest = digest
        self._sources = sources
        self._engine = Engine([chunk.definition for chunk in plan.chunks])
        self._encoder = FactEncoder(plan)
        self._rules_by_id = MappingProxyType({r.id: r for r in definition.rules})
        self._live = tuple(r for r in definition.rules if r.status != "retired")
        self._refs = MappingProxyType(
            {r.id: (tuple(referenced_features(r.when)), tuple(referenced_facts(r.when))) for r in self._live}
        )
        texts: set[str] = set()
        for r in self._live:
            texts.update(
                a.prompt if isinstance(a, Collaborate) else a.text
                for a in r.then
                if not isinstance(a, Conclude)
            )
        self._templates = MappingProxyType({text: _template(text) for text in texts})

    def __repr__(self) -> str:
        return (
            f"<RuleSet {self.name} {self.version} {len(self._live)} rules in "
            f"{len(self._plan.chunks)} engine rulesets {self._digest[:15]}...>"
        )

    # --- what the rule set holds ---------------------------------------------------------

    @property
    def name(self) -> str:
        return self._definition.name

    @property
    def version(self) -> str:
        return self._definition.version

    @property
    def description(self) -> str | None:
        return self._definition.description

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` over the rule files' paths and content."""
        return self._digest

    @property
    def files(self) -> tuple[str, ...]:
        """The rule files, in the order they were read."""
        return self._sources

    @property
    def features(self) -> Mapping[str, Feature]:
        """Leaf features by name (object fields as ``family.involved``)."""
        return MappingProxyType(self._definition.features)

    @property
    def objects(self) -> Mapping[str, tuple[str, ...]]:
        """Object features and the names of their fields."""
        return MappingProxyType(self._definition.objects)

    @property
    def facts(self) -> Mapping[str, str]:
        """Derived facts and their descriptions."""
        return MappingProxyType(self._definition.facts)

    @property
    def roles(self) -> Mapping[str, Role]:
        return MappingProxyType(self._definition.roles)

    @property
    def interventions(self) -> Mapping[str, Intervention]:
        """The catalogue, in catalogue order."""
        return MappingProxyType(self._definition.interventions)

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule, retired ones included, in definition order."""
        return self._definition.rules

    @property
    def constraints(self) -> tuple[Constraint, ...]:
        return self._definition.constraints

    @property
    def aggregate(self) -> str:
        return self._definition.aggregate

    @property
    def source_article(self) -> str | None:
        """The words by which evidence entries cite the source article the rule set encodes
        (``ruleset.source_article``), or None; lint checks that it is never graded."""
        return self._definition.source_article

    @property
    def zero_strength(self) -> str:
        """``ranked`` (an intervention at strength 0 is ranked last) or ``considered`` (it is
        listed apart as considered, not suggested)."""
        return self._definition.zero_strength

    def rule(self, rule_id: str) -> Rule:
        """A rule by id (KeyError if there is none)."""
        return self._rules_by_id[rule_id]

    # --- evaluation ------------------------------------------------------------------------

    def normalise(self, assessment: Mapping[str, Any]) -> dict[str, Any]:
        """Validate an assessment and return its normal form (raises AssessmentError)."""
        d = self._definition
        return normalise(assessment, d.features, d.objects, d.object_required)

    def _fire_engine(self, values: Mapping[str, Any]) -> tuple[list[Rule], set[str]]:
        plan, encoder, engine = self._plan, self._encoder, self._engine
        fired: set[str] = set()
        facts: set[str] = set()
        members = encoder.members(values)
        for stratum in plan.strata:
            if facts:
                encoder.conclude(members, facts)
            now: list[str] = []
            for index in stratum:
                fires = plan.chunks[index].fires
                for name in engine.fire(index, encoder.body(index, members)):
                    now.extend(fires[int(name[1:])])
            fired.update(now)
            for rule_id in now:
                concluded = plan.concludes[rule_id]
                if concluded:
                    facts.update(concluded)
        return [r for r in self._live if r.id in fired], facts

    def _fire_reference(self, values: Mapping[str, Any]) -> tuple[list[Rule], set[str]]:
        """The same question answered by the plain-Python evaluator, without the engine."""
        from ._compile import strata_of

        levels = strata_of(self._live)
        fired: set[str] = set()
        facts: set[str] = set()
        for level in sorted(set(levels.values())):
            for rule in self._live:
                if levels[rule.id] == level and evaluate(rule.when, values, facts):
                    fired.add(rule.id)
            for rule_id in fired:
                facts.update(self._plan.concludes[rule_id])
        return [r for r in self._live if r.id in fired], facts

    def _render(self, values: Mapping[str, Any], fired: list[Rule]) -> Any:
        """A function that fills a rule's text: ``{feature}`` placeholders from the assessment,
        ``{matched.feature}`` with the values of it that made the rule (or the rules concluding
        the facts it tests) fire.

        Templates are parsed once at load; within one evaluation each text and each placeholder
        is rendered once, however many rules share it (a text with ``{matched...}`` once per rule).
        """
        objects = self._definition.objects
        templates = self._templates
        shown: dict[str, str] = {}
        rendered: dict[str, str] = {}
        by_rule: dict[tuple[str, str], str] = {}
        concluders: dict[str, list[Rule]] = {}
        for producer in fired:
            for fact in self._plan.concludes[producer.id]:
                concluders.setdefault(fact, []).append(producer)
        matches: dict[str, set[tuple[str, Any]]] = {}

        def through(fact: str) -> set[tuple[str, Any]]:
            out: set[tuple[str, Any]] = set()
            for producer in concluders.get(fact, ()):
                out |= matched(producer)
            return out

        def matched(rule: Rule) -> set[tuple[str, Any]]:
            found = matches.get(rule.id)
            if found is None:
                found = matches[rule.id] = matched_values(rule.when, values, concluders, through)
            return found

        def show(field: str) -> str:
            text = shown.get(field)
            if text is None:
                if field in objects:
                    parts = [
                        f"{f.replace('_', ' ')}: {show_value(values[f'{field}.{f}'])}"
                        for f in objects[field]
                        if f"{field}.{f}" in values
                    ]
                    text = "; ".join(parts) if parts else "not recorded"
                else:
                    text = show_value(values[field]) if field in values else "not recorded"
                shown[field] = text
            return text

        def show_matched(rule: Rule, feature: str) -> str:
            if feature not in values:
                return "not recorded"
            found = matched(rule)
            return show_value([v for v in values[feature] if (feature, v) in found])

        def render(rule: Rule, text: str) -> str:
            out = rendered.get(text)
            if out is not None:
                return out
            template = templates.get(text)
            if template is None:
                template = _template(text)
            if not any(field is not None and field.startswith(MATCHED) for _, field in template):
                out = rendered[text] = "".join(
                    [literal if field is None else literal + show(field) for literal, field in template]
                )
                return out
            key = (rule.id, text)
            out = by_rule.get(key)
            if out is None:
                out = by_rule[key] = "".join(
                    [
                        literal
                        if field is None
                        else literal
                        + (
                            show_matched(rule, field.removeprefix(MATCHED))
                            if field.startswith(MATCHED)
                            else show(field)
                        )
                        for literal, field in template
                    ]
                )
            return out

        return render

    def _explainer(self, values: Mapping[str, Any], fired: list[Rule]) -> Any:
        concluders: dict[str, list[Rule]] = {}
        for rule in fired:
            for fact in self._plan.concludes[rule.id]:
                concluders.setdefault(fact, []).append(rule)
        refs = self._refs

        rule_inputs: dict[str, dict[str, None]] = {}
        fact_inputs: dict[str, dict[str, None]] = {}

        def inputs(rule_id: str) -> Mapping[str, None]:
            """The features a fired rule rests on, through the rules that concluded its facts,
            in order of first mention."""
            features = rule_inputs.get(rule_id)
            if features is None:
                own, facts = refs[rule_id]
                features = dict.fromkeys(own)
                for fact in facts:
                    features.update(through(fact))
                rule_inputs[rule_id] = features
            return features

        def through(fact: str) -> dict[str, None]:
            features = fact_inputs.get(fact)
            if features is None:
                features = {}
                for producer in concluders.get(fact, ()):
                    features.update(inputs(producer.id))
                fact_inputs[fact] = features
            return features

        recorded = {f: _json_value(v) for f, v in values.items()}
        shared: dict[str, tuple[list[str], tuple[str, ...], tuple[str, ...]]] = {}
        # ``inputs`` gives a dict, a rule's own features a tuple: both iterate in mention order

        def explain(rule: Rule, kind: str, text: str, contribution: float | None) -> Explanation:
            parts = shared.get(rule.id)
            if parts is None:
                own, tested = refs[rule.id]
                features = inputs(rule.id) if tested else own
                parts = shared[rule.id] = (
                    [f for f in features if f in recorded],
                    tuple([f for f in features if f not in recorded]),
                    tuple([f for f in tested if f in concluders]),
                )
            matched, not_recorded, facts = parts
            return Explanation(
                rule=rule.id,
                kind=kind,
                text=text,
                contribution=contribution,
                matched={f: recorded[f] for f in matched},
                not_recorded=not_recorded,
                facts=facts,
                evidence=rule.evidence,
                status=rule.status,
                source=rule.location,
            )

        return explain

    def _decide(self, values: Mapping[str, Any], fired: list[Rule]) -> Decision:
        d = self._definition
        recommendations, not_recommended, alerts, considered = rank(
            fired,
            d.interventions,
            d.aggregate,
            d.constraints,
            self._explainer(values, fired),
            self._render(values, fired),
            d.zero_strength,
        )
        return Decision(
            ruleset=RuleSetInfo(d.name, d.version, self._digest),
            recommendations=recommendations,
            not_recommended=not_recommended,
            alerts=alerts,
            fired=tuple(r.id for r in fired),
            considered=considered,
        )

    def evaluate(self, assessment: Mapping[str, Any]) -> Decision:
        """Evaluate one assessment. Raises AssessmentError, listing every problem, if invalid."""
        values = self.normalise(assessment)
        fired, _ = self._fire_engine(values)
        return self._decide(values, fired)

    def explain(self, assessment: Mapping[str, Any], intervention: str) -> InterventionExplanation:
        """Why an intervention is, or is not, recommended: every rule that concerns it, whether
        it fired, and for each that did not, the tests that failed and the values they saw."""
        d = self._definition
        if intervention not in d.interventions:
            from ._schema import suggest

            hint = suggest(intervention, d.interventions)
            raise UnknownInterventionError(
                f"unknown intervention '{intervention}'" + (f"; did you mean '{hint}'?" if hint else "")
            )
        values = self.normalise(assessment)
        fired, facts = self._fire_engine(values)
        decision = self._decide(values, fired)
        fired_ids = {r.id for r in fired}
        render = self._render(values, fired)
        outcomes = []
        for rule in self._live:
            actions: list[Action] = [a for a in rule.then if action_intervention(a) == intervention]
            if not actions:
                continue
            did = rule.id in fired_ids
            texts = tuple(
                render(rule, a.prompt if hasattr(a, "prompt") else a.text)  # type: ignore[union-attr]
                for a in actions
            )
            outcomes.append(
                RuleOutcome(
                    rule=rule.id,
                    title=rule.title,
                    actions=tuple(
                        type(a).__name__.lower().replace("notrecommend", "not_recommend") for a in actions
                    ),
                    fired=did,
                    status=rule.status,
                    text=texts,
                    failed=() if did else tuple(trace(rule.when, values, facts)),
                    source=str(rule.location),
                )
            )
        rec = decision.recommendation(intervention)
        vetoes = [n for n in decision.not_recommended if n.intervention == intervention]
        weighed = [c for c in decision.considered if c.intervention == intervention]
        title = d.interventions[intervention].title
        if rec is not None:
            outcome, summary = "recommended", f"recommended, rank {rec.rank}, strength {rec.strength:g}"
        elif weighed:
            outcome = "considered"
            summary = "considered, not suggested: strength 0 after " + "; ".join(
                f"{e.text} ({e.rule}{', draft' if e.status == 'draft' else ''})"
                for e in weighed[0].explanations
            )
        elif vetoes:
            outcome = "ruled_out"
            summary = "not recommended: " + "; ".join(
                f"{v.text} ({v.rule}{', draft' if v.status == 'draft' else ''})" for v in vetoes
            )
        else:
            outcome = "not_recommended"
            summary = "not recommended: no rule that recommends it fired"
        return InterventionExplanation(
            intervention=intervention,
            title=title,
            outcome=outcome,
            rank=rec.rank if rec else None,
            strength=rec.strength if rec else (0.0 if weighed else None),
            summary=summary,
            rules=tuple(outcomes),
        )
