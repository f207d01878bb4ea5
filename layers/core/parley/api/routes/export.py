"""Export a conversation as a file (JSON: the whole tree; Markdown: the active branch).

Works for hot and cold conversations alike; a cold one is read from its archive and stays cold.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Response

from parley.api.deps import ColdStoreDep, ConversationId, IdentityDep
from parley.api.lazy_routes import api_router
from parley.api.schemas import CamelModel, ConversationHeader, ErrorBody, MessageBody
from parley.coldstore.export import content_disposition, export_filename, render_markdown
from parley.conversations.tree import branch_to, link_children
from parley.ids import now_ms

EXPORT_FORMAT = "parley.conversation/1"

router = api_router(
    prefix="/conversations",
    tags=["conversations"],
    responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)


class ConversationExport(CamelModel):
    format: str = EXPORT_FORMAT
    exported_at: int
    conversation: ConversationHeader
    #: Message ids of the active branch, root first.
    active_branch: list[str]
    #: Every message of the tree, oldest first.
    messages: list[MessageBody]


@router.get(
    "/{conversation_id}/export",
    response_class=Response,
    responses={200: {"model": ConversationExport, "content": {"text/markdown": {}},
                     "description": "The conversation as an attachment"}},
)
def export_conversation(
    conversation_id: ConversationId,
    who: IdentityDep,
    cold: ColdStoreDep,
    format: Annotated[
        Literal["json", "markdown"], Query(description="json: every branch; markdown: the active branch")
    ] = "json",
) -> Response:
    """Download the whole conversation, hot or cold (a cold one is not restored by an export)."""
    conversation, messages = cold.snapshot(who.user_id, conversation_id)
    by_id = link_children(messages)
    branch = branch_to(by_id, conversation.current_message_id)
    if format == "markdown":
        body = render_markdown(conversation, branch)
        media_type, extension = "text/markdown; charset=utf-8", "md"
    else:
        body = ConversationExport(
            exported_at=now_ms(),
            conversation=ConversationHeader.of(conversation),
            active_branch=[m.message_id for m in branch],
            messages=[MessageBody.of(m) for m in messages],
        ).model_dump_json(by_alias=True)
        media_type, extension = "application/json", "json"
    return Response(
        content=body,
        media_type=media_type,
        headers={"Content-Disposition": content_disposition(export_filename(conversation, extension))},
    )


#: Local mode only (``parley coldstore run`` posts here: the emulated AWS lives in the dev server).
dev_router = api_router(tags=["local development"])


class ColdStoreRunReport(CamelModel):
    pages: int
    complete: bool
    outcomes: dict[str, int]


@dev_router.post("/dev/coldstore/run", response_model=ColdStoreRunReport)
def run_coldstore(
    who: IdentityDep,
    cold: ColdStoreDep,
    idle_days: Annotated[float | None, Query(alias="idleDays", ge=0, le=36_500, allow_inf_nan=False)] = None,
    max_conversations: Annotated[int | None, Query(alias="maxConversations", ge=1)] = None,
) -> ColdStoreRunReport:
    """Run the cold-storage job once in this process (what the scheduled Lambda does in AWS)."""
    store = cold if idle_days is None else cold.tuned(idle_days=idle_days)
    report = store.run(max_conversations=max_conversations)
    return ColdStoreRunReport(pages=report.pages, complete=report.complete, outcomes=dict(report.outcomes))
