"""Semantic diff between two rule-set versions, and its impact on decisions.

The diff compares what the files mean, not their lines: rules by id, field by field (the
condition and actions shown in plain language), and the vocabulary, catalogue and ranking policy
by name. The impact evaluates both versions over the same assessments and lists, for each one
whose decision differs, what changed: newly recommended, dropped, re-ranked or re-weighted,
newly (or no longer) not recommended, cautions, prompts and alerts added or removed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TextIO

import attrs

from .._progress import progress
from ..decision import Decision
from ..errors import AssessmentError
from ..model import Rule
from ..ruleset import RuleSet
from ._plain import action_text, condition_text
from ._scenarios import NamedAssessment

__all__ = ["Change", "Impact", "RuleSetDiff", "ScenarioImpact", "diff_rulesets", "impact", "render_diff"]


@attrs.frozen
class FieldChange:
    field: str
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


#: What happened to a thing between two versions.
ChangeKind = Literal["added", "removed", "changed"]


@attrs.frozen
class Change:
    """One thing added, removed or changed in a section (rules, features, interventions...)."""

    section: str
    kind: ChangeKind
    key: str
    fields: tuple[FieldChange, ...] = ()
    summary: str = ""  # the added or removed thing in words
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "kind": self.kind,
            "key": self.key,
            "summary": self.summary,
            "fields": [f.to_dict() for f in self.fields],
            "notes": list(self.notes),
        }


@attrs.frozen
class RuleSetDiff:
    old: dict[str, str]
    new: dict[str, str]
    changes: tuple[Change, ...]

    def section(self, name: str) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.section == name)

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "changes": [c.to_dict() for c in self.changes]}


SECTIONS = ("ruleset", "constraints", "features", "facts", "roles", "interventions", "rules")
TITLES = {
    "ruleset": "Rule set",
    "constraints": "Ranking constraints",
    "features": "Features",
    "facts": "Derived facts",
    "roles": "Roles",
    "interventions": "Interventions",
    "rules": "Rules",
}


def _plain(value: Any) -> Any:
    """attrs objects to plain data, without source locations or definition order."""
    return attrs.asdict(value, filter=lambda a, _: a.name not in ("location", "order"))


def _rule_fields(rule: Rule, ruleset: RuleSet) -> dict[str, Any]:
    return {
        "title": rule.title,
        "version": rule.version,
        "status": rule.status,
        "author": rule.author,
        "reviewer": rule.reviewer,
        "last_reviewed": rule.last_reviewed.isoformat(),
        "review_due": rule.review_due.isoformat(),
        "evidence": [e.to_dict() for e in rule.evidence],
        "when": condition_text(rule.when, ruleset),
        "then": [action_text(a, ruleset) for a in rule.then],
    }


def _compare(
    section: str,
    old: Mapping[str, dict[str, Any]],
    new: Mapping[str, dict[str, Any]],
    describe: Mapping[str, str] | None = None,
) -> list[Change]:
    out: list[Change] = []
    describe = describe or {}
    for key in old:
        if key not in new:
            out.append(Change(section, "removed", key, summary=describe.get(f"old:{key}", "")))
    for key, fields in new.items():
        if key not in old:
            out.append(Change(section, "added", key, summary=describe.get(f"new:{key}", "")))
            continue
        changed = tuple(
            FieldChange(name, old[key].get(name), value)
            for name, value in fields.items()
            if old[key].get(name) != value
        )
        changed += tuple(
            FieldChange(name, value, None) for name, value in old[key].items() if name not in fields
        )
        if changed:
            out.append(Change(section, "changed", key, changed))
    return out


def diff_rulesets(old: RuleSet, new: RuleSet) -> RuleSetDiff:
    """What changed from ``old`` to ``new``, by meaning."""
    changes: list[Change] = []
    meta = {
        "name": (old.name, new.name),
        "version": (old.version, new.version),
        "description": (old.description, new.description),
        "aggregate": (old.aggregate, new.aggregate),
        "zero_strength": (old.zero_strength, new.zero_strength),
        "source_article": (old.source_article, new.source_article),
    }
    fields = tuple(FieldChange(k, a, b) for k, (a, b) in meta.items() if a != b)
    same_version = old.digest != new.digest and old.version == new.version
    meta_notes = ("the content changed but the rule set's version did not",) if same_version else ()
    if fields or meta_notes:
        changes.append(Change("ruleset", "changed", old.name, fields, notes=meta_notes))
    changes += _compare(
        "constraints",
        {c.id: _plain(c) for c in old.constraints},
        {c.id: _plain(c) for c in new.constraints},
    )
    changes += _compare(
        "features",
        {k: _plain(v) for k, v in old.features.items()},
        {k: _plain(v) for k, v in new.features.items()},
    )
    changes += _compare(
        "facts",
        {k: {"description": v} for k, v in old.facts.items()},
        {k: {"description": v} for k, v in new.facts.items()},
    )
    changes += _compare(
        "roles", {k: _plain(v) for k, v in old.roles.items()}, {k: _plain(v) for k, v in new.roles.items()}
    )

    def catalogue(rs: RuleSet) -> dict[str, dict[str, Any]]:
        return {k: {**_plain(v), "position": v.order + 1} for k, v in rs.interventions.items()}

    changes += _compare("interventions", catalogue(old), catalogue(new))

    describe = {f"old:{r.id}": f"{r.title}. " + _sentence(r, old) for r in old.rules}
    describe |= {f"new:{r.id}": f"{r.title}. " + _sentence(r, new) for r in new.rules}
    rule_changes = _compare(
        "rules",
        {r.id: _rule_fields(r, old) for r in old.rules},
        {r.id: _rule_fields(r, new) for r in new.rules},
        describe,
    )
    for i, change in enumerate(rule_changes):
        if change.kind != "changed":
            continue
        names = {f.field for f in change.fields}
        notes: list[str] = []
        if "version" not in names and names - {"status", "reviewer", "last_reviewed", "review_due"}:
            notes.append("the rule's content changed but its version number did not")
        if names & {"when", "then", "evidence"} and "last_reviewed" not in names:
            notes.append("its condition, actions or evidence changed without a new review date")
        rule_changes[i] = attrs.evolve(change, notes=tuple(notes))
    changes += rule_changes
    return RuleSetDiff(
        {"name": old.name, "version": old.version, "digest": old.digest},
        {"name": new.name, "version": new.version, "digest": new.digest},
        tuple(changes),
    )


def _sentence(rule: Rule, ruleset: RuleSet) -> str:
    actions = "; ".join(action_text(a, ruleset) for a in rule.then)
    return f"When {condition_text(rule.when, ruleset)}: {actions}."


# --- impact ------------------------------------------------------------------------------


@attrs.frozen
class ScenarioImpact:
    name: str
    assessment: Any  # None for an assessment that may be a real person's, unless values are shown
    changes: tuple[dict[str, Any], ...]  # {"kind": ..., "intervention": ..., "detail": ...}

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.name, "assessment": self.assessment, "changes": list(self.changes)}


@attrs.frozen
class Impact:
    source: str
    evaluated: int
    changed: tuple[ScenarioImpact, ...]
    counts: dict[str, dict[str, int]]  # change kind -> intervention (or "") -> count
    #: Assessments both versions refuse with the same problems: no decision to compare, and no
    #: change (an assessment refused differently is a change, listed with both refusals).
    refused_by_both: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "evaluated": self.evaluated,
            "changed": len(self.changed),
            "refused_by_both": self.refused_by_both,
            "counts": self.counts,
            "decisions": [s.to_dict() for s in self.changed],
        }


KIND_WORDS = {
    "invalid_in_old": "not a valid assessment for the old version",
    "invalid_in_new": "not a valid assessment for the new version",
    "newly_recommended": "newly recommended",
    "dropped": "no longer recommended",
    "re_ranked": "re-ranked",
    "strength_changed": "strength changed",
    "newly_not_recommended": "newly listed as not recommended",
    "no_longer_not_recommended": "no longer listed as not recommended",
    "newly_considered": "newly listed as considered, not suggested",
    "no_longer_considered": "no longer listed as considered, not suggested",
    "caution_added": "new caution",
    "caution_removed": "caution removed",
    "prompt_added": "new collaboration prompt",
    "prompt_removed": "collaboration prompt removed",
    "alert_added": "new alert",
    "alert_removed": "alert removed",
}


def _decide(ruleset: RuleSet, assessment: Any) -> Decision | str:
    try:
        return ruleset.evaluate(assessment)
    except AssessmentError as error:
        return "; ".join(str(p) for p in error.problems)


def _decision_changes(old: Decision, new: Decision) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(kind: str, intervention: str, detail: str) -> None:
        out.append({"kind": kind, "intervention": intervention, "detail": detail})

    before = {r.intervention: r for r in old.recommendations}
    after = {r.intervention: r for r in new.recommendations}
    for iv, rec in after.items():
        if iv not in before:
            add("newly_recommended", iv, f"rank {rec.rank}, strength {rec.strength:g}")
    for iv, rec in before.items():
        if iv not in after:
            add("dropped", iv, f"was rank {rec.rank}, strength {rec.strength:g}")
    for iv in before.keys() & after.keys():
        a, b = before[iv], after[iv]
        if a.rank != b.rank:
            add("re_ranked", iv, f"rank {a.rank} -> {b.rank}")
        if a.strength != b.strength:
            add("strength_changed", iv, f"strength {a.strength:g} -> {b.strength:g}")
        notes_a = {(c.severity, c.text) for c in a.cautions}
        notes_b = {(c.severity, c.text) for c in b.cautions}
        for sev, text in sorted(notes_b - notes_a):
            add("caution_added", iv, f"{sev}: {text}")
        for sev, text in sorted(notes_a - notes_b):
            add("caution_removed", iv, f"{sev}: {text}")
        prompts_a = {(p.role, p.prompt) for p in a.collaboration}
        prompts_b = {(p.role, p.prompt) for p in b.collaboration}
        for role, prompt in sorted(prompts_b - prompts_a):
            add("prompt_added", iv, f"{role}: {prompt}")
        for role, prompt in sorted(prompts_a - prompts_b):
            add("prompt_removed", iv, f"{role}: {prompt}")
    vetoed_a = {n.intervention: n.text for n in old.not_recommended}
    vetoed_b = {n.intervention: n.text for n in new.not_recommended}
    for iv in sorted(vetoed_b.keys() - vetoed_a.keys()):
        add("newly_not_recommended", iv, vetoed_b[iv])
    for iv in sorted(vetoed_a.keys() - vetoed_b.keys()):
        add("no_longer_not_recommended", iv, vetoed_a[iv])
    weighed_a = {c.intervention for c in old.considered}
    weighed_b = {c.intervention for c in new.considered}
    for iv in sorted(weighed_b - weighed_a):
        add("newly_considered", iv, "strength 0: considered, not suggested")
    for iv in sorted(weighed_a - weighed_b):
        add("no_longer_considered", iv, "was considered, not suggested")
    alerts_a = {(a.severity, a.text) for a in old.alerts}
    alerts_b = {(a.severity, a.text) for a in new.alerts}
    for sev, text in sorted(alerts_b - alerts_a):
        add("alert_added", "", f"{sev}: {text}")
    for sev, text in sorted(alerts_a - alerts_b):
        add("alert_removed", "", f"{sev}: {text}")
    return out


def impact(
    old: RuleSet,
    new: RuleSet,
    scenarios: Sequence[NamedAssessment],
    source: str,
    *,
    progress_to: TextIO | None = None,
    show_values: bool = False,
) -> Impact:
    """Evaluate every scenario with both versions and collect the decisions that differ.

    ``progress_to``: a stream on which to draw a progress bar, if it is a terminal.
    ``show_values``: quote the assessments marked ``private`` (read from JSON or JSON Lines files,
    which may be real people's) in the changed decisions; otherwise they are named only."""
    changed: list[ScenarioImpact] = []
    counts: dict[str, dict[str, int]] = {}
    refused = 0
    for scenario in progress(scenarios, progress_to, total=len(scenarios), what="impact", unit="assessments"):
        a, b = _decide(old, scenario.assessment), _decide(new, scenario.assessment)
        if isinstance(a, str) and a == b:  # refused alike: nothing changed for it
            refused += 1
            continue
        if isinstance(a, str) and isinstance(b, str):
            found = [{"kind": "invalid_in_old", "intervention": "", "detail": a}]
            found.append({"kind": "invalid_in_new", "intervention": "", "detail": b})
        elif isinstance(a, str):
            found = [{"kind": "invalid_in_old", "intervention": "", "detail": a}]
        elif isinstance(b, str):
            found = [{"kind": "invalid_in_new", "intervention": "", "detail": b}]
        else:
            found = _decision_changes(a, b)
        if not found:
            continue
        for item in found:
            per = counts.setdefault(item["kind"], {})
            per[item["intervention"]] = per.get(item["intervention"], 0) + 1
        shown = scenario.assessment if show_values or not scenario.private else None
        changed.append(ScenarioImpact(scenario.name, shown, tuple(found)))
    order = list(KIND_WORDS)
    counts = {kind: dict(sorted(counts[kind].items())) for kind in sorted(counts, key=order.index)}
    return Impact(source, len(scenarios), tuple(changed), counts, refused)


# --- output ------------------------------------------------------------------------------


#: Said where a report names assessments it does not quote.
HIDDEN = "assessments read from JSON files may be real people's: named, not quoted; --show-values quotes them"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def to_text(diff: RuleSetDiff, effects: Impact, examples: int = 20) -> str:
    o, n = diff.old, diff.new
    lines = [
        f"Rule set {o['name']} {o['version']} -> {n['name']} {n['version']}",
        f"  old {o['digest']}",
        f"  new {n['digest']}",
    ]
    if not diff.changes:
        lines.append("No change in meaning (the files may differ in layout or comments).")
    for section in SECTIONS:
        items = diff.section(section)
        if not items:
            continue
        lines += ["", section.upper()]
        for c in items:
            mark = {"added": "+", "removed": "-", "changed": "~"}[c.kind]
            lines.append(f"{mark} {c.key} ({c.kind}){': ' + c.summary if c.summary else ''}")
            for f in c.fields:
                if (
                    isinstance(f.old, list)
                    and isinstance(f.new, list)
                    and all(isinstance(x, str) for x in f.old + f.new)
                ):
                    lines.append(f"    {f.field}:")
                    lines += [f"      - {x}" for x in f.old if x not in f.new]
                    lines += [f"      + {x}" for x in f.new if x not in f.old]
                else:
                    lines.append(f"    {f.field}: {_show(f.old)}")
                    lines.append(f"    {' ' * len(f.field)}  -> {_show(f.new)}")
            for note in c.notes:
                lines.append(f"    note: {note}")
    lines += [
        "",
        f"IMPACT over {effects.source}: {len(effects.changed)} of {effects.evaluated} decisions change",
    ]
    if effects.refused_by_both:
        lines.append(f"  refused alike by both versions (no decision to compare): {effects.refused_by_both}")
    for kind, per in effects.counts.items():
        for iv, count in sorted(per.items()):
            lines.append(f"  {KIND_WORDS[kind]}{' ' + iv if iv else ''}: {count}")
    if effects.changed:
        shown = effects.changed[:examples]
        lines += ["", f"Examples ({len(shown)} of {len(effects.changed)}):"]
        if any(s.assessment is None for s in shown):
            lines.append(f"  ({HIDDEN})")
        for s in shown:
            lines.append(f"  {s.name}" if s.assessment is None else f"  {s.name} {_show(s.assessment)}")
            for item in s.changes:
                iv = f" {item['intervention']}" if item["intervention"] else ""
                lines.append(f"    {KIND_WORDS[item['kind']]}{iv}: {item['detail']}")
    return "\n".join(lines) + "\n"


def render_diff(diff: RuleSetDiff, effects: Impact, fmt: str) -> str:
    """The diff and its impact as ``text``, ``json`` or ``html``."""
    if fmt == "json":
        return (
            json.dumps({"diff": diff.to_dict(), "impact": effects.to_dict()}, indent=2, ensure_ascii=False)
            + "\n"
        )
    if fmt == "text":
        return to_text(diff, effects)
    from ._report import render

    sections = [(s, diff.section(s)) for s in SECTIONS if diff.section(s)]
    return render(
        "diff.html.j2",
        {
            "diff": diff,
            "impact": effects,
            "sections": sections,
            "words": KIND_WORDS,
            "show": _show,
            "hidden": HIDDEN[0].upper() + HIDDEN[1:],
            "titles": TITLES,
        },
    )
