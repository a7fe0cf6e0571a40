"""Decision.to_cds_hooks(): CDS Hooks 2.0 cards, checked against the specification's constraints."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from hypothesis import given

import intervention_rules as ir
from helpers import make_ruleset, recommend, rule
from intervention_rules.decision import OVERRIDE_REASONS
from intervention_rules.testing import assessments

RULESET = ir.load_ruleset()
INDICATORS = ("info", "warning", "critical")  # CDS Hooks 2.0, in order of increasing urgency
CARD_FIELDS = {
    "uuid",
    "summary",
    "detail",
    "indicator",
    "source",
    "suggestions",
    "selectionBehavior",
    "overrideReasons",
    "links",
    "extension",
}
ADOLESCENT = {
    "age": 15,
    "reasons": ["emotional_regulation"],
    "conditions": ["depression"],
    "pattern": "repeated",
    "family": {"involved": True, "safeguarding_concern": True},
    "medications": ["venlafaxine"],
}


def assert_label(label: str, source: str) -> None:
    """A source label is the cited source, cut at a word with an ellipsis when too long."""
    if len(source) < 140:
        assert label == source
    else:
        assert label.endswith("…")
        assert source.startswith(label[:-1])


def check_coding(coding: dict[str, Any], *, display: bool) -> None:
    assert isinstance(coding["code"], str)
    assert coding["code"]
    assert isinstance(coding["system"], str)
    assert coding["system"]
    if display:
        assert isinstance(coding["display"], str)
        assert coding["display"]


def check_card(card: dict[str, Any]) -> None:
    """The CDS Hooks 2.0 card attributes: required ones present, every value of its kind."""
    assert set(card) <= CARD_FIELDS
    assert isinstance(card["summary"], str)
    assert 0 < len(card["summary"]) < 140
    assert "\n" not in card["summary"]
    assert card["indicator"] in INDICATORS
    uuid.UUID(card["uuid"])
    source = card["source"]
    assert set(source) <= {"label", "url", "icon", "topic"}
    assert isinstance(source["label"], str)
    assert source["label"]
    if "url" in source:
        assert re.match(r"^https://", source["url"])
    if "topic" in source:
        check_coding(source["topic"], display=False)
    assert isinstance(card["detail"], str)
    assert card["overrideReasons"]
    for reason in card["overrideReasons"]:
        check_coding(reason, display=True)
    for link in card.get("links", []):
        assert set(link) == {"label", "url", "type"}
        assert link["type"] == "absolute"
        assert link["url"].startswith("https://")
        assert link["label"]
    assert "suggestions" not in card
    assert "selectionBehavior" not in card


@given(assessments(RULESET))
def test_every_card_keeps_the_cds_hooks_constraints(assessment: dict[str, Any]) -> None:
    decision = RULESET.evaluate(assessment)
    cards = decision.to_cds_hooks(ruleset=RULESET)
    for card in cards:
        check_card(card)
    json.dumps(cards)
    assert len({c["uuid"] for c in cards}) == len(cards)
    last = 1 if decision.not_recommended or decision.considered else 0
    expected = len(decision.alerts) + len(decision.recommendations) + last
    assert len(cards) == expected


@given(assessments(RULESET))
def test_the_worst_card_comes_first_then_alerts_then_recommendations_in_rank_order(
    assessment: dict[str, Any],
) -> None:
    decision = RULESET.evaluate(assessment)
    cards = decision.to_cds_hooks()
    urgency = [INDICATORS.index(c["indicator"]) for c in cards]
    assert urgency == sorted(urgency, reverse=True)
    by_title = {}
    for rec in decision.recommendations:
        worst = max((INDICATORS.index(c.severity) for c in rec.cautions), default=0)
        (card,) = [c for c in cards if f"{rec.title} (rank {rec.rank})" in c["summary"]]
        assert card["indicator"] == INDICATORS[worst]
        if worst == 0:
            assert "Consider" in card["summary"]
        else:  # the caution leads the summary, so an EHR showing only summaries shows it
            label = {"warning": "Caution: ", "critical": "Critical: "}[card["indicator"]]
            assert card["summary"].startswith(label)
        by_title[rec.rank] = cards.index(card)
    for severity in INDICATORS:  # within one indicator: alerts, then recommendations by rank
        ranked = [
            by_title[r.rank]
            for r in decision.recommendations
            if cards[by_title[r.rank]]["indicator"] == severity
        ]
        assert ranked == sorted(ranked)
        alerts = [i for i, c in enumerate(cards) if c["indicator"] == severity and _is_alert(c)]
        assert all(a < r for a in alerts for r in ranked)


def _is_alert(card: dict[str, Any]) -> bool:
    return card["detail"].split("\n", 1)[0].endswith(" alert**")


def test_a_critical_caution_on_a_recommendation_leads_the_cards() -> None:
    """An MAOI already taken: the critical combination caution on the SSRI and SNRI cards must
    not sit 13th with a summary that reads like a suggestion."""
    assessment = {
        "age": 33,
        "medications": ["phenelzine"],
        "reasons": ["sense_of_control"],
        "conditions": ["depression"],
    }
    decision = RULESET.evaluate(assessment)
    cards = decision.to_cds_hooks()
    critical = [
        r for r in decision.recommendations if any(c.rule == "MEDS-MAOI-COMBINATION" for c in r.cautions)
    ]
    assert critical
    leading = cards[: len(critical)]
    for card, rec in zip(leading, critical, strict=True):
        assert card["indicator"] == "critical"
        assert card["summary"].startswith(f"Critical: {rec.title} (rank {rec.rank}): ")
        assert len(card["summary"]) < 140
    assert [c["uuid"] for c in cards] == [c["uuid"] for c in decision.to_cds_hooks()]


def test_cards_are_the_same_for_the_same_decision() -> None:
    """uuids are stable (uuid5 over the digest and the card), whatever the input's key order."""
    first = RULESET.evaluate(ADOLESCENT).to_cds_hooks()
    reordered = dict(reversed(list(ADOLESCENT.items())))
    assert RULESET.evaluate(reordered).to_cds_hooks() == first
    other = RULESET.evaluate({**ADOLESCENT, "age": 16}).to_cds_hooks()
    assert [c["uuid"] for c in first] != [c["uuid"] for c in other]


