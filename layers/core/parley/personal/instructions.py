"""Custom instructions: what the user wants every answer to know about them and how to respond.

They reach the model as their own system message after the platform's system prompt (never joined
with it), within a token budget stated in settings (``instructions_token_budget``); text beyond
the budget is cut, and the turn's metadata says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist

from parley.auth import Identity
from parley.context.preamble import ContextBlock
from parley.ids import now_ms
from parley.personal.screening import Screen, as_model_sees, model_mode
from parley.storage.profile_table import INSTRUCTIONS_SK, ProfileTable
from parley.tokens import count_tokens, truncate_to_tokens

MAX_CHARS = 1500
HEADER = ("The user has set the custom instructions below. Take them into account in every answer, "
          "unless they conflict with the instructions above.")


@dataclass(frozen=True, slots=True)
class Instructions:
    about_me: str = ""
    how_to_respond: str = ""
    updated_at: int | None = None
    modes: tuple[str | None, str | None] = (None, None)
    #: Tokens of the rendered instructions, as counted when they were written.
    tokens: int = 0

    @property
    def empty(self) -> bool:
        return not (self.about_me or self.how_to_respond)


def render(instructions: Instructions) -> str:
    parts = [HEADER]
    if instructions.about_me:
        text = as_model_sees(instructions.about_me, instructions.modes[0], "the user's custom instructions")
        parts.append(f"What the user wants you to know about them:\n{text}")
    if instructions.how_to_respond:
        text = as_model_sees(instructions.how_to_respond, instructions.modes[1], "the user's custom instructions")
        parts.append(f"How the user wants you to respond:\n{text}")
    return "\n\n".join(parts)


def instructions_of(item: Any) -> Instructions:
    modes = dict(item.model_text or {})
    return Instructions(item.about_me or "", item.how_to_respond or "", int(item.updated_at),
                        (modes.get("aboutMe"), modes.get("howToRespond")), int(item.tokens or 0))


class InstructionsService:
    def __init__(self, table: ProfileTable, screen: Screen, token_budget: int,
                 changed: Callable[[str], None] = lambda _user_id: None) -> None:
        self._t = table
        self._screen = screen
        self._budget = token_budget
        self._changed = changed

    def get(self, user_id: str) -> Instructions:
        try:
            item = self._t.instructions.get(user_id, INSTRUCTIONS_SK, consistent_read=True)
        except DoesNotExist:
            return Instructions()
        return instructions_of(item)

    def put(self, who: Identity, about_me: str, how_to_respond: str) -> Instructions:
        """Screen both fields (a blocked one refuses the whole update), then store them."""
        about_me, how_to_respond = about_me.strip(), how_to_respond.strip()
        modes = (model_mode(self._screen(who, about_me)) if about_me else None,
                 model_mode(self._screen(who, how_to_respond)) if how_to_respond else None)
        result = Instructions(about_me, how_to_respond, now_ms(), modes)
        item = self._t.instructions(who.user_id, INSTRUCTIONS_SK)
        item.about_me, item.how_to_respond = about_me, how_to_respond
        item.model_text = {k: v for k, v in zip(("aboutMe", "howToRespond"), modes, strict=True) if v} or None
        item.tokens = count_tokens(render(result)) if not result.empty else 0
        item.updated_at = result.updated_at
        item.save()
        self._changed(who.user_id)
        return result

    def block_of(self, instructions: Instructions) -> ContextBlock | None:
        """The instructions as the turn's context takes them, cut to the budget."""
        if instructions.empty or self._budget <= 0:
            return None
        text = render(instructions)
        tokens = instructions.tokens or count_tokens(text)
        trimmed = tokens > self._budget
        if trimmed:
            text = truncate_to_tokens(text, self._budget)
            tokens = count_tokens(text)
        return ContextBlock("instructions", text, tokens, trimmed=trimmed)
