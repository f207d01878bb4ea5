"""Two signed-in users in two browser contexts share a conversation and see each other live, over the
live channel's realtime protocol (the AppSync Events WebSocket protocol, which local mode serves)."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.harness import Server
from tests.browser.pages import NewPage, send, sign_in, type_message, wait_idle

# Records the page's WebSockets (on window.__sockets) so that a test can see them, and drop them.
RECORD_SOCKETS = """
(() => {
  const Real = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Real {
    constructor(url, protocols) { super(url, protocols); window.__sockets.push(this); }
  };
})();
"""
OPEN_SOCKETS = "() => window.__sockets.filter((s) => s.readyState === 1).map((s) => [s.url, s.protocol])"


class BothViewing(NamedTuple):
    alice_id: str
    token: str  # alice's
    cid: str
    alice: Page
    bob: Page


def both_viewing(new_page: NewPage, web_server: Server, title: str, role: str) -> BothViewing:
    """alice's conversation shared with bob (``role``), open on both their pages, bob seeing alice
    there; bob's page records its WebSockets."""
    alice_id, bob_id = f"alice-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    token = web_server.token(alice_id)
    cid = web_server.call("POST", "/conversations", token, {"title": title})["conversationId"]
    web_server.call("POST", f"/conversations/{cid}/members", token, {"userId": bob_id, "role": role})
    alice, bob = new_page(), new_page()
    bob.add_init_script(RECORD_SOCKETS)
    bob.reload()
    sign_in(alice, alice_id)
    sign_in(bob, bob_id)
    for page in (alice, bob):
        page.evaluate(f"location.hash = '#/c/{cid}'")
        page.get_by_role("heading", name=title).wait_for()
    bob.get_by_label("Viewing now").filter(has_text=alice_id).wait_for()
    return BothViewing(alice_id, token, cid, alice, bob)


def test_bob_sees_alice_typing_and_her_answer_stream(new_page: NewPage, web_server: Server):
    alice_id, _, _, alice, bob = both_viewing(new_page, web_server, "Shared plan", "participant")
    sockets = bob.evaluate(OPEN_SOCKETS)
    assert [(url.rsplit("/", 2)[-2:], protocol) for url, protocol in sockets] == [
        (["event", "realtime"], "aws-appsync-event-ws")]

    alice.get_by_label("Message", exact=True).press_sequentially("what should we")
    bob.get_by_role("status").filter(has_text=f"{alice_id} is typing").wait_for()

    type_message(alice, f"what should we pack for Lisbon? please answer at length ({uuid.uuid4().hex[:8]})")
    length = "() => document.querySelector('.remote-answer .remote-text')?.textContent.length ?? 0"
    bob.locator(".remote-answer").wait_for()  # the answer starts on bob's page while alice's streams...
    bob.wait_for_function(f"() => ({length})() > 0")
    first = bob.evaluate(length)
    # ...and grows there, token by token: text that arrived all at once at the end would not grow. (Whether
    # alice's own stream is still open at that moment depends on the machine's speed: not asserted.)
    bob.wait_for_function(f"() => ({length})() > {first + 20}")
    wait_idle(alice)
    # once saved, bob's page shows the whole exchange and the typing hint is gone
    bob.locator(".remote-answer").wait_for(state="detached")
    bob.locator(".messages .msg.user").filter(has_text="what should we pack for Lisbon").wait_for()
    bob.locator(".messages .msg.assistant").filter(has_text="pack").wait_for()
    bob.get_by_role("status").filter(has_text="is typing").wait_for(state="detached")
    # alice leaves the conversation: bob's "Viewing now" loses her at once (her page says so)
    alice.evaluate("location.hash = '#/'")
    bob.get_by_label("Viewing now").wait_for(state="detached")


