"""A decision as CDS Hooks 2.0 cards (plain dictionaries; no optional dependency).

One card per alert, one per recommendation and, when something was ruled out or considered
without support, one card that lists what is not recommended or not suggested, and why. Card
design and the reasons for it are in docs/integration.md ("CDS Hooks cards").
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .model import SEVERITIES, Evidence

if TYPE_CHECKING:
    from .decision import AlertNote, Decision, Recommendation
    from .ruleset import RuleSet

__all__ = [
    "CARD_NAMESPACE",
    "CATEGORY_SYSTEM",
    "OVERRIDE_REASONS",
    "OVERRIDE_REASON_SYSTEM",
    "SUMMARY_LIMIT",
    "cards",
]

SUMMARY_LIMIT = 139
"""The longest summary a card gets: CDS Hooks 2.0 asks for fewer than 140 characters."""

CARD_NAMESPACE = uuid.UUID("5c0a7f2e-9d47-5b8e-a1f0-3b6e0c2d9a41")
"""The namespace of the cards' uuid5 identifiers (the same decision always gives the same uuids)."""

OVERRIDE_REASON_SYSTEM = "urn:intervention-rules:cds-hooks:override-reason"
CATEGORY_SYSTEM = "urn:intervention-rules:intervention-category"

OVERRIDE_REASONS: tuple[dict[str, str], ...] = tuple(
    {"system": OVERRIDE_REASON_SYSTEM, "code": code, "display": display}
    for code, display in (
        ("not-clinically-appropriate", "Not clinically appropriate for this person"),
        ("patient-declined", "Patient declined"),
        ("already-in-place", "Already in place or arranged"),
        ("not-available", "Not available locally"),
        ("assessment-out-of-date", "Assessment incomplete or out of date"),
    )
)
"""The override reasons every card offers, as CDS Hooks Codings (each with a display)."""

_SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}  # critical first
_CAUTION_LABEL = {"critical": "Critical", "warning": "Caution"}  # a recommendation card's summary
_NOTICE = (
    "_Decision support for a qualified professional; it does not replace clinical judgement. "
    "It is not a risk rating._"
)
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|~&#])")
_NICE = re.compile(r"\bNICE\s+(NG|CG|QS|TA)\s?(\d+)\b")


