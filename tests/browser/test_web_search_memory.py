"""Search (Ctrl/Cmd+K), custom instructions and the memory note, in a real browser."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.browser.pages import NewPage, Shot, send, sign_in


def test_search_opens_the_message_and_memory_can_be_undone(new_page: NewPage, user_id: str, shots: Shot) -> None:
    page = new_page()
    sign_in(page, user_id)
    word = f"zorgon{uuid.uuid4().hex[:6]}"
    send(page, f"Remember that my gecko is called {word}.")
    note = page.locator(".memory-note")
    expect(note).to_contain_text(f"Memory updated: My gecko is called {word}")
    first_chat = page.evaluate("location.hash")
    note.get_by_role("button", name="Undo").click()
    expect(note).to_contain_text("Memory removed.")

    page.get_by_role("button", name="New chat").first.click()
    send(page, "Something else entirely about <b>tags</b>")
    page.keyboard.press("Control+k")
    box = page.get_by_label("Search your chats")
    expect(box).to_be_focused()
    box.fill(f"{word} gecko")
    result = page.locator(".search-results li").first
    expect(result.locator("mark", has_text=re.compile(word, re.I))).to_have_count(1)
    shots(page, "search-results")
    box.press("Enter")
    expect(page.get_by_label("Search your chats")).to_have_count(0)
    assert page.evaluate("location.hash") == first_chat
    expect(page.locator(".msg.focused")).to_contain_text(word)

    # Markup in a message is text in a snippet, never elements.
    page.keyboard.press("Control+k")
    page.get_by_label("Search your chats").fill("tags")
    expect(page.locator(".search-snippet", has_text="<b>tags").first).to_be_visible()
    assert page.locator(".search-results b").count() == 0
    page.keyboard.press("Escape")


def test_custom_instructions_panel_saves(new_page: NewPage, user_id: str) -> None:
    page = new_page()
    sign_in(page, user_id)
    page.get_by_role("button", name="Settings").click()
    about = page.get_by_label("What should Parley know about you?")
    expect(about).to_be_enabled()
    about.fill("I am a beekeeper in Braga.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("dialog", name="Custom instructions")).to_have_count(0)
    page.get_by_role("button", name="Settings").click()
    expect(page.get_by_label("What should Parley know about you?")).to_have_value("I am a beekeeper in Braga.")
