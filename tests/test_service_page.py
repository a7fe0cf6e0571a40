"""The clinician's try-out page in a real headless Chromium: the form is built from the generated
Questionnaire, a submitted assessment comes back as the same cards the library gives, rendered as
an EHR shows them (summary, indicator colour, expandable detail). Only the service is reachable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

import intervention_rules as ir
from browser import browser_fixture
from service_server import RULES, running, sqlite_config

__all__ = ["browser_fixture"]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running(ir.load_ruleset(RULES), sqlite_config(tmp_path_factory.mktemp("audit"))) as url:
        yield url


@pytest.fixture
def page(browser: BrowserContext, base: str) -> Iterator[Page]:
    page = browser.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    outside: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(base + "/"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(base + "/")
    page.wait_for_selector("#submit")
    yield page
    page.close()
    assert outside == [], "the page asked for something other than the service"


def test_fill_the_form_submit_and_see_the_cards(page: Page, tmp_path: Path) -> None:
    ruleset = ir.load_ruleset(RULES)
    assessment = {
        "age": 15,
        "reasons": ["emotional_regulation"],
        "pattern": "repeated",
        "conditions": ["depression"],
    }
    page.fill('[data-link-id="age"] input', "15")
    page.locator('[data-link-id="reasons"]').get_by_label("Emotional regulation").check()
    page.locator('[data-link-id="conditions"]').get_by_label("Depression").check()
    page.select_option('[data-link-id="pattern"] select', label="Repeated")
    page.click("#submit")
    page.wait_for_selector("article.card")
    expected = ruleset.evaluate(assessment).to_cds_hooks(ruleset=ruleset)
    cards = page.locator("article.card")
    assert cards.count() == len(expected)
    assert [cards.nth(i).locator(".summary").inner_text() for i in range(cards.count())] == [
        c["summary"] for c in expected
    ]
    colours = {"critical": "rgb(178, 24, 43)", "warning": "rgb(178, 107, 0)", "info": "rgb(44, 90, 158)"}
    assert {c["indicator"] for c in expected} >= {"info", "warning"}
    for i, card in enumerate(expected):
        shown = cards.nth(i)
        assert card["indicator"] in (shown.get_attribute("class") or "").split()
        assert shown.evaluate("e => getComputedStyle(e).borderLeftColor") == colours[card["indicator"]]
    first = cards.nth(0)
    detail = first.locator(".detail")
    assert not detail.is_visible()
    first.locator("details > summary").click()
    assert detail.is_visible()
    assert "not a risk rating" in detail.inner_text()
    shot = tmp_path / "try-out.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_an_assessment_the_rule_set_refuses_shows_what_is_wrong(page: Page) -> None:
    page.locator('[data-link-id="conditions"]').get_by_label("Depression").check()
    page.click("#submit")  # no age: the one required answer
    error = page.wait_for_selector(".error")
    assert "age" in error.inner_text()
    assert page.locator("article.card").count() == 0
