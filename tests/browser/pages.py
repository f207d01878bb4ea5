"""What a person does in the web client, as Playwright steps (shared by the browser tests and the bench)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Locator, Page

#: The `new_page` fixture: opens the app in a fresh browser context.
NewPage = Callable[..., Page]
#: The `shots` fixture: saves a screenshot under test-artifacts/web/.
Shot = Callable[[Page, str], None]

# Samples the streaming answer's text length every animation frame until the answer is final.
SAMPLE_STREAM_JS = """
() => new Promise((resolve) => {
  const lengths = [];
  const t0 = performance.now();
  let seen = false;
  const tick = () => {
    const el = document.querySelector('.msg.streaming .markdown');
    if (el) { seen = true; lengths.push(el.textContent.length); }
    else if (seen || performance.now() - t0 > 15000) return resolve(lengths);
    requestAnimationFrame(tick);
  };
  tick();
})
"""


def sign_in(page: Page, user: str, tier: str = "plus") -> None:
    page.get_by_label("User name").fill(user)
    page.get_by_label("Plan").select_option(tier)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Message", exact=True).wait_for()


def type_message(page: Page, text: str) -> None:
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")


def wait_idle(page: Page, timeout_ms: float = 15_000) -> None:
    """Until no answer is streaming and the turn's final state is shown."""
    page.locator(".msg.streaming").wait_for(state="detached", timeout=timeout_ms)
    page.get_by_role("button", name="Send message").wait_for(timeout=timeout_ms)


def send(page: Page, text: str) -> None:
    type_message(page, text)
    page.locator(".msg.streaming").wait_for(state="attached")
    wait_idle(page)


def messages(page: Page) -> Locator:
    return page.locator(".messages .msg:not(.streaming)")


def message(page: Page, index: int) -> Locator:
    return messages(page).nth(index)


def sidebar_item(page: Page, title: str) -> Locator:
    return page.locator(".conv").filter(has=page.locator(".conv-title", has_text=title))


def open_item_menu(page: Page, title: str) -> Locator:
    item = sidebar_item(page, title)
    item.get_by_role("button", name=f"Actions for {title}").click()
    return item.get_by_role("menu")
