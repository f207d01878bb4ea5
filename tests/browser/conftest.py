"""Fixtures for the browser tests: one server and one headless Chromium for the whole session.

The simulator streams slowly enough to watch an answer grow (100 ms to the first token, then
40 tokens/s). Each test signs in as a fresh user on the `plus` tier; the free tier's hourly limit is
kept at 2 so that the rate-limit test reaches it in two sends.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.harness import (
    ARTIFACTS,
    Server,
    SetupError,
    check_chromium,
    check_dist,
    chromium,
    running_server,
)

SERVER_ENV = {
    "PARLEY_SIM_TTFT_MS": "100",
    "PARLEY_SIM_TOKENS_PER_S": "40",
    "PARLEY_LIMIT_FREE_PER_HOUR": "2",
    "PARLEY_LIMIT_PLUS_PER_HOUR": "1000",
}


# Package scope, not session: Playwright's sync API keeps its event loop marked as running in the
# main thread while a browser is open, which would break every later test that runs an event loop.
@pytest.fixture(scope="package")
def web_server() -> Iterator[Server]:
    try:
        check_chromium()  # fail fast, before starting anything, when the browser is missing
        check_dist()
        with running_server(SERVER_ENV, "server.log") as server:
            yield server
    except SetupError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="package")
def browser(web_server: Server) -> Iterator[Browser]:
    try:
        with chromium() as b:
            yield b
    except SetupError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def new_page(browser: Browser, web_server: Server) -> Iterator[Callable[..., Page]]:
    """Open a fresh browser context (its own storage) at the app; page errors fail the test."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def _open(viewport: tuple[int, int] = (1280, 800), **kwargs: Any) -> Page:
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, base_url=web_server.url, **kwargs
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto("/")
        return page

    yield _open
    for c in contexts:
        c.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def user_id() -> str:
    return f"u-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def shots() -> Callable[[Page, str], None]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def _shot(page: Page, name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    return _shot

