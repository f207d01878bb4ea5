"""Failures a person should see handled: transient errors, a broken stream, an expired session,
and answers built from a shortened history. Failures are injected by Playwright route interception."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Route, expect

from tests.browser.pages import NewPage, message, messages, send, sign_in, type_message, wait_idle
from tests.browser.perf import fake_conversation


def _sse(*events: tuple[str, dict[str, Any]]) -> str:
    return "".join(f"id: {i}\nevent: {name}\ndata: {json.dumps(data)}\n\n"
                   for i, (name, data) in enumerate(events))


def test_a_transient_failure_is_retried_with_the_same_idempotency_key(new_page: NewPage, user_id: str) -> None:
    page = new_page()
    sign_in(page, user_id)
    keys: list[str | None] = []

    def flaky(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            body = {"code": "unavailable", "message": "try again", "retryable": True}
            route.fulfill(status=503, content_type="application/json", body=json.dumps(body))
        else:
            route.fallback()

    page.route(re.compile(r"/conversations/[^/]+/messages$"), flaky)
    send(page, "Hello through a hiccup")
    expect(message(page, 1).locator(".markdown p").first).to_contain_text("Hello through a hiccup", ignore_case=True)
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1], keys
    expect(page.locator(".notice")).to_have_count(0)


def test_an_error_mid_stream_offers_a_retry_that_works(new_page: NewPage, user_id: str) -> None:
    page = new_page()
    sign_in(page, user_id)
    send(page, "A question that will be answered twice")
    user_msg = message(page, 0).get_attribute("data-message-id")
    answer = message(page, 1).get_attribute("data-message-id")
    cid = page.evaluate("location.hash").removeprefix("#/c/")

    def broken(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/event-stream",
            body=_sse(
                ("message_start", {"messageId": "01BROKEN000000000000000000", "conversationId": cid,
                                   "model": "parley-fast", "userMessageId": user_msg}),
                ("content_chunk", {"delta": "A partial ans"}),
                ("error", {"code": "model_unavailable", "message": "The model stopped responding.",
                           "retryable": True}),
            ),
        )

    page.route(re.compile(rf"/messages/{answer}/regenerate$"), broken)
    message(page, 1).get_by_role("button", name="Regenerate").click()
    notice = page.locator(".notice.error")
    expect(notice).to_contain_text("The model stopped responding.")
    page.unroute(re.compile(rf"/messages/{answer}/regenerate$"))
    notice.get_by_role("button", name="Retry").click()
    page.locator(".msg.streaming").wait_for(state="attached")
    wait_idle(page)
    expect(message(page, 1).locator(".branch-pos")).to_have_text("2 / 2")
    expect(page.locator(".notice")).to_have_count(0)


def test_an_expired_session_returns_to_sign_in(new_page: NewPage, user_id: str) -> None:
    page = new_page()
    sign_in(page, user_id)
    page.evaluate(
        """() => {
          const s = JSON.parse(localStorage.getItem('parley.session'));
          s.token = s.token.slice(0, -4) + 'AAAA';
          localStorage.setItem('parley.session', JSON.stringify(s));
        }"""
    )
    page.reload()
    expect(page.get_by_role("alert")).to_contain_text("session has expired")
    sign_in(page, user_id)
    type_message(page, "back again")
    wait_idle(page)
    expect(messages(page)).to_have_count(2)


def test_a_shortened_history_is_pointed_out(new_page: NewPage, user_id: str) -> None:
    cid = "01NOTES0000000000000000000"
    detail = fake_conversation(cid, 3)
    detail["messages"][3]["contextTrimmed"] = True
    detail["messages"][5]["details"] = {"summaryUsed": True}
    page = new_page()
    page.route(re.compile(rf"/conversations/{cid}$"), lambda r: r.fulfill(
        status=200, content_type="application/json", body=json.dumps(detail)))
    page.route(re.compile(rf"/conversations/{cid}/messages$"), lambda r: r.fulfill(
        status=200, content_type="application/json", body=json.dumps({"messages": detail["messages"]})))
    sign_in(page, user_id)
    page.evaluate(f"location.hash = '#/c/{cid}'")
    expect(messages(page)).to_have_count(6)
    expect(message(page, 1).locator(".context-note")).to_have_count(0)
    expect(message(page, 3).locator(".context-note")).to_contain_text("left out to fit")
    expect(message(page, 5).locator(".context-note")).to_contain_text("summarised")