def test_a_recommendation_card_explains_prompts_cautions_and_evidence() -> None:
    decision = RULESET.evaluate(ADOLESCENT)
    cards = decision.to_cds_hooks()
    ssri = decision.recommendation("ssri")
    assert ssri is not None
    assert ssri.cautions
    card = next(c for c in cards if ssri.title in c["summary"])
    detail = card["detail"]
    for heading in ("**Why**", "**Cautions**", "**Involve**"):
        assert heading in detail
    for explanation in ssri.explanations:
        assert explanation.rule in detail
        for evidence in explanation.evidence:
            assert f"grade {evidence.grade.replace('_', ' ')}" in detail
    for caution in ssri.cautions:
        assert f"**{caution.severity}**" in detail
        assert caution.rule in detail
    for prompt in ssri.collaboration:
        assert f"**{prompt.role.replace('_', ' ').capitalize()}**" in detail
    first_reason = next(e for e in ssri.explanations if e.kind == "recommend")
    assert_label(card["source"]["label"], first_reason.evidence[0].source)
    assert "not a risk rating" in detail


def test_critical_alerts_come_first_and_draft_content_says_so() -> None:
    decision = RULESET.evaluate(ADOLESCENT)
    cards = decision.to_cds_hooks(ruleset=RULESET)
    assert cards[0]["indicator"] == "critical"
    draft_alerts = [a for a in decision.alerts if a.status == "draft"]
    assert draft_alerts
    for alert in draft_alerts:
        card = next(c for c in cards if f"({alert.rule}, draft rule)" in c["detail"])
        assert card["summary"].startswith("Draft: ")


