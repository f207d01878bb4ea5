"""The web client in a real browser (headless Debian Chromium) against a real local-mode server."""

from __future__ import annotations

import json
import re
import urllib.error
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.harness import Server
from tests.browser.pages import (
    SAMPLE_STREAM_JS,
    NewPage,
    Shot,
    message,
    messages,
    open_item_menu,
    send,
    sidebar_item,
    sign_in,
    type_message,
    wait_idle,
)
from tests.browser.perf import fake_conversation


def test_a_whole_conversation_survives_a_reload(
    new_page: NewPage, user_id: str, shots: Shot, web_server: Server
) -> None:
    """Sign in, stream, stop, regenerate, edit, switch branches, rename, reload, archive, delete."""
    page = new_page()
    expect(page.get_by_role("form", name="Sign in")).to_be_visible()
    shots(page, "01-sign-in")
    sign_in(page, user_id)
    expect(page.get_by_role("heading", name="How can I help?")).to_be_visible()

    # Streaming: the answer grows on screen, frame by frame, before it is final.
    first = f"Tell me about rivers {uuid.uuid4().hex[:6]}"
    type_message(page, first)
    expect(message(page, 0)).to_contain_text(first)  # shown at once, before the answer
    lengths: list[int] = page.evaluate(SAMPLE_STREAM_JS)
    growth = sorted(set(lengths))
    assert len(growth) >= 5, f"the answer did not visibly grow while streaming: {growth}"
    assert lengths == sorted(lengths), "streamed text went backwards"
    wait_idle(page)
    answer = message(page, 1)
    topic = first.removeprefix("Tell me about ")
    expect(answer.locator(".markdown p").first).to_contain_text(topic, ignore_case=True)  # a first line about it
    expect(answer.locator(".markdown li")).to_have_count(3)  # then prose with a list
    expect(answer.locator(".meta")).to_contain_text(re.compile(r"\d+ in · \d+ out"))  # the turn's usage
    shots(page, "02-answered")

    # Stop: a second question, stopped part-way; the partial answer is kept and marked.
    type_message(page, "Now a long story please")
    live = page.locator(".msg.streaming .markdown")
    expect(live).not_to_have_text("")
    shots(page, "02b-streaming")
    page.get_by_role("button", name="Stop generating").click()
    wait_idle(page)
    expect(messages(page)).to_have_count(4)
    expect(message(page, 3).locator(".finish-note")).to_have_text("Stopped")
    stopped_text = message(page, 3).locator(".markdown").inner_text()

    # Regenerate the stopped answer: a second version appears beside it.
    message(page, 3).get_by_role("button", name="Regenerate").click()
    page.locator(".msg.streaming").wait_for(state="attached")
    wait_idle(page)
    expect(message(page, 3).locator(".branch-pos")).to_have_text("2 / 2")
    expect(message(page, 3).locator(".finish-note")).to_have_count(0)
    assert len(message(page, 3).locator(".markdown").inner_text()) > len(stopped_text)

    # Switch back to the first version and forward again.
    message(page, 3).get_by_role("button", name="Previous version").click()
    expect(message(page, 3).locator(".branch-pos")).to_have_text("1 / 2")
    expect(message(page, 3).locator(".finish-note")).to_have_text("Stopped")
    message(page, 3).get_by_role("button", name="Next version").click()
    expect(message(page, 3).locator(".branch-pos")).to_have_text("2 / 2")

    # Edit the first question and send it again: a new branch from the root.
    edited = f"Tell me about lakes {uuid.uuid4().hex[:6]}"
    message(page, 0).get_by_role("button", name="Edit message").click()
    box = page.get_by_role("textbox", name="Edit message")
    box.fill(edited)
    page.get_by_role("button", name="Save & send").click()
    page.locator(".msg.streaming").wait_for(state="attached")
    wait_idle(page)
    expect(messages(page)).to_have_count(2)
    expect(message(page, 0)).to_contain_text(edited)
    expect(message(page, 1).locator(".markdown p").first).to_contain_text(
        edited.removeprefix("Tell me about "), ignore_case=True)
    expect(message(page, 0).locator(".branch-pos")).to_have_text("2 / 2")
    shots(page, "03-edited-branch")

    # Back to the original branch: the whole earlier exchange is there again.
    message(page, 0).get_by_role("button", name="Previous version").click()
    expect(message(page, 0).locator(".branch-pos")).to_have_text("1 / 2")
    expect(messages(page)).to_have_count(4)
    expect(message(page, 0)).to_contain_text(first)
    expect(message(page, 3).locator(".branch-pos")).to_have_text("2 / 2")

    # Rename from the sidebar.
    title = f"Rivers and lakes {uuid.uuid4().hex[:4]}"
    items = page.locator(".conv")
    expect(items).to_have_count(1)
    items.first.get_by_role("button", name="Actions for", exact=False).click()
    page.get_by_role("menuitem", name="Rename").click()
    rename = page.get_by_label("New title")
    rename.fill(title)
    rename.press("Enter")
    expect(sidebar_item(page, title)).to_have_count(1)
    expect(page.locator(".chat-title")).to_have_text(title)
    shots(page, "04-renamed")

    # Reload: still signed in, the same chat open on the same branch, the list intact.
    page.reload()
    expect(page.locator(".chat-title")).to_have_text(title)
    expect(messages(page)).to_have_count(4)
    expect(message(page, 0)).to_contain_text(first)
    expect(message(page, 0).locator(".branch-pos")).to_have_text("1 / 2")
    expect(message(page, 3).locator(".branch-pos")).to_have_text("2 / 2")
    expect(sidebar_item(page, title).locator(".conv-preview")).not_to_have_text("")

    conversation_id = page.evaluate("location.hash").removeprefix("#/c/")

    # Archive: it leaves the chat list and shows under Archived.
    open_item_menu(page, title).get_by_role("menuitem", name="Archive").click()
    expect(sidebar_item(page, title)).to_have_count(0)
    page.get_by_role("tab", name="Archived").click()
    expect(sidebar_item(page, title)).to_have_count(1)
    shots(page, "05-archived")

    # Delete, with a confirmation first.
    open_item_menu(page, title).get_by_role("menuitem", name="Delete").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(title)
    shots(page, "06-delete-confirm")
    dialog.get_by_role("button", name="Cancel").click()
    expect(sidebar_item(page, title)).to_have_count(1)
    open_item_menu(page, title).get_by_role("menuitem", name="Delete").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(sidebar_item(page, title)).to_have_count(0)
    expect(page.get_by_role("heading", name="How can I help?")).to_be_visible()

    page.reload()
    page.get_by_role("tab", name="Archived").click()
    expect(page.get_by_text("No archived chats.")).to_be_visible()
    page.get_by_role("tab", name="Chats").click()
    expect(page.get_by_text("No chats yet.")).to_be_visible()
    with pytest.raises(urllib.error.HTTPError) as gone:
        web_server.call("GET", f"/conversations/{conversation_id}", web_server.token(user_id))
    assert gone.value.code == 404


