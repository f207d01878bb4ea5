"""`/docs` (Swagger UI) and `/redoc` render the API's operations offline: no request leaves loopback.

Every request the pages make goes through a route that aborts (and records) any other host; what a
page's Content-Security-Policy blocks never reaches the network at all.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from parley.app import create_app
from parley.settings import Settings
from tests.browser.harness import chromium
from tests.support import LiveServer


def test_swagger_ui_and_redoc_render_every_operation_offline():
    app = create_app(Settings(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, generate_titles=False))
    operations = sum(len(ops) for ops in app.openapi()["paths"].values())
    outside: list[str] = []
    failed: list[str] = []
    with LiveServer(app) as server, chromium() as browser:
        page = browser.new_page()

        def only_loopback(route):
            host = urlsplit(route.request.url).hostname
            if host not in ("127.0.0.1", "localhost"):
                outside.append(route.request.url)
                return route.abort()
            return route.continue_()

        page.route("**/*", only_loopback)
        page.on("requestfailed", lambda r: failed.append(r.url) if urlsplit(r.url).hostname == "127.0.0.1" else None)
        page.goto(f"{server.url}/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        page.goto(f"{server.url}/redoc")
        page.wait_for_selector("[data-section-id^='operation/']", timeout=20_000)
        redoc_operations = page.locator("[data-section-id^='operation/']").count()
        browser.close()
    assert outside == [] and failed == []
    assert len(paths) == operations and any("/conversations" in p for p in paths)
    assert redoc_operations >= operations
