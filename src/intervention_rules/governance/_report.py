"""The reviewer's rule book: every rule in plain language, grouped by intervention, with its
metadata, evidence, review status and lint findings; the scenario coverage; a picture of which
features lead to which interventions. Rendered as one self-contained HTML file or as Markdown.

Rendering needs Jinja2 (the ``governance`` extra); every text that comes from rule files is
escaped by the template engine.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from .._extras import require
from ..errors import AssessmentError, InterventionRulesError
from ..model import Alert, Conclude, Rule, action_intervention
from ..ruleset import RuleSet
from ._lint import REVIEW_SOON_DAYS, Finding, LintResult
from ._manifest import Manifest
from ._plain import action_text, condition_text
from ._scenarios import NamedAssessment

__all__ = ["Coverage", "ReportError", "ScenarioOutcome", "coverage", "render", "rule_book", "rulebook"]


class ReportError(InterventionRulesError):
    """The report cannot be rendered.

    Nothing raises it any more: a missing Jinja2 is
    [`MissingExtraError`][intervention_rules.MissingExtraError]. The name stays for code that
    catches it.
    """


@attrs.frozen
class ScenarioOutcome:
    name: str
    error: str | None
    recommended: tuple[tuple[int, str, str, float], ...]  # rank, intervention, title, strength
    not_recommended: tuple[str, ...]
    alerts: tuple[str, ...]
    fired: tuple[str, ...]


@attrs.frozen
class Coverage:
    scenarios: tuple[ScenarioOutcome, ...]
    rule_hits: dict[str, int]
    intervention_hits: dict[str, int]

    @property
    def rules_not_exercised(self) -> tuple[str, ...]:
        return tuple(rule for rule, hits in self.rule_hits.items() if hits == 0)


def coverage(ruleset: RuleSet, scenarios: Sequence[NamedAssessment]) -> Coverage:
    """Evaluate every scenario; count how often each live rule fires and each intervention is recommended."""
    rule_hits = {r.id: 0 for r in ruleset.live_rules}
    iv_hits = dict.fromkeys(ruleset.interventions, 0)
    outcomes = []
    for scenario in scenarios:
        try:
            decision = ruleset.evaluate(scenario.assessment)
        except AssessmentError as error:
            outcomes.append(ScenarioOutcome(scenario.name, str(error), (), (), (), ()))
            continue
        for rule_id in decision.fired:
            rule_hits[rule_id] += 1
        for rec in decision.recommendations:
            iv_hits[rec.intervention] += 1
        outcomes.append(
            ScenarioOutcome(
                scenario.name,
                None,
                tuple((r.rank, r.intervention, r.title, r.strength) for r in decision.recommendations),
                tuple(n.intervention for n in decision.not_recommended),
                tuple(f"{a.severity}: {a.text}" for a in decision.alerts),
                decision.fired,
            )
        )
    return Coverage(tuple(outcomes), rule_hits, iv_hits)


def _review_state(rule: Rule, today: datetime.date) -> str:
    if rule.status == "retired":
        return "retired"
    due = rule.review_due
    if due < today:
        return "overdue"
    if (due - today).days <= REVIEW_SOON_DAYS:
        return "due soon"
    return "current"


def _source(root: Path, rule: Rule) -> str:
    file = root.name if root.is_file() else rule.location.file
    return f"{file}:{rule.location.line}"


def rulebook(
    ruleset: RuleSet,
    root: str | os.PathLike[str],
    lint: LintResult,
    *,
    today: datetime.date,
    manifest: Manifest | None = None,
    manifest_file: str = "",
    scenarios: Sequence[NamedAssessment] | None = None,
) -> dict[str, Any]:
    """Everything the rule book shows, as plain data (the templates' context)."""
    root = Path(root)
    by_rule: dict[str, list[Finding]] = {}
    for finding in lint.findings:
        if finding.rule:
            by_rule.setdefault(finding.rule, []).append(finding)
    cov = coverage(ruleset, scenarios) if scenarios is not None else None

    def card(rule: Rule) -> dict[str, Any]:
        return {
            "id": rule.id,
            "title": rule.title,
            "status": rule.status,
            "version": rule.version,
            "author": rule.author,
            "reviewer": rule.reviewer,
            "last_reviewed": rule.last_reviewed.isoformat(),
            "review_due": rule.review_due.isoformat(),
            "review_state": _review_state(rule, today),
            "evidence": [e.to_dict() for e in rule.evidence],
            "when": condition_text(rule.when, ruleset),
            "actions": [action_text(a, ruleset) for a in rule.then],
            "source": _source(root, rule),
            "findings": [f for f in by_rule.get(rule.id, []) if f.severity != "info" or f.example],
            "hits": cov.rule_hits.get(rule.id) if cov is not None else None,
        }

    live = ruleset.live_rules
    groups = []
    for iv in ruleset.interventions.values():
        rules = [card(r) for r in live if any(action_intervention(a) == iv.id for a in r.then)]
        groups.append(
            {
                "anchor": f"iv-{iv.id}",
                "title": iv.title,
                "id": iv.id,
                "category": iv.category.replace("_", " "),
                "description": iv.description,
                "collaboration": [
                    {"role": p.role.replace("_", " "), "prompt": p.prompt} for p in iv.collaboration
                ],
                "evidence": [e.to_dict() for e in iv.evidence],
                "rules": rules,
                "hits": cov.intervention_hits.get(iv.id) if cov is not None else None,
            }
        )
    others = [
        ("facts", "Derived facts", [r for r in live if all(isinstance(a, Conclude) for a in r.then)]),
        (
            "alerts",
            "Alerts on the whole decision",
            [
                r
                for r in live
                if any(isinstance(a, Alert) for a in r.then)
                and all(action_intervention(a) is None for a in r.then)
                and not all(isinstance(a, Conclude) for a in r.then)
            ],
        ),
        ("retired", "Retired rules (never evaluated)", [r for r in ruleset.rules if r.status == "retired"]),
    ]
    for anchor, title, members in others:
        if members:
            groups.append({"anchor": anchor, "title": title, "id": None, "rules": [card(r) for r in members]})
    from ._graph import graph, svg  # needs markupsafe (the governance extra)

    g = graph(ruleset)
    edges = [
        {
            "source": g.labels[e.source],
            "target": g.labels[e.target],
            "kind": e.kind.replace("_", " "),
            "rules": ", ".join(e.rules),
        }
        for e in g.edges
    ]
    counts = {s: sum(1 for r in ruleset.rules if r.status == s) for s in ("active", "draft", "retired")}
    return {
        "name": ruleset.name,
        "version": ruleset.version,
        "description": ruleset.description,
        "digest": ruleset.digest,
        "files": list(ruleset.files),
        "today": today.isoformat(),
        "counts": counts,
        "intervention_count": len(ruleset.interventions),
        "manifest": manifest,
        "manifest_file": manifest_file,
        "stale": manifest is not None and manifest.digest != ruleset.digest,
        "lint": lint,
        "findings": list(lint.findings),
        "groups": groups,
        "graph_svg": svg(g),
        "edges": edges,
        "coverage": cov,
        "constraints": [{"id": c.id, "text": c.text} for c in ruleset.constraints],
        "aggregate": ruleset.aggregate,
        "root": str(root),
    }


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def md_escape(value: object) -> str:
    """Text safe to place in Markdown (and in a Markdown table cell)."""
    text = " ".join(str(value).split())
    return _MD_SPECIAL.sub(r"\\\1", text)


def _environment(autoescape: bool) -> Any:
    jinja2 = require("governance", "jinja2")
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("intervention_rules.governance", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    return env


def render(template: str, context: dict[str, Any]) -> str:
    """Render one of the package's templates: ``*.html.j2`` escaped for HTML, ``*.md.j2`` for Markdown."""
    env = _environment(autoescape=template.endswith(".html.j2"))
    root = Path(context.get("root", ""))

    def relative(file: str) -> str:
        """A path inside the rule set, relative to it (the manifest's too)."""
        path = Path(file)
        for base in (root, root.parent):
            if path.is_relative_to(base) and path != base:
                return path.relative_to(base).as_posix()
        return file

    env.filters["relative"] = relative
    text: str = env.get_template(template).render(**context)
    return text


def rule_book(
    rules: str | os.PathLike[str] | None = None,
    *,
    format: str = "html",
    scenarios: Sequence[NamedAssessment] | None = None,
    today: datetime.date | None = None,
    manifest: str | os.PathLike[str] | None = None,
) -> str:
    """The rule book of a rule set (the bundled one by default) as ``html`` or ``md`` text.

    The manifest is read from its usual place (``manifest.json`` beside the rules) unless given;
    a stale one is shown as such. Raises RuleSetError (and ManifestError) like the loader.
    """
    from ..loading import bundled_rules_path, load_ruleset
    from ._lint import lint_ruleset
    from ._manifest import ManifestError, manifest_path, read_manifest

    if format not in ("html", "md"):
        raise ValueError(f"format is 'html' or 'md', not {format!r}")
    root = bundled_rules_path() if rules is None else Path(rules)
    ruleset = load_ruleset(root)
    where = Path(manifest) if manifest is not None else manifest_path(root)
    record = None
    if where.exists():
        record = read_manifest(where)
    elif manifest is not None:
        from ..errors import Problem

        raise ManifestError([Problem("no manifest at this path", file=str(where), code="IR401")])
    day = today or datetime.date.today()
    result = lint_ruleset(ruleset, root, today=day, manifest=record, manifest_file=str(where))
    context = rulebook(
        ruleset, root, result, today=day, manifest=record, manifest_file=str(where), scenarios=scenarios
    )
    return render(f"rulebook.{format}.j2", context)