def _md(text: str) -> str:
    """Plain text made safe inside GitHub-flavoured Markdown: one line, punctuation escaped."""
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def _summary(text: str) -> str:
    """One line of fewer than 140 characters, cut at a word with an ellipsis when longer."""
    line = " ".join(text.split())
    if len(line) <= SUMMARY_LIMIT:
        return line
    cut = line[: SUMMARY_LIMIT - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def _draft(status: str | None) -> str:
    return ", draft rule" if status == "draft" else ""


def evidence_url(source: str) -> str | None:
    """An address for a cited source when it has a stable, well-known one (NICE guidance)."""
    match = _NICE.search(source)
    if match is None:
        return None
    return f"https://www.nice.org.uk/guidance/{match.group(1).lower()}{match.group(2)}"


def _worst(severities: Iterable[str]) -> str:
    return min(severities, key=_SEVERITY_RANK.__getitem__, default="info")


def _evidence_lines(evidence: Iterable[Evidence]) -> list[str]:
    return [
        f"  - Evidence: {_md(e.source)} (grade {e.grade.replace('_', ' ')}, confidence {e.confidence})"
        for e in evidence
    ]


def _source(decision: Decision, evidence: tuple[Evidence, ...]) -> dict[str, str]:
    label = f"Rule set {decision.ruleset.name} {decision.ruleset.version}"
    if not evidence:
        return {"label": label}
    first = evidence[0]
    out = {"label": _summary(first.source)}
    url = evidence_url(first.source)
    if url is not None:
        out["url"] = url
    return out


def _links(evidence: Iterable[Evidence]) -> list[dict[str, str]]:
    links: dict[str, dict[str, str]] = {}
    for e in evidence:
        url = evidence_url(e.source)
        if url is not None and url not in links:
            links[url] = {"label": _summary(e.source), "url": url, "type": "absolute"}
    return list(links.values())


def _recommendation_card(decision: Decision, rec: Recommendation) -> dict[str, Any]:
    drafts = [e.status == "draft" for e in rec.explanations if e.kind == "recommend"]
    only_draft = bool(drafts) and all(drafts)
    indicator = _worst(c.severity for c in rec.cautions)
    summary = f"{'Draft: ' if only_draft else ''}Consider {rec.title} (rank {rec.rank})"
    if indicator != "info":  # the caution leads: an EHR may show only the summary
        worst = next(c for c in rec.cautions if c.severity == indicator)
        summary = f"{_CAUTION_LABEL[indicator]}: {rec.title} (rank {rec.rank}): {worst.text}"
    lines = [f"**{_md(rec.title)}**: rank {rec.rank}, strength {rec.strength:g} ({rec.category})", ""]
    lines.append("**Why**")
    evidence: list[Evidence] = []
    for e in rec.explanations:
        lines.append(f"- {_md(e.text)} ({e.rule}{_draft(e.status)})")
        lines.extend(_evidence_lines(e.evidence))
        evidence.extend(e.evidence)
    if rec.cautions:
        lines += ["", "**Cautions**"]
        for c in rec.cautions:
            lines.append(f"- **{c.severity}**: {_md(c.text)} ({c.rule}{_draft(c.status)})")
    if rec.collaboration:
        lines += ["", "**Involve**"]
        for p in rec.collaboration:
            role = p.role.replace("_", " ").capitalize()
            source = f" ({p.rule}{_draft(p.status)})" if p.rule else ""
            lines.append(f"- **{role}**: {_md(p.prompt)}{source}")
    if only_draft:
        lines += [
            "",
            "**Draft**: every reason for this suggestion comes from rules not yet clinically reviewed.",
        ]
    card: dict[str, Any] = {
        "summary": _summary(summary),
        "indicator": indicator,
        "detail": "\n".join([*lines, "", _NOTICE]),
        "source": {
            **_source(decision, evidence_of(rec)),
            "topic": {
                "system": CATEGORY_SYSTEM,
                "code": rec.category,
                "display": rec.category.replace("_", " ").capitalize(),
            },
        },
        "overrideReasons": [dict(r) for r in OVERRIDE_REASONS],
    }
    links = _links(evidence)
    if links:
        card["links"] = links
    return card


def evidence_of(rec: Recommendation) -> tuple[Evidence, ...]:
    """The recommendation's evidence, its reasons' first."""
    reasons = [e for e in rec.explanations if e.kind == "recommend"] or list(rec.explanations)
    return tuple(ev for e in reasons for ev in e.evidence)


def _alert_card(decision: Decision, alert: AlertNote, ruleset: RuleSet | None) -> dict[str, Any]:
    prefix = "Draft: " if alert.status == "draft" else ""
    evidence: tuple[Evidence, ...] = ()
    if ruleset is not None and ruleset.name == decision.ruleset.name:
        try:
            evidence = ruleset.rule(alert.rule).evidence
        except KeyError:  # a decision from another version of the rule set
            evidence = ()
    lines = [
        f"**{alert.severity.capitalize()} alert**",
        "",
        f"- {_md(alert.text)} ({alert.rule}{_draft(alert.status)})",
        *_evidence_lines(evidence),
    ]
    card: dict[str, Any] = {
        "summary": _summary(prefix + alert.text),
        "indicator": alert.severity,
        "detail": "\n".join([*lines, "", _NOTICE]),
        "source": _source(decision, evidence),
        "overrideReasons": [dict(r) for r in OVERRIDE_REASONS],
    }
    links = _links(evidence)
    if links:
        card["links"] = links
    return card


def _not_suggested_card(decision: Decision) -> dict[str, Any]:
    """What was ruled out, and what was considered but left with no support (not ranked)."""
    parts = []
    lines: list[str] = []
    if decision.not_recommended:
        parts.append(
            "Not recommended: " + ", ".join(dict.fromkeys(n.title for n in decision.not_recommended))
        )
        lines += ["**Not recommended for this person**", ""]
        for n in decision.not_recommended:
            lines.append(f"- **{_md(n.title)}**: {_md(n.text)} ({n.rule}{_draft(n.status)})")
    considered = decision.considered
    if considered:
        parts.append("considered, not suggested: " + ", ".join(c.title for c in considered))
        if lines:
            lines.append("")
        lines += ["**Considered, not suggested** (the reasons for and against left no support)", ""]
        for c in considered:
            lines.append(f"- **{_md(c.title)}** ({c.category})")
            for e in c.explanations:
                lines.append(f"  - {_md(e.text)} ({e.rule}{_draft(e.status)})")
            for note in c.cautions:
                lines.append(
                    f"  - caution, **{note.severity}**: {_md(note.text)} ({note.rule}{_draft(note.status)})"
                )
    summary = "; ".join(parts)
    return {
        "summary": _summary(summary[:1].upper() + summary[1:]),
        "indicator": "info",
        "detail": "\n".join([*lines, "", _NOTICE]),
        "source": {"label": f"Rule set {decision.ruleset.name} {decision.ruleset.version}"},
        "overrideReasons": [dict(r) for r in OVERRIDE_REASONS],
    }


def _with_uuid(decision: Decision, card: dict[str, Any]) -> dict[str, Any]:
    content = json.dumps([decision.ruleset.digest, card], sort_keys=True, ensure_ascii=False)
    return {"uuid": str(uuid.uuid5(CARD_NAMESPACE, content)), **card}


def cards_with_sources(
    decision: Decision, ruleset: RuleSet | None = None
) -> list[tuple[dict[str, Any], AlertNote | Recommendation | None]]:
    """The decision's cards in order, each with what it shows: its alert, its recommendation, or
    None for the card of what is not recommended or considered but not suggested."""
    made: list[tuple[dict[str, Any], AlertNote | Recommendation | None]] = [
        (_alert_card(decision, a, ruleset), a) for a in decision.alerts
    ]
    made += [(_recommendation_card(decision, r), r) for r in decision.recommendations]
    if decision.not_recommended or decision.considered:
        made.append((_not_suggested_card(decision), None))
    # The worst first, so an EHR that shows only the first cards shows the dangers; a stable sort
    # keeps alerts before recommendations, and recommendations in rank order, within a severity.
    made.sort(key=lambda pair: _SEVERITY_RANK[pair[0]["indicator"]])
    return [(_with_uuid(decision, card), source) for card, source in made]


def cards(decision: Decision, ruleset: RuleSet | None = None) -> list[dict[str, Any]]:
    """The decision's cards, worst indicator first (critical, warning, info); within one, alerts,
    then recommendations in rank order, then what is not recommended or considered but not
    suggested. With the rule set that made the decision, alert cards cite their rule's evidence too."""
    return [card for card, _ in cards_with_sources(decision, ruleset)]