def test_alert_cards_cite_their_rules_evidence_with_the_rule_set() -> None:
    decision = RULESET.evaluate(ADOLESCENT)
    with_rules = decision.to_cds_hooks(ruleset=RULESET)
    without = decision.to_cds_hooks()
    alert_cards = [(c, b) for c, b in zip(with_rules, without, strict=True) if _is_alert(c)]
    assert len(alert_cards) == len(decision.alerts)
    for card, bare in alert_cards:
        alert = next(a for a in decision.alerts if f"({a.rule}" in card["detail"])
        evidence = RULESET.rule(alert.rule).evidence
        assert evidence
        assert_label(card["source"]["label"], evidence[0].source)
        assert bare["source"]["label"] == f"Rule set {RULESET.name} {RULESET.version}"
    nice = [
        c for c in with_rules if c["source"].get("url", "").startswith("https://www.nice.org.uk/guidance/ng")
    ]
    assert nice
    assert all(c["links"][0]["url"] == c["source"]["url"] for c in nice)


def test_long_text_is_cut_to_the_summary_limit_at_a_word() -> None:
    decision = RULESET.evaluate(ADOLESCENT)
    long_alerts = [a for a in decision.alerts if len(a.text) >= 140]
    assert long_alerts
    cards = decision.to_cds_hooks()
    for card in cards:
        assert len(card["summary"]) < 140
    cut = [c for c in cards if c["summary"].endswith("…")]
    assert cut
    assert all(not c["summary"][:-1].endswith(" ") for c in cut)


def test_override_reasons_are_codings_with_a_display() -> None:
    codes = [r["code"] for r in OVERRIDE_REASONS]
    assert "not-clinically-appropriate" in codes
    assert "patient-declined" in codes
    card = RULESET.evaluate(ADOLESCENT).to_cds_hooks()[0]
    assert card["overrideReasons"] == [dict(r) for r in OVERRIDE_REASONS]


def test_markdown_in_rule_text_is_escaped() -> None:
    from intervention_rules._cards import _md

    assert _md("a *b* <script>\n_c_") == r"a \*b\* \<script\> \_c\_"


def test_cards_leave_the_decision_json_alone() -> None:
    decision = RULESET.evaluate(ADOLESCENT)
    before = json.dumps(decision.to_dict())
    decision.to_cds_hooks(ruleset=RULESET)
    assert json.dumps(decision.to_dict()) == before


def test_considered_but_not_suggested_shares_the_last_card(tmp_path: Path) -> None:
    """Under ``zero_strength: considered``, what was weighed to nothing is listed with its reasons."""
    lower = {"adjust": {"intervention": "mindfulness", "by": -1, "text": "Little support here."}}
    veto = {"not_recommend": {"intervention": "snri", "text": "Not for this person."}}
    rules = make_ruleset(
        tmp_path,
        rule("REC", {"age": {"gte": 18}}, recommend("mindfulness", 1, "Some support."), recommend("cbt", 1)),
        rule("LOWER", {"age": {"gte": 18}}, lower, veto),
        zero_strength="considered",
    )
    decision = rules.evaluate({"age": 30})
    assert [c.intervention for c in decision.considered] == ["mindfulness"]
    cards = decision.to_cds_hooks()
    for card in cards:
        check_card(card)
    last = cards[-1]
    title = rules.interventions["mindfulness"].title
    assert last["summary"].startswith("Not recommended: ")
    assert f"considered, not suggested: {title}" in last["summary"]
    assert "**Considered, not suggested**" in last["detail"]
    assert "Little support here. (LOWER)" in last["detail"]
    assert "Some support. (REC)" in last["detail"]
    assert all(title not in c["summary"] for c in cards[:-1])
