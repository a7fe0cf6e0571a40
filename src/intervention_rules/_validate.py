"""Located, schema-valid documents to a validated rule-set definition.

Checks what a schema cannot, in three steps: the vocabulary and catalogue (``_vocabulary``), each
rule against them (``_rulecheck``), then the rule set as a whole: duplicate rule ids, governance
fields, ranking constraints that contradict each other, derived-fact cycles and depth, and
``{matched.FEATURE}`` placeholders. Every problem is collected.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from ._rulecheck import MATCHED, RuleChecker, check_matched
from ._suggest import suggest
from ._vocabulary import Context, Vocabulary, evidence, read_vocabulary, sections
from ._yaml import Located, Path
from .errors import Problem
from .model import Conclude, Constraint, Feature, Intervention, Role, Rule, Selector

__all__ = ["MATCHED", "MAX_STRATA", "Definition", "build_definition", "cycles"]

#: Derived facts may build on each other at most this many levels deep, less one.
MAX_STRATA = 32


@attrs.frozen
class Definition:
    """A validated rule set, before compilation."""

    name: str
    version: str
    description: str | None
    aggregate: str
    constraints: tuple[Constraint, ...]
    features: dict[str, Feature]  # leaf features by dotted name
    objects: dict[str, tuple[str, ...]]  # object feature -> its field names
    object_required: frozenset[str]
    facts: dict[str, str]
    roles: dict[str, Role]
    interventions: dict[str, Intervention]
    rules: tuple[Rule, ...]  # every rule, retired ones included, in definition order
    zero_strength: str = "ranked"  # or "considered": strength 0 is listed apart, not ranked
    source_article: str | None = None  # how evidence entries name the article the set encodes


def cycles(graph: Mapping[str, Iterable[str]]) -> Iterator[list[str]]:
    """Each cycle a depth-first search of ``graph`` meets (nodes and edges in sorted order), as
    ``[a, b, ..., a]`` in the direction of the edges. Iterative: no depth exhausts the stack."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        state[start] = 1
        pending = [iter(sorted(graph.get(start, ())))]
        while pending:
            nxt = next(pending[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                pending.pop()
            elif state.get(nxt) == 1:
                yield [*path[path.index(nxt) :], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                pending.append(iter(sorted(graph.get(nxt, ()))))


def _rule(
    ctx: Context,
    doc: Located,
    path: Path,
    raw: dict[str, Any],
    vocabulary: Vocabulary,
    rule_ids: dict[str, str],
    order: int,
) -> tuple[Rule | None, list[tuple[Path, str]]]:
    """One rule, checked (or None), and its ``{matched.FEATURE}`` placeholders."""
    v = vocabulary
    checker = RuleChecker(ctx, doc, v.features, v.objects, v.facts)
    rule_id = raw["id"]
    if rule_id in rule_ids:
        checker.fail((*path, "id"), "IR210", f"duplicate rule id '{rule_id}' (first at {rule_ids[rule_id]})")
    else:
        line, column = doc.where((*path, "id"))
        rule_ids[rule_id] = f"{doc.file}:{line}:{column}"
    if raw["review_due"] < raw["last_reviewed"]:
        checker.fail((*path, "review_due"), "IR227", "review_due is before last_reviewed")
    if raw["status"] == "active":
        for i, ev in enumerate(raw["evidence"]):
            if ev["confidence"] != "high":
                checker.fail(
                    (*path, "evidence", i, "confidence"),
                    "IR228",
                    f"an active rule rests on evidence of confidence '{ev['confidence']}'; "
                    "keep it draft until a clinician confirms it against the primary text",
                )
    when = checker.condition((*path, "when"), raw["when"])
    then = [
        checker.action((*path, "then", i), action, v.interventions, v.roles)
        for i, action in enumerate(raw["then"])
    ]
    if when is None or any(a is None for a in then) or not checker.ok:
        return None, []
    rule = Rule(
        id=rule_id,
        title=raw["title"],
        version=raw["version"],
        status=raw["status"],
        author=raw["author"],
        reviewer=raw.get("reviewer"),
        last_reviewed=datetime.date.fromisoformat(raw["last_reviewed"]),
        review_due=datetime.date.fromisoformat(raw["review_due"]),
        evidence=evidence(raw["evidence"]),
        when=when,
        then=tuple(a for a in then if a is not None),
        order=order,
        location=doc.location(path),
    )
    return rule, checker.matched


def _rules(
    ctx: Context, docs: list[Located], vocabulary: Vocabulary
) -> tuple[list[Rule], list[tuple[Located, Path, str, str]]]:
    """Every valid rule in definition order, and every ``{matched.FEATURE}`` placeholder."""
    rules: list[Rule] = []
    rule_ids: dict[str, str] = {}
    matched_refs: list[tuple[Located, Path, str, str]] = []
    for doc, items in sections(docs, "rules"):
        for index, raw in enumerate(items):
            rule, matched = _rule(ctx, doc, ("rules", index), raw, vocabulary, rule_ids, len(rules))
            if rule is None:
                continue
            matched_refs.extend((doc, path, rule.id, name) for path, name in matched)
            rules.append(rule)
    return rules, matched_refs


def _constraints(
    ctx: Context, doc: Located, ranking: dict[str, Any], interventions: dict[str, Intervention]
) -> list[Constraint]:
    constraints: list[Constraint] = []
    for i, raw in enumerate(ranking.get("constraints", [])):
        cpath: Path = ("ruleset", "ranking", "constraints", i, "never_above")
        sides = {}
        for side in ("lower", "upper"):
            sel = raw["never_above"][side]
            for j, item in enumerate(sel.get("interventions", [])):
                if item not in interventions:
                    ctx.add(
                        doc,
                        (*cpath, side, "interventions", j),
                        "IR223",
                        f"unknown intervention '{item}'",
                        suggestion=suggest(item, interventions),
                    )
            sides[side] = Selector(tuple(sel.get("categories", [])), tuple(sel.get("interventions", [])))
        location = doc.location(("ruleset", "ranking", "constraints", i))
        constraints.append(Constraint(raw["id"], sides["lower"], sides["upper"], raw["text"], location))
    _check_constraints(ctx, doc, constraints, interventions)
    return constraints


def _ruleset_section(ctx: Context, docs: list[Located]) -> tuple[Located, dict[str, Any]] | None:
    """The one 'ruleset' section (None, with a problem, when there is none)."""
    rulesets = list(sections(docs, "ruleset"))
    if not rulesets:
        file = docs[0].file if docs else "<rule set>"
        ctx.problems.append(
            Problem("no file declares the 'ruleset' section", file=file, line=1, column=1, code="IR209")
        )
        return None
    for doc, _ in rulesets[1:]:
        ctx.add(doc, ("ruleset",), "IR208", f"'ruleset' is already declared in {rulesets[0][0].file}")
    return rulesets[0]


def build_definition(docs: list[Located]) -> tuple[Definition | None, list[Problem]]:
    """Validate schema-valid documents as a whole rule set."""
    ctx = Context()
    section = _ruleset_section(ctx, docs)
    vocabulary = read_vocabulary(ctx, docs)
    rules, matched_refs = _rules(ctx, docs, vocabulary)
    spec: dict[str, Any] = section[1] if section else {"name": "", "version": ""}
    ranking = spec.get("ranking", {})
    constraints = _constraints(ctx, section[0], ranking, vocabulary.interventions) if section else []
    _check_cycles(ctx, docs, rules)
    if not ctx.problems:
        check_matched(ctx, rules, matched_refs)
    if not ctx.problems and section:
        _check_live_rules(ctx, section[0], rules)
    if ctx.problems:
        return None, ctx.problems
    v = vocabulary
    definition = Definition(
        name=spec["name"],
        version=spec["version"],
        description=spec.get("description"),
        aggregate=ranking.get("aggregate", "sum"),
        constraints=tuple(constraints),
        features=v.features,
        objects=v.objects,
        object_required=v.object_required,
        facts=v.facts,
        roles=v.roles,
        interventions=v.interventions,
        rules=tuple(rules),
        zero_strength=ranking.get("zero_strength", "ranked"),
        source_article=spec.get("source_article"),
    )
    return definition, []


def _check_live_rules(ctx: Context, doc: Located, rules: list[Rule]) -> None:
    """A rule set in which no rule evaluates would answer every assessment with an empty decision,
    which reads as "nothing applies" rather than "no rules": refused."""
    if all(rule.status == "retired" for rule in rules):
        message = "no active or draft rule: nothing can fire, so every decision would be empty"
        ctx.add(doc, ("ruleset",), "IR237", message)


def _check_constraints(
    ctx: Context, doc: Located, constraints: list[Constraint], interventions: dict[str, Intervention]
) -> None:
    """Ranking constraints must be satisfiable together: no intervention above itself."""
    above: dict[str, set[str]] = {}
    for index, constraint in enumerate(constraints):
        path: Path = ("ruleset", "ranking", "constraints", index)
        uppers = {iv.id for iv in interventions.values() if constraint.upper.selects(iv)}
        lowers = {iv.id for iv in interventions.values() if constraint.lower.selects(iv)}
        both = sorted(uppers & lowers)
        if both:
            ctx.add(doc, path, "IR229", f"constraint {constraint.id} selects {', '.join(both)} on both sides")
        for upper in uppers:
            above.setdefault(upper, set()).update(lowers - {upper})
    # A cycle means some intervention would have to rank above itself.
    cycle = next(cycles(above), None)
    if cycle is not None:
        ctx.add(
            doc,
            ("ruleset", "ranking", "constraints"),
            "IR230",
            "ranking constraints contradict each other: " + " above ".join(cycle),
        )


def _check_cycles(ctx: Context, docs: list[Located], rules: list[Rule]) -> None:
    """Derived facts may not depend on themselves through any chain of rules, and chains stay
    shallow enough to evaluate and explain."""
    from ._compile import strata_of
    from .conditions import referenced_facts

    display = {doc.name: doc.file for doc in docs}
    live = [r for r in rules if r.status != "retired"]
    depends: dict[str, set[str]] = {}
    where: dict[str, Rule] = {}
    for rule in live:
        tested = set(referenced_facts(rule.when))
        for action in rule.then:
            if isinstance(action, Conclude):
                depends.setdefault(action.fact, set()).update(tested)
                where.setdefault(action.fact, rule)

    def report(rule: Rule, code: str, message: str) -> None:
        loc = rule.location
        file = display.get(loc.file, loc.file)
        ctx.problems.append(
            Problem(message, file, loc.line, loc.column, loc.path, rule.id, code=code, parts=loc.parts)
        )

    found = list(cycles(depends))
    for cycle in found:
        report(where[cycle[-2]], "IR231", "derived facts form a cycle: " + " -> ".join(reversed(cycle)))
    if found:
        return
    levels = strata_of(live)
    deepest = max(levels.values(), default=0)
    if deepest >= MAX_STRATA:
        rule = next(r for r in live if levels[r.id] == deepest)
        message = f"derived facts build on each other {deepest} levels deep (at most {MAX_STRATA - 1})"
        report(rule, "IR232", message)
