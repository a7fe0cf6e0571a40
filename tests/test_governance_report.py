"""The reviewer's rule book: its content, its escaping, and what a reader sees in a real browser.

The browser is the distribution's Chromium (see tests/browser.py); the page may load nothing but itself.
"""

from __future__ import annotations

import datetime
import io
import json
import re
from pathlib import Path

from playwright.sync_api import BrowserContext
from pypdf import PdfReader

import intervention_rules as ir
from browser import browser_fixture, open_page  # noqa: F401 (browser_fixture provides "browser")
from copies import ROOT, copy_rules, edit_rule, recommending_rule
from helpers import make_ruleset, recommend, rule
from intervention_rules.governance import Manifest, manifest_path, rule_book, write_manifest
from intervention_rules.governance._graph import graph
from intervention_rules.governance._plain import condition_text
from intervention_rules.governance._scenarios import read_assessments

DAY = datetime.date(2026, 11, 27)
HOSTILE = (
    '<script>window.__pwned = 1</script><img src="http://example.invalid/x.png" onerror="window.__pwned = 2">'
)


def book(root: Path, fmt: str, scenarios: list[Path] | None = None) -> str:
    return rule_book(
        root, format=fmt, scenarios=read_assessments(scenarios) if scenarios else None, today=DAY
    )


def hostile_ruleset(tmp_path: Path) -> Path:
    danger = rule(
        "DANGER", {"age": {"gte": 18}}, recommend("dbt", 2, f"Because {HOSTILE} | *bold* [link](x)")
    )
    danger["title"] = f"Title {HOSTILE}"
    danger["evidence"][0]["note"] = HOSTILE
    make_ruleset(tmp_path, danger)
    return tmp_path / "ruleset.yaml"


# --- content -----------------------------------------------------------------------------


def test_markdown_lists_every_rule_in_plain_language() -> None:
    ruleset = ir.load_ruleset(ROOT / "rules")
    text = book(ROOT / "rules", "md")
    assert text.startswith(f"# Rule book: {ruleset.name} {ruleset.version}\n")
    assert f"`{ruleset.digest}`" in text
    for r in ruleset.rules:
        assert f"### {r.id}: " in text.replace("\\", "")
    rule_id, intervention = recommending_rule(ruleset)
    section = text.split(f"## {ruleset.interventions[intervention].title}")[1]
    assert rule_id in section.replace("\\", "")
    assert "**Not approved**" in text


def test_markdown_escapes_rule_text(tmp_path: Path) -> None:
    text = book(hostile_ruleset(tmp_path), "md")
    assert "<script>" not in text
    assert "\\<script\\>" in text
    assert "\\| \\*bold\\* \\[link\\](x)" in text


def test_html_escapes_rule_text(tmp_path: Path) -> None:
    html = book(hostile_ruleset(tmp_path), "html")
    assert "<script>window" not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    assert "<img" not in html


def test_scenario_coverage_counts_what_fired(tmp_path: Path) -> None:
    ruleset = ir.load_ruleset(ROOT / "rules")
    (tmp_path / "young.json").write_text(json.dumps({"age": 15}))
    (tmp_path / "bad.json").write_text(json.dumps({"age": "old"}))
    text = book(ROOT / "rules", "md", [tmp_path])
    fired = set(ruleset.evaluate({"age": 15}).fired)
    live = [r for r in ruleset.rules if r.status != "retired"]
    assert f"2 scenarios; {len(fired)} of {len(live)} live rules fired in at least one." in text
    assert "invalid assessment: 1 problem in the assessment" in text


def test_a_stale_approval_is_shown_as_such(tmp_path: Path) -> None:
    root = copy_rules(tmp_path)
    ruleset = ir.load_ruleset(root)
    write_manifest(manifest_path(root), Manifest.for_ruleset(ruleset, "Dr A", DAY, "the rule book"))
    assert "**Approved** by Dr A on 2026-11-27 after reviewing: the rule book." in book(root, "md")
    rule_id, _ = recommending_rule(ruleset)
    edit_rule(root, rule_id, lambda r: r.update(title="Changed"))
    assert "**Stale approval.**" in book(root, "md")


