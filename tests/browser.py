"""A real headless browser for the HTML outputs: the distribution's Chromium (``/usr/bin/chromium``,
installed by ``python3 dev.py test``), driven by Playwright. Pages are opened from files, and every
request they make is recorded; only file:// is served, anything else is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module", name="browser")
def browser_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    assert CHROMIUM.exists(), (
        "Chromium is missing: python3 dev.py test installs it (apt-get install chromium)"
    )
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield context
        context.close()


def open_page(
    browser: BrowserContext, html: str, tmp_path: Path, width: int = 1024
) -> tuple[Page, list[str]]:
    """Open the report from a file; every request it makes is recorded and only file:// is served."""
    path = tmp_path / "rulebook.html"
    path.write_text(html, encoding="utf-8")
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    requests: list[str] = []

    def route(r: Any) -> None:
        requests.append(r.request.url)
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    return page, requests
