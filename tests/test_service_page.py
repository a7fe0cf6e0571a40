"""The clinician's try-out page in a real headless Chromium: the form is built from the generated
Questionnaire, a submitted assessment comes back as the same cards the library gives, rendered as
an EHR shows them (summary, indicator colour, expandable detail). Only the service is reachable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

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


AGE = '[data-link-id="age"] input'


@pytest.mark.parametrize("typed", ["40.5", "1e1"])
def test_an_age_that_is_not_a_whole_number_is_refused_on_the_page_not_truncated(
    page: Page, base: str, typed: str
) -> None:
    """The age is a whole number: 40.5 (or 1e1, which parseInt read as 1) gets a visible message
    beside the field naming it, and nothing is sent; corrected, the assessment goes through."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/cds-services" in r.url else None)
    assert "A whole number." in page.locator('[data-link-id="age"] .help').inner_text()
    page.fill(AGE, typed)
    page.click("#submit")
    message = page.wait_for_selector('[data-link-id="age"] .field-error', timeout=10_000)
    expect(page.locator('[data-link-id="age"] .field-error')).to_be_in_viewport()
    expect(page.locator(AGE)).to_be_focused()
    assert message.inner_text() == "age: must be a whole number (no decimals)"
    assert page.locator("#cards .error").is_visible()
    assert page.locator("article.card").count() == 0
    assert sent == []
    page.fill(AGE, "40")
    page.click("#submit")
    page.wait_for_selector("article.card")
    assert page.locator(".field-error").count() == 0
    assert sent == [f"{base}/cds-services/patient-view"]


def test_none_is_exclusive_among_the_answers_to_a_list_question(page: Page) -> None:
    """Ticking "None" (asked, and none apply) clears the other answers, and ticking another answer
    clears "None", so the page never sends both (which the service refuses)."""
    ruleset = ir.load_ruleset(RULES)
    conditions = page.locator('[data-link-id="conditions"]')
    depression, anxiety = conditions.get_by_label("Depression"), conditions.get_by_label("Anxiety")
    none = conditions.get_by_label("None", exact=True)
    depression.check()
    anxiety.check()
    none.check()
    assert (none.is_checked(), depression.is_checked(), anxiety.is_checked()) == (True, False, False)
    depression.check()
    assert (none.is_checked(), depression.is_checked()) == (False, True)
    none.check()
    page.fill(AGE, "30")
    page.click("#submit")
    page.wait_for_selector("article.card")
    assert page.locator(".error").count() == 0
    expected = ruleset.evaluate({"age": 30, "conditions": []}).to_cds_hooks(ruleset=ruleset)
    shown = page.locator("article.card .summary")
    assert [shown.nth(i).inner_text() for i in range(shown.count())] == [c["summary"] for c in expected]
