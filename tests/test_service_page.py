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
    # docs/images/try-out.png is this screenshot: the top of the page, as a 1280x900 screen shows it.
    page.evaluate("window.scrollTo(0, 0)")
    shot = tmp_path / "try-out.png"
    page.screenshot(path=str(shot))
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


PHONE = {"width": 390, "height": 640}  # one column: the cards come below the whole form


def _submit_from_the_top(page: Page) -> None:
    """On a phone-sized screen, press Enter in the age field at the top of the form (which submits
    it), where what the service answers below the form is out of view."""
    page.set_viewport_size(PHONE)
    page.focus(AGE)
    expect(page.locator("#cards-heading")).not_to_be_in_viewport()
    page.keyboard.press("Enter")


def test_a_refused_assessment_is_brought_into_view_focused_and_announced(page: Page) -> None:
    """The service's error box, far below on a small screen, is scrolled into view and focused,
    and it is an alert (a screen reader reads it out at once)."""
    _submit_from_the_top(page)  # no age: the one required answer
    error = page.locator("#cards .error")
    expect(error).to_contain_text("age")
    expect(error).to_be_in_viewport()
    expect(error).to_be_focused()
    assert error.get_attribute("role") == "alert"
    assert page.locator("#status").inner_text() == ""


def test_the_cards_are_brought_into_view_and_their_number_announced(page: Page) -> None:
    """After a successful submit the first card is in view, the focus is on the cards' heading (the
    reading goes on from there), and the live region says how many cards came back."""
    ruleset = ir.load_ruleset(RULES)
    expected = ruleset.evaluate({"age": 40}).to_cds_hooks(ruleset=ruleset)
    page.fill(AGE, "40")
    _submit_from_the_top(page)
    page.wait_for_selector("article.card")
    expect(page.locator("article.card").first).to_be_in_viewport()
    expect(page.locator("#cards-heading")).to_be_focused()
    status = page.locator("#status")
    assert status.get_attribute("role") == "status"
    expect(status).to_have_text(f"{len(expected)} cards, in the order the service sent them.")
    assert page.locator("article.card").count() == len(expected) > 1


def test_a_service_that_cannot_be_reached_is_said_in_view(page: Page, base: str) -> None:
    """When the request fails (the service stopped, the network dropped), the page says so where
    it can be seen, rather than nothing happening."""
    page.route(base + "/cds-services/patient-view", lambda route: route.abort())
    page.fill(AGE, "40")
    _submit_from_the_top(page)
    error = page.locator("#cards .error")
    expect(error).to_contain_text("the service could not be reached")
    expect(error).to_be_in_viewport()
    expect(error).to_be_focused()


@pytest.mark.parametrize("outcome", ["answer", "error"])
def test_the_form_is_busy_while_a_request_is_on_its_way(page: Page, base: str, outcome: str) -> None:
    """While the service has not answered, the button is disabled and the form aria-busy, so that
    neither a second click nor Enter sends the assessment again; when the answer (or the error)
    arrives, both are undone. The request is held at the browser's network layer until the test
    lets it go, so what is checked is the state, not a timing."""
    held: list[Any] = []
    page.route(base + "/cds-services/patient-view", lambda route: held.append(route))
    button, form = page.locator("#submit"), page.locator("#assessment")
    page.fill(AGE, "40")
    with page.expect_request(base + "/cds-services/patient-view"):
        page.click("#submit")
    expect(button).to_be_disabled()
    expect(form).to_have_attribute("aria-busy", "true")
    page.focus(AGE)
    page.keyboard.press("Enter")  # submits the form, were its button not disabled
    (request,) = held  # the one request, held (the route is told of it before the calls above end)
    if outcome == "answer":
        request.continue_()
        expect(page.locator("article.card").first).to_be_visible()
    else:
        request.abort()
        expect(page.locator("#cards .error")).to_contain_text("the service could not be reached")
    expect(button).to_be_enabled()
    assert form.get_attribute("aria-busy") is None
    assert len(held) == 1  # the Enter pressed while busy sent nothing
