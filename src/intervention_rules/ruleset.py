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
from ._compile import Plan, fact_body, fact_values
from ._engine import Engine
from ._rank import rank
from ._validate import Definition
from .conditions import (
    ConditionResult,
    evaluate,
    referenced_facts,
    referenced_features,
    show_value,
    trace,
)
from .decision import Decision, Explanation, RuleSetInfo
from .errors import UnknownInterventionError
from .model import (
    Action,
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
    outcome: str  # "recommended", "ruled_out" or "not_recommended"
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
    """A validated and compiled rule set. Build one with :func:`intervention_rules.load_ruleset`."""

    __slots__ = ("_definition", "_digest", "_engine", "_live", "_plan", "_refs", "_rules_by_id", "_sources")

    def __init__(self, definition: Definition, plan: Plan, digest: str, sources: tuple[str, ...]) -> None:
        self._definition = definition
        self._plan = plan
        self._digest = digest
        self._sources = sources
        self._engine = Engine([chunk.definition for chunk in plan.chunks])
        self._rules_by_id = MappingProxyType({r.id: r for r in definition.rules})
        self._live = tuple(r for r in definition.rules if r.status != "retired")
        self._refs = MappingProxyType(
            {r.id: (tuple(referenced_features(r.when)), tuple(referenced_facts(r.when))) for r in self._live}
        )

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

    def rule(self, rule_id: str) -> Rule:
        """A rule by id (KeyError if there is none)."""
        return self._rules_by_id[rule_id]

    # --- evaluation ------------------------------------------------------------------------

    def normalise(self, assessment: Mapping[str, Any]) -> dict[str, Any]:
        """Validate an assessment and return its normal form (raises AssessmentError)."""
        d = self._definition
        return normalise(assessment, d.features, d.objects, d.object_required)

    def _fire_engine(self, values: Mapping[str, Any]) -> tuple[list[Rule], set[str]]:
        plan = self._plan
        fired: set[str] = set()
        facts: set[str] = set()
        for stratum in plan.strata:
            fact = fact_values(plan, values, facts)
            for index in stratum:
                chunk = plan.chunks[index]
                for name in self._engine.fire(index, fact_body(chunk, fact)):
                    fired.update(chunk.fires[int(name[1:])])
            for rule_id in fired:
                facts.update(plan.concludes[rule_id])
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

    def _render(self, values: Mapping[str, Any]) -> Any:
        def render(text: str) -> str:
            out = []
            for literal, field, _, _ in _FORMATTER.parse(text):
                out.append(literal)
                if field is None:
                    continue
                if field in self._definition.objects:
                    parts = [
                        f"{f.replace('_', ' ')}: {show_value(values[f'{field}.{f}'])}"
                        for f in self._definition.objects[field]
                        if f"{field}.{f}" in values
                    ]
                    out.append("; ".join(parts) if parts else "not recorded")
                else:
                    out.append(show_value(values[field]) if field in values else "not recorded")
            return "".join(out)

        return render

    def _explainer(self, values: Mapping[str, Any], fired: list[Rule]) -> Any:
        concluders: dict[str, list[Rule]] = {}
        for rule in fired:
            for fact in self._plan.concludes[rule.id]:
                concluders.setdefault(fact, []).append(rule)

        memo: dict[str, list[str]] = {}

        def inputs(rule: Rule) -> list[str]:
            """The features a fired rule rests on, through the rules that concluded its facts."""
            if rule.id not in memo:
                memo[rule.id] = features = list(self._refs[rule.id][0])
                for fact in self._refs[rule.id][1]:
                    for producer in concluders.get(fact, []):
                        features += [f for f in inputs(producer) if f not in features]
            return memo[rule.id]

        def explain(rule: Rule, kind: str, text: str, contribution: float | None) -> Explanation:
            features, facts = inputs(rule), self._refs[rule.id][1]
            return Explanation(
                rule=rule.id,
                kind=kind,
                text=text,
                contribution=contribution,
                matched={f: _json_value(values[f]) for f in features if f in values},
                not_recorded=tuple(f for f in features if f not in values),
                facts=tuple(f for f in facts if f in concluders),
                evidence=rule.evidence,
                status=rule.status,
                source=rule.location,
            )

        return explain

    def _decide(self, values: Mapping[str, Any], fired: list[Rule]) -> Decision:
        d = self._definition
        recommendations, not_recommended, alerts = rank(
            fired,
            d.interventions,
            d.aggregate,
            d.constraints,
            self._explainer(values, fired),
            self._render(values),
        )
        return Decision(
            ruleset=RuleSetInfo(d.name, d.version, self._digest),
            recommendations=recommendations,
            not_recommended=not_recommended,
            alerts=alerts,
            fired=tuple(r.id for r in fired),
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
        render = self._render(values)
        outcomes = []
        for rule in self._live:
            actions: list[Action] = [a for a in rule.then if action_intervention(a) == intervention]
            if not actions:
                continue
            did = rule.id in fired_ids
            texts = tuple(
                render(a.prompt if hasattr(a, "prompt") else a.text)  # type: ignore[union-attr]
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
        title = d.interventions[intervention].title
        if rec is not None:
            outcome, summary = "recommended", f"recommended, rank {rec.rank}, strength {rec.strength:g}"
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
            strength=rec.strength if rec else None,
            summary=summary,
            rules=tuple(outcomes),
        )