# --- in a real browser -------------------------------------------------------------------


def test_a_reader_sees_every_rule_and_the_picture(browser: BrowserContext, tmp_path: Path) -> None:
    ruleset = ir.load_ruleset(ROOT / "rules")
    page, requests = open_page(browser, book(ROOT / "rules", "html", [ROOT / "examples"]), tmp_path)
    try:
        assert requests == [(tmp_path / "rulebook.html").as_uri()]  # self-contained
        assert page.title() == f"Rule book: {ruleset.name} {ruleset.version}"
        seen = page.inner_text("body")
        for r in ruleset.rules:
            assert r.id in seen
        rule_id, _ = recommending_rule(ruleset)
        assert f"When {condition_text(ruleset.rule(rule_id).when, ruleset)}:" in seen
        assert "Not approved: there is no manifest for this rule set." in seen
        assert "Scenario coverage" in seen
        picture = page.locator("svg.graph")
        box = picture.bounding_box()
        assert box is not None
        assert box["width"] > 600
        assert box["height"] > 100
        g = graph(ruleset)
        assert page.locator("svg.graph .node").count() == len(g.features) + len(g.facts) + len(
            g.interventions
        )
        for label in ("Features", "Derived facts", "Interventions"):
            assert page.locator("svg.graph text", has_text=label).first.is_visible()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
    finally:
        page.close()


def test_it_reads_on_a_narrow_screen(browser: BrowserContext, tmp_path: Path) -> None:
    page, _ = open_page(browser, book(ROOT / "rules", "html"), tmp_path, width=420)
    try:
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
    finally:
        page.close()


def test_hostile_rule_text_is_shown_not_run(browser: BrowserContext, tmp_path: Path) -> None:
    page, requests = open_page(browser, book(hostile_ruleset(tmp_path), "html"), tmp_path)
    try:
        assert page.evaluate("window.__pwned === undefined")
        assert len(requests) == 1
        assert "Title <script>window.__pwned = 1</script>" in page.inner_text("body")
        assert page.locator("img").count() == 0
    finally:
        page.close()


def test_it_prints_every_rule_without_the_contents_list(browser: BrowserContext, tmp_path: Path) -> None:
    ruleset = ir.load_ruleset(ROOT / "rules")
    page, _ = open_page(browser, book(ROOT / "rules", "html"), tmp_path)
    try:
        page.emulate_media(media="print")
        assert not page.locator("nav.toc").is_visible()
        assert page.locator("svg.graph").is_visible()
        pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
        assert len(pdf.pages) >= 2
        printed = re.sub(r"\s+", "", "".join(p.extract_text() for p in pdf.pages))
        for r in ruleset.rules:
            assert r.id in printed
        assert "Contents" not in printed
        assert f"Rulebook:{ruleset.name}" in printed
    finally:
        page.close()


def test_a_stale_approval_is_what_a_reader_sees_first(browser: BrowserContext, tmp_path: Path) -> None:
    root = copy_rules(tmp_path)
    ruleset = ir.load_ruleset(root)
    write_manifest(manifest_path(root), Manifest.for_ruleset(ruleset, "Dr A", DAY))
    rule_id, _ = recommending_rule(ruleset)
    edit_rule(root, rule_id, lambda r: r.update(title="Changed"))
    page, _ = open_page(browser, book(root, "html"), tmp_path)
    try:
        notice = page.locator("#approval")
        assert notice.is_visible()
        assert notice.inner_text().startswith("Stale approval.")
        colour = page.evaluate("getComputedStyle(document.querySelector('#approval')).borderLeftColor")
        assert colour == "rgb(178, 24, 43)"
        assert notice.bounding_box()["y"] < page.locator("#findings").bounding_box()["y"]  # type: ignore[index]
    finally:
        page.close()