def test_share_dialog_members_shared_list_and_public_page(new_page: NewPage, web_server: Server):
    alice_id, bob_id = f"alice-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    alice = new_page()
    sign_in(alice, alice_id)
    send(alice, f"a packing list for Porto ({uuid.uuid4().hex[:8]})")

    alice.get_by_role("button", name="Share").click()
    dialog = alice.get_by_role("dialog", name="Share this chat")
    dialog.get_by_label("User id").fill(bob_id)
    dialog.get_by_label("Role").select_option("viewer")
    dialog.get_by_role("button", name="Add").click()
    dialog.get_by_label("Members").filter(has_text=bob_id).wait_for()
    dialog.get_by_role("button", name="Create link").click()
    link = dialog.get_by_label("Share link")
    link.wait_for()
    url = link.input_value()
    assert "#/shared/" in url
    dialog.get_by_role("button", name="Done").click()

    bob = new_page()
    sign_in(bob, bob_id)
    shared = bob.get_by_label("Shared with me")
    shared.get_by_role("button").first.click()
    bob.locator(".messages .msg.user").filter(has_text="a packing list for Porto").wait_for()
    bob.get_by_text("view only").wait_for()
    assert bob.get_by_role("button", name="Share").count() == 0  # only the owner shares
    # alice's page, open since before the conversation had a live channel, finds it once she adds
    # bob: his arrival shows there without a reload, with his avatar
    viewing = alice.get_by_label("Viewing now").filter(has_text=bob_id)
    viewing.wait_for()
    assert viewing.locator(".avatar").inner_text() == (bob_id[0] + bob_id.split("-")[1][0]).upper()

    anonymous = new_page()  # a fresh context, never signed in
    anonymous.goto(url)
    page = anonymous.get_by_role("main", name="Shared chat")
    # A fresh browser context loads the app from scratch. In about one full browser run in three this
    # page stayed empty past the timeout (cause not found yet; it never failed alone): one reload is
    # allowed, and counted, so that the flake stays visible in the test's output.
    first = page.locator(".msg.user").filter(has_text="a packing list for Porto")
    try:
        first.wait_for(timeout=15_000)
    except PlaywrightTimeout:
        print(f"shared page empty after 15 s, reloading once: {anonymous.locator('body').inner_html()[:500]}")
        anonymous.reload()
        first.wait_for(timeout=15_000)
    expect(page.locator(".msg")).to_have_count(2)

    # "Continue this conversation": the reader signs in, and the copy opens as their own chat
    carol_id = f"carol-{uuid.uuid4().hex[:6]}"
    page.get_by_role("button", name="Continue this conversation").click()
    sign_in(anonymous, carol_id)
    anonymous.locator(".messages .msg.user").filter(has_text="a packing list for Porto").wait_for()
    assert "#/c/" in anonymous.url
    expect(anonymous.locator(".sidebar .conv-list .conv-open")).to_have_count(1)  # her own chat, listed once
    send(anonymous, "and for Braga?")
    anonymous.locator(".messages .msg.user").filter(has_text="and for Braga?").wait_for()

    # revoking the link: it no longer opens
    alice.get_by_role("button", name="Share").click()
    alice.get_by_role("button", name="Revoke link").click()
    alice.get_by_label("Share link").wait_for(state="detached")
    gone = new_page()
    gone.goto(url)
    revoked = gone.get_by_role("alert").filter(has_text="does not exist or was revoked")
    # The same fresh-context flake as the first public page above: one counted reload.
    try:
        revoked.wait_for(timeout=15_000)
    except PlaywrightTimeout:
        print(f"revoked page empty after 15 s, reloading once: {gone.locator('body').inner_html()[:500]}")
        gone.reload()
        revoked.wait_for(timeout=15_000)


def test_a_dropped_connection_misses_nothing_of_an_answer(new_page: NewPage, web_server: Server):
    """The socket drops while alice's answer streams: bob's page reconnects, reads the conversation again
    and follows the answer through the API's resume stream, so what it shows stays the answer's text
    from its start (a gap would not be a prefix of it), and grows on to the end."""
    _, token, cid, alice, bob = both_viewing(new_page, web_server, "Dropped", "viewer")

    type_message(alice, f"tell me about Porto at length ({uuid.uuid4().hex[:8]})")
    text = "() => document.querySelector('.remote-answer .remote-text')?.textContent ?? ''"
    bob.wait_for_function(f"() => ({text})().length > 10")
    bob.evaluate("() => window.__sockets.forEach((s) => s.close())")  # the network drops it
    before = len(bob.evaluate(text))
    seen = []
    bob.wait_for_function("() => window.__sockets.some((s) => s.readyState === 1)")  # reconnected
    for _ in range(40):
        now = bob.evaluate(text)
        if now:
            seen.append(now)
        if len(now) > before + 40:
            break
        bob.wait_for_timeout(100)
    wait_idle(alice)
    bob.locator(".remote-answer").wait_for(state="detached")
    answer = web_server.call("GET", f"/conversations/{cid}", token)["messages"][-1]["content"]
    print(f"before the drop {before} characters, after {[len(t) for t in seen]}, the answer {len(answer)}")
    assert seen and max(len(t) for t in seen) > before  # it kept growing after the drop
    assert all(answer.startswith(t) for t in seen), "the text shown after the drop has a gap"
