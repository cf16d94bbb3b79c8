"""LiteLLM's admin UI (served by the proxy at /ui) in headless Chromium: the Debian package driven by
Playwright (no browser download). Login is the proxy's own form with the master key."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@contextmanager
def browser_page(width: int = 1440, height: int = 900) -> Iterator[Any]:
    """A fresh page in headless Chromium; closed (with the browser) on exit."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # pages load their data after rendering; a busy machine is slow

    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"{CHROMIUM} not found (scripts/test.sh installs the Debian chromium package)")
    with sync_playwright() as pw:
        # Chromium's sandbox cannot run as root (CI runs as root)
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"] if os.geteuid() == 0 else []
        )
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def login(page: Any, base_url: str, master_key: str) -> None:
    """Log in as the proxy admin (username `admin`, password = the master key)."""
    page.goto(f"{base_url}/ui/login/")
    page.wait_for_selector("input")
    username, password = page.query_selector_all("input")[:2]
    username.fill("admin")
    password.fill(master_key)
    page.click("button[type=submit]")
    page.wait_for_url("**/ui/?login=success*")


def scroll_box_to(page: Any, box_text: str, line_text: str) -> None:
    """Scroll the scrollable <pre> holding `box_text` so the line holding `line_text` is its first line
    (the request panel shows metadata as JSON in a 300-px box), and bring the box into view."""
    box = page.locator("pre", has_text=box_text).first
    box.scroll_into_view_if_needed()
    box.evaluate(
        """(e, needle) => {
            const lines = e.textContent.split('\\n');
            const at = lines.findIndex(l => l.includes(needle));
            e.scrollTop = Math.max(at, 0) * (e.scrollHeight / lines.length);
        }""",
        line_text,
    )