def test_model_output_cannot_run_script(new_page: NewPage, user_id: str, shots: Shot) -> None:
    """HTML in an answer (the simulator restates the question as its topic) is shown as text and never runs."""
    payload = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
    page = new_page()
    sign_in(page, user_id)
    send(page, payload)
    answer = message(page, 1)
    expect(answer).to_contain_text(payload)
    expect(message(page, 0)).to_contain_text(payload)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator(".messages script, .messages img, .messages [onerror]").count() == 0
    page.reload()
    expect(message(page, 1)).to_contain_text(payload)
    assert page.evaluate("typeof window.__xss") == "undefined"
    shots(page, "07-untrusted-html")


def test_markdown_code_is_highlighted_and_copyable(new_page: NewPage, user_id: str, shots: Shot) -> None:
    """On a phone-sized screen: a fenced code block is highlighted and its Copy button copies it."""
    page = new_page(viewport=(390, 844), permissions=["clipboard-read", "clipboard-write"])
    sign_in(page, user_id)
    send(page, "Write a Python function that greets a **friend** by name")
    expect(message(page, 0).locator(".bubble")).to_contain_text("**friend**")  # the user's text is never Markdown
    block = message(page, 1).locator(".code-block")
    expect(block.locator(".code-lang")).to_have_text("python")
    expect(block.locator(".hljs-keyword").first).to_have_text("def")
    code = block.locator("code").inner_text()
    assert code.startswith("def greets_friend_by("), code
    expect(message(page, 1).locator("li").first).to_be_visible()  # and a list after the code
    block.get_by_role("button", name="Copy code").click()
    expect(block.get_by_role("button", name="Copy code")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == code
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shots(page, "08-phone-chat")
    page.get_by_role("button", name="Open menu").click()
    page.wait_for_function("document.querySelector('.sidebar').getBoundingClientRect().left >= 0")
    expect(page.get_by_role("button", name="New chat", exact=True)).to_be_in_viewport()
    shots(page, "09-phone-drawer")


def test_themes_switch_between_light_and_dark(new_page: NewPage, user_id: str, shots: Shot) -> None:
    page = new_page(color_scheme="light")
    sign_in(page, user_id)
    background = "getComputedStyle(document.body).backgroundColor"
    assert page.evaluate(background) == "rgb(255, 255, 255)"
    theme = page.locator(".account").get_by_role("button", name="Theme", exact=False)
    theme.click()  # system -> light
    theme.click()  # light -> dark
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert page.evaluate(background) == "rgb(23, 24, 28)"
    send(page, "A question asked in the dark")
    shots(page, "10-dark")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")


def test_rate_limit_says_when_sending_works_again(new_page: NewPage, user_id: str, shots: Shot) -> None:
    """The free tier here allows 2 messages an hour: once they are used, Send waits, saying why and
    when sending works again (the server's refusal of a send is covered in test_web_ux).

    The limit is a fixed hourly window, so sending goes on until Send waits (at most one window can
    roll over during the test)."""
    page = new_page()
    sign_in(page, user_id, tier="free")
    usage = page.locator(".usage")
    expect(usage).to_contain_text("Messages: 0 of 2")
    box = page.get_by_label("Message", exact=True)
    note = page.locator(".composer-note.blocked")
    sent = 0
    for i in range(5):
        box.fill(f"message {i}")
        if note.count():
            break
        before = usage.inner_text()
        box.press("Enter")
        page.locator(".msg.streaming").wait_for(state="attached")
        wait_idle(page)
        sent += 1
        expect(usage).not_to_have_text(before)  # usage is read again after each turn
    assert sent >= 2, "the limit of 2 refused an earlier message"
    expect(note).to_contain_text("You have reached your limit of 2 messages")
    expect(note).to_contain_text(re.compile(r"You can send again in \d+ (min|s)"))
    send_button = page.get_by_role("button", name="Send message")
    expect(send_button).to_be_disabled()
    box.press("Enter")  # nothing is sent, nothing typed is lost
    expect(box).to_have_value(f"message {sent}")
    expect(messages(page)).to_have_count(2 * sent)
    expect(usage).to_contain_text("Messages: 2 of 2")
    shots(page, "11-rate-limited")


def test_conversation_list_loads_more_as_it_scrolls(new_page: NewPage, user_id: str, web_server: Server) -> None:
    token = web_server.token(user_id)
    for i in range(45):
        web_server.call("POST", "/conversations", token, {"title": f"Chat {i:02d}"})
    page = new_page()
    sign_in(page, user_id)
    items = page.locator(".conv")
    expect(items).to_have_count(30)
    expect(items.first.locator(".conv-title")).to_have_text("Chat 44")  # newest first
    page.locator(".conv-list").evaluate("el => el.scrollTo(0, el.scrollHeight)")
    expect(items).to_have_count(45)
    expect(items.last.locator(".conv-title")).to_have_text("Chat 00")
    items.nth(40).locator(".conv-open").click()
    expect(page.locator(".chat-title")).to_have_text("Chat 04")
    # A new message moves that chat to the top without dropping the pages already loaded.
    send(page, "Bring this one back up")
    expect(items.first.locator(".conv-title")).to_have_text("Chat 04")
    expect(items).to_have_count(45)


def test_model_picker_and_multi_line_messages(new_page: NewPage, user_id: str) -> None:
    """The picker lists `auto` and the catalog; Shift+Enter adds a line, Enter sends."""
    page = new_page()
    sign_in(page, user_id)
    picker = page.get_by_label("Model")
    expect(picker).to_have_value("auto")
    expect(picker.locator("option")).to_contain_text(["Auto", "Parley Fast", "Parley Smart"])
    picker.select_option(label=picker.locator("option", has_text="Parley Smart").inner_text())
    box = page.get_by_label("Message", exact=True)
    box.type("first line")
    box.press("Shift+Enter")
    box.type("second line")
    expect(box).to_have_value("first line\nsecond line")
    box.press("Enter")
    page.locator(".msg.streaming").wait_for(state="attached")
    wait_idle(page)
    expect(message(page, 0).locator(".bubble")).to_have_text("first line\nsecond line")
    expect(message(page, 1).locator(".meta")).to_contain_text(re.compile(r"Parley Smart.* · simulated · "))
    assert "simulator" not in message(page, 1).locator(".markdown").inner_text().lower()
    page.reload()
    expect(page.get_by_label("Model")).to_have_value("parley-smart")


HOSTILE_MARKDOWN = [
    "[a link](javascript:window.__xss=3)",
    '<a href="javascript:window.__xss=4">raw link</a>',
    '![picture](x" onerror="window.__xss=5)',
    '<svg onload="window.__xss=6"></svg>',
    '<iframe src="javascript:window.__xss=7"></iframe>',
    "[data](data:text/html,<script>window.__xss=8</script>)",
    "```html\n<script>window.__xss=9</script>\n```",
    "<style>body { display: none }</style>",
    "<javascript:window.__xss=10>",
    '<details open ontoggle="window.__xss=11">x</details>',
]


def test_hostile_markdown_is_neutralised(new_page: NewPage, user_id: str) -> None:
    """Answers written to attack the page (served by route interception) render inert."""
    cid = "01HOSTILE00000000000000000"
    detail = fake_conversation(cid, len(HOSTILE_MARKDOWN))
    for i, text in enumerate(HOSTILE_MARKDOWN):
        detail["messages"][2 * i + 1]["content"] = f"Answer {i}:\n\n{text}\n\nend {i}"
    page = new_page()
    page.route(re.compile(rf"/conversations/{cid}(/messages)?$"), lambda r: r.fulfill(
        status=200, content_type="application/json", body=json.dumps(detail)))
    sign_in(page, user_id)
    page.evaluate(f"location.hash = '#/c/{cid}'")
    expect(messages(page)).to_have_count(2 * len(HOSTILE_MARKDOWN))
    for i in range(len(HOSTILE_MARKDOWN)):
        expect(message(page, 2 * i + 1)).to_contain_text(f"end {i}")
    md = ".messages .markdown"
    dangerous = (f"{md} script, {md} iframe, {md} svg, {md} img, {md} style, {md} [onload], {md} [onerror], "
                 f"{md} [ontoggle], {md} a[href^='javascript:'], {md} a[href^='data:']")
    assert page.locator(dangerous).count() == 0
    for link in page.locator(f"{md} a").all():
        link.click(modifiers=["Shift"], no_wait_after=True)  # what a person might do; opens nothing harmful
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("getComputedStyle(document.body).display") != "none"
    expect(message(page, 13)).to_contain_text("<script>window.__xss=9</script>")  # the code block shows it
