"""A loaded, compiled rule set: evaluate assessments and explain decisions.

A :class:`RuleSet` is immutable after loading and safe to share between threads. Evaluation
validates the assessment, asks the engine which rules fire (stratum by stratum, so that derived
facts chain forward), then ranks and explains.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Literal

import attrs

from ._assessment import Names, normalise
from ._compile import Plan, compile_plan
from ._engine import Engine
from ._explain import Session, plan_rules
from ._facts import FactEncoder
from ._rank import Catalogue, outline, rank
from ._suggest import did_you_mean, suggest
from ._validate import Definition
from .conditions import (
    ConditionResult,
    evaluate,
    trace,
)
from .decision import Decision, Outline, RuleSetInfo
from .errors import RuleSetError, UnknownInterventionError
from .model import (
    Action,
    ActionKind,
    Collaborate,
    Constraint,
    Feature,
    Intervention,
    Role,
    Rule,
    Status,
    action_intervention,
)

__all__ = ["InterventionExplanation", "Outcome", "RuleOutcome", "RuleSet"]


#: How an intervention came out of a decision.
Outcome = Literal["recommended", "considered", "ruled_out", "not_recommended"]


@attrs.frozen
class RuleOutcome:
    """How one rule that concerns an intervention came out for an assessment."""

    rule: str
    title: str
    actions: tuple[ActionKind, ...]
    fired: bool
    status: Status
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
    outcome: Outcome
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
        "_catalogue",
        "_definition",
        "_digest",
        "_encoder",
        "_engine",
        "_fires",
        "_ids",
        "_info",
        "_live",
        "_names",
        "_plan",
        "_planned",
        "_plans",
        "_rules_by_id",
        "_sources",
    )

    def __init__(self, definition: Definition, plan: Plan, digest: str, sources: tuple[str, ...]) -> None:
        self._definition = definition
        self._plan = plan
        self._digest = digest
        self._sources = sources
        self._engine = Engine([chunk.definition for chunk in plan.chunks])
        self._encoder = FactEncoder(plan)
        self._rules_by_id = MappingProxyType({r.id: r for r in definition.rules})
        self._names = Names(definition.features, definition.objects)
        self._live = tuple(r for r in definition.rules if r.status != "retired")
        self._plans = MappingProxyType(plan_rules(self._live, definition.interventions))
        # By position in ``_live``, for evaluation: each live rule's plan; and for each engine
        # ruleset, what each of its engine rules fires and the derived facts those rules conclude.
        self._planned = tuple(self._plans[r.id] for r in self._live)
        self._ids = tuple(r.id for r in self._live)
        self._info = RuleSetInfo(definition.name, definition.version, digest)
        position = {r.id: i for i, r in enumerate(self._live)}
        self._fires = tuple(
            {
                f"c{i}": (
                    tuple(position[rule_id] for rule_id in ids),
                    tuple(fact for rule_id in ids for fact in plan.concludes[rule_id]),
                )
                for i, ids in enumerate(chunk.fires)
            }
            for chunk in plan.chunks
        )
        self._catalogue = Catalogue(
            definition.interventions, definition.aggregate, definition.constraints, definition.zero_strength
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
    def live_rules(self) -> tuple[Rule, ...]:
        """The rules that evaluate (every status but ``retired``), in definition order."""
        return self._live

    @property
    def required_objects(self) -> frozenset[str]:
        """The object features an assessment must carry (``required: true`` on the object)."""
        return self._definition.object_required

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

    def with_rules(self, *, replace: Iterable[Rule] = (), remove: Iterable[str] = ()) -> RuleSet:
        """The same rule set with some rules replaced (by id) or removed, compiled anew: what
        mutation testing and what-if questions evaluate.

        The rules given are taken as they are (they are built from this rule set's own, so they
        use its vocabulary); the digest and files stay those of the rule files this rule set was
        loaded from. Raises KeyError for an id the rule set does not have, and
        [`RuleSetError`][intervention_rules.RuleSetError] when the result cannot be compiled.
        """
        replaced = {rule.id: rule for rule in replace}
        removed = set(remove)
        unknown = sorted((replaced.keys() | removed) - self._rules_by_id.keys())
        if unknown:
            raise KeyError(f"no rule {', '.join(unknown)} in this rule set")
        rules = tuple(replaced.get(r.id, r) for r in self._definition.rules if r.id not in removed)
        definition = attrs.evolve(self._definition, rules=rules)
        plan, problems = compile_plan(definition.rules, definition.features)
        if plan is None:
            raise RuleSetError(problems)
        return RuleSet(definition, plan, self._digest, self._sources)

    # --- evaluation ------------------------------------------------------------------------

    def normalise(self, assessment: Mapping[str, Any]) -> dict[str, Any]:
        """Validate an assessment and return its normal form (raises AssessmentError)."""
        d = self._definition
        return normalise(assessment, d.features, d.objects, d.object_required, names=self._names)

    def _fire(self, values: Mapping[str, Any]) -> tuple[list[int], set[str]]:
        """The positions in ``_live`` of the rules that fire, in definition order, and the
        derived facts concluded."""
        encoder, engine, fires = self._encoder, self._engine, self._fires
        fired: set[int] = set()
        facts: set[str] = set()
        written: set[str] = set()  # the facts already in the engine's facts
        members = encoder.members(values)
        for stratum in self._plan.strata:
            if len(facts) > len(written):  # what earlier strata concluded, for the rules testing it
                encoder.conclude(members, facts - written)
                written |= facts
            for index in stratum:
                by_name = fires[index]
                for name in engine.fire(index, encoder.body(index, members)):
                    positions, concluded = by_name[name]
                    fired.update(positions)
                    if concluded:
                        facts.update(concluded)
        return sorted(fired), facts

    def _fire_engine(self, values: Mapping[str, Any]) -> tuple[list[Rule], set[str]]:
        positions, facts = self._fire(values)
        live = self._live
        return [live[i] for i in positions], facts

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

    def _decide(self, values: Mapping[str, Any], positions: list[int]) -> Decision:
        """The decision for the rules at ``positions`` in ``_live`` (in definition order)."""
        d, ids = self._definition, self._ids
        planned = self._planned
        firing = [planned[i] for i in positions]  # faster than map over __getitem__
        recommendations, not_recommended, alerts, considered = rank(
            firing, self._catalogue, Session(values, firing, d.objects)
        )
        return Decision(
            ruleset=self._info,
            recommendations=recommendations,
            not_recommended=not_recommended,
            alerts=alerts,
            fired=tuple([ids[i] for i in positions]),
            considered=considered,
        )

    def evaluate(self, assessment: Mapping[str, Any]) -> Decision:
        """Evaluate one assessment. Raises AssessmentError, listing every problem, if invalid."""
        values = self.normalise(assessment)
        positions, _ = self._fire(values)
        return self._decide(values, positions)

    def outline(self, assessment: Mapping[str, Any]) -> Outline:
        """What ``evaluate`` settles of an assessment, without a word of text: the ranked
        interventions with their strengths, what is ruled out or only considered, and which
        rules' cautions and alerts apply, at which severity, as in the decision ``evaluate`` gives
        (an [`Outline`][intervention_rules.Outline]). Cheaper than ``evaluate``: no
        note or explanation is made. For populations and counts, never to show a clinician (the
        reasons and cautions' words are what make a recommendation usable). Raises
        AssessmentError as ``evaluate`` does."""
        values = self.normalise(assessment)
        positions, _ = self._fire(values)
        planned, ids = self._planned, self._ids
        firing = [planned[i] for i in positions]
        return outline(firing, self._catalogue, self._info, tuple([ids[i] for i in positions]))

    def _rule_outcome(
        self,
        rule: Rule,
        actions: list[Action],
        did: bool,
        session: Session,
        values: Mapping[str, Any],
        facts: set[str],
    ) -> RuleOutcome:
        """How one rule that concerns an intervention came out: its texts if it fired, else the
        tests that failed."""
        plan = self._plans[rule.id]
        return RuleOutcome(
            rule=rule.id,
            title=rule.title,
            actions=tuple(a.kind for a in actions),
            fired=did,
            status=rule.status,
            text=tuple(
                session.render(plan, a.prompt if isinstance(a, Collaborate) else a.text)  # type: ignore[union-attr]
                for a in actions
            ),
            failed=() if did else tuple(trace(rule.when, values, facts)),
            source=str(rule.location),
        )

    def explain(self, assessment: Mapping[str, Any], intervention: str) -> InterventionExplanation:
        """Why an intervention is, or is not, recommended: every rule that concerns it, whether
        it fired, and for each that did not, the tests that failed and the values they saw."""
        d = self._definition
        if intervention not in d.interventions:
            hint = suggest(intervention, d.interventions)
            raise UnknownInterventionError(f"unknown intervention '{intervention}'" + did_you_mean(hint))
        values = self.normalise(assessment)
        positions, facts = self._fire(values)
        fired = [self._live[i] for i in positions]
        firing = [self._planned[i] for i in positions]
        decision = self._decide(values, positions)
        session = Session(values, firing, d.objects)
        fired_ids = {r.id for r in fired}
        outcomes = [
            self._rule_outcome(rule, actions, rule.id in fired_ids, session, values, facts)
            for rule in self._live
            for actions in [[a for a in rule.then if action_intervention(a) == intervention]]
            if actions
        ]
        rec = decision.recommendation(intervention)
        weighed = any(c.intervention == intervention for c in decision.considered)
        outcome, summary = _outcome(decision, intervention)
        return InterventionExplanation(
            intervention=intervention,
            title=d.interventions[intervention].title,
            outcome=outcome,
            rank=rec.rank if rec else None,
            strength=rec.strength if rec else (0.0 if weighed else None),
            summary=summary,
            rules=tuple(outcomes),
        )


def _outcome(decision: Decision, intervention: str) -> tuple[Outcome, str]:
    """How an intervention came out of a decision, and that in words."""
    rec = decision.recommendation(intervention)
    if rec is not None:
        return "recommended", f"recommended, rank {rec.rank}, strength {rec.strength:g}"
    weighed = [c for c in decision.considered if c.intervention == intervention]
    if weighed:
        return "considered", "considered, not suggested: strength 0 after " + "; ".join(
            f"{e.text} ({e.rule}{', draft' if e.status == 'draft' else ''})" for e in weighed[0].explanations
        )
    vetoes = [n for n in decision.not_recommended if n.intervention == intervention]
    if vetoes:
        return "ruled_out", "not recommended: " + "; ".join(
            f"{v.text} ({v.rule}{', draft' if v.status == 'draft' else ''})" for v in vetoes
        )
    return "not_recommended", "not recommended: no rule that recommends it fired"
