"""The governance view of the audit trail: per rule and per intervention, how often its cards were
shown, accepted and overridden, with the override reasons, over a date range. Rendered as one
self-contained HTML file or as Markdown with Jinja2, like the rule book.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import jinja2

__all__ = ["Tally", "audit_report", "summarise"]

_MARKDOWN = re.compile(r"([\\`*_\[\]<>|])")


def _md(value: object) -> str:
    """Text safe in a Markdown table cell: one line, Markdown punctuation escaped."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(value).split()))


@attrs.define
class Tally:
    """The cards of one rule or intervention, and what clinicians did with them."""

    name: str
    shown: int = 0
    accepted: int = 0
    overridden: int = 0
    reasons: Counter[str] = attrs.field(factory=Counter)

    @property
    def override_rate(self) -> str:
        answered = self.accepted + self.overridden
        return f"{100 * self.overridden / answered:.0f}%" if answered else "-"


def _in_range(time: str, since: datetime.datetime | None, until: datetime.datetime | None) -> bool:
    moment = datetime.datetime.fromisoformat(time)
    return (since is None or moment >= since) and (until is None or moment < until)


def summarise(
    records: Iterable[Mapping[str, Any]],
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> dict[str, Any]:
    """Tally the decisions served in the range and the feedback given on their cards."""
    decisions: dict[str, Mapping[str, Any]] = {}
    feedback: list[Mapping[str, Any]] = []
    for record in records:
        if record["kind"] == "decision":
            if _in_range(record["time"], since, until):
                decisions[record["decision_id"]] = record
        else:
            feedback.append(record)
    by_rule: dict[str, Tally] = {}
    by_intervention: dict[str, Tally] = {}
    cards: dict[tuple[str, str], Mapping[str, Any]] = {}
    rulesets: Counter[str] = Counter()
    for d in decisions.values():
        rulesets[f"{d['ruleset_name']} {d['ruleset_version']} ({d['ruleset_digest']})"] += 1
        for card in d["cards"]:
            cards[(d["decision_id"], card["uuid"])] = card
            for rule in card["rules"]:
                by_rule.setdefault(rule, Tally(rule)).shown += 1
            for intervention in card["interventions"]:
                by_intervention.setdefault(intervention, Tally(intervention)).shown += 1
    answered = 0
    for f in feedback:
        card = cards.get((f["decision_id"], f["card"]))
        if card is None:  # feedback on a decision outside the range
            continue
        answered += 1
        tallies = [by_rule[r] for r in card["rules"]] + [by_intervention[i] for i in card["interventions"]]
        reason = f["override_reason"] or {}
        label = reason.get("display") or reason.get("code") or "no reason given"
        for tally in tallies:
            if f["outcome"] == "accepted":
                tally.accepted += 1
            else:
                tally.overridden += 1
                tally.reasons[label] += 1

    def ordered(tallies: dict[str, Tally]) -> list[Tally]:
        return sorted(tallies.values(), key=lambda t: (-t.overridden, -t.shown, t.name))

    return {
        "since": since.date().isoformat() if since else None,
        "until": until.date().isoformat() if until else None,
        "decisions": len(decisions),
        "cards": len(cards),
        "feedback": answered,
        "rulesets": sorted(rulesets.items()),
        "rules": ordered(by_rule),
        "interventions": ordered(by_intervention),
    }


def audit_report(
    records: Iterable[Mapping[str, Any]],
    format: str = "html",
    *,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> str:
    """The report as HTML (``format="html"``) or Markdown (``"md"``)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("intervention_rules.service", "templates"),
        autoescape=format == "html",
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = _md
    return env.get_template(f"audit.{format}.j2").render(summarise(records, since, until))
