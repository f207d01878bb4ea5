"""The caller's own settings: custom instructions."""

from __future__ import annotations

from pydantic import Field

from parley.api.deps import IdentityDep, InstructionsDep
from parley.api.lazy_routes import api_router
from parley.api.schemas import CamelModel, ErrorBody, RequestModel
from parley.personal.instructions import MAX_CHARS, Instructions

router = api_router(prefix="/me", tags=["me"], responses={400: {"model": ErrorBody}, 422: {"model": ErrorBody}})


class InstructionsRequest(RequestModel):
    about_me: str = Field(max_length=MAX_CHARS, description="What the model should know about you")
    how_to_respond: str = Field(max_length=MAX_CHARS, description="How the model should respond")


class InstructionsResponse(CamelModel):
    about_me: str
    how_to_respond: str
    updated_at: int | None = None

    @classmethod
    def of(cls, i: Instructions) -> InstructionsResponse:
        return cls(about_me=i.about_me, how_to_respond=i.how_to_respond, updated_at=i.updated_at)


@router.get("/instructions", response_model=InstructionsResponse)
def get_instructions(who: IdentityDep, instructions: InstructionsDep) -> InstructionsResponse:
    """Your custom instructions (empty strings when none are set)."""
    return InstructionsResponse.of(instructions.get(who.user_id))


@router.put("/instructions", response_model=InstructionsResponse)
def put_instructions(
    body: InstructionsRequest, who: IdentityDep, instructions: InstructionsDep
) -> InstructionsResponse:
    """Replace your custom instructions (each field at most 1,500 characters; empty clears it).

    They are screened like a message (a blocked text is a 400 `content_blocked`) and go into the
    system context of every new turn, within `instructions_token_budget` tokens.
    """
    return InstructionsResponse.of(instructions.put(who, body.about_me, body.how_to_respond))
