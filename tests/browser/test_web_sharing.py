"""Two signed-in users in two browser contexts share a conversation and see each other live."""

from __future__ import annotations

import uuid

from tests.browser.harness import Server
from tests.browser.pages import NewPage, sign_in, type_message, wait_idle


def test_bob_sees_alice_typing_and_her_answer_stream(new_page: NewPage, web_server: Server):
    alice_id, bob_id = f"alice-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    token = web_server.token(alice_id)
    cid = web_server.call("POST", "/conversations", token, {"title": "Shared plan"})["conversationId"]
    web_server.call("POST", f"/conversations/{cid}/members", token, {"userId": bob_id, "role": "participant"})

    alice, bob = new_page(), new_page()
    sign_in(alice, alice_id)
    sign_in(bob, bob_id)
    for page in (alice, bob):
        page.evaluate(f"location.hash = '#/c/{cid}'")
        page.get_by_role("heading", name="Shared plan").wait_for()
    bob.get_by_label("Viewing now").filter(has_text=alice_id).wait_for()

    alice.get_by_label("Message", exact=True).press_sequentially("what should we")
    bob.get_by_role("status").filter(has_text=f"{alice_id} is typing").wait_for()

    type_message(alice, f"what should we pack for Lisbon? please answer at length ({uuid.uuid4().hex[:8]})")
    length = "() => document.querySelector('.remote-answer .remote-text')?.textContent.length ?? 0"
    bob.locator(".remote-answer").wait_for()  # the answer starts on bob's page while alice's streams...
    bob.wait_for_function(f"() => ({length})() > 0")
    first = bob.evaluate(length)
    bob.wait_for_function(f"() => ({length})() > {first + 20}")  # ...and grows there, token by token
    assert alice.locator(".msg.streaming").count() == 1  # alice's answer is still streaming meanwhile
    wait_idle(alice)
    # once saved, bob's page shows the whole exchange and the typing hint is gone
    bob.locator(".remote-answer").wait_for(state="detached")
    bob.locator(".messages .msg.user").filter(has_text="what should we pack for Lisbon").wait_for()
    bob.locator(".messages .msg.assistant").filter(has_text="pack").wait_for()
    bob.get_by_role("status").filter(has_text="is typing").wait_for(state="detached")
