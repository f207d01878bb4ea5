"""FastAPI dependencies: the use case a route calls, and the caller's identity.

Routes name the use case they call (``TurnsDep``...), never the whole object graph: what a route
can reach is what its signature says.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool

from parley.attachments.service import AttachmentService
from parley.auth import Identity
from parley.auth.api_keys import ApiKeyRepository
from parley.catalog import Catalog
from parley.chat.completions import CompletionService
from parley.chat.runner import TurnRunner
from parley.chat.streams import StreamService
from parley.chat.turns import TurnService
from parley.coldstore import ColdStore
from parley.conversations.service import ConversationService
from parley.ids import ID_PATTERN
from parley.limits.ledger import UsageLedger
from parley.personal.instructions import InstructionsService
from parley.personal.memories import MemoryService
from parley.search.service import SearchService
from parley.settings import Settings
from parley.sharing.channel import LiveChannel
from parley.sharing.copy import ShareCopier
from parley.sharing.listing import MergedListing
from parley.sharing.live import LiveHub
from parley.sharing.members import MemberService
from parley.sharing.shares import ShareService

# Declares the scheme in OpenAPI; the authenticator does the real work (and the 401s).
_bearer = HTTPBearer(auto_error=False, description="A JWT (local mode: `parley token`) or an API key")


# Dependencies are coroutines: FastAPI runs a plain function's dependency in a worker thread, a hop
# that costs more CPU than most of these take (a turn made 12 such hops).
async def identity(request: Request, _: Annotated[object, Depends(_bearer)] = None) -> Identity:
    authenticator = request.app.state.container.authenticator
    if authenticator.blocks(request):  # an API key is looked up in DynamoDB
        who: Identity = await run_in_threadpool(authenticator, request)
    else:
        who = authenticator(request)
    return who


def _part(name: str) -> Callable[[Request], Awaitable[Any]]:
    async def part(request: Request) -> Any:
        return getattr(request.app.state.container, name)

    part.__name__ = name
    return part


TurnsDep = Annotated[TurnService, Depends(_part("turns"))]
RunnerDep = Annotated[TurnRunner, Depends(_part("runner"))]
StreamsDep = Annotated[StreamService, Depends(_part("streams"))]
CompletionsDep = Annotated[CompletionService, Depends(_part("completions"))]
SettingsDep = Annotated[Settings, Depends(_part("settings"))]
ApiKeysDep = Annotated[ApiKeyRepository, Depends(_part("api_keys"))]
ColdStoreDep = Annotated[ColdStore, Depends(_part("coldstore"))]
InstructionsDep = Annotated[InstructionsService, Depends(_part("instructions"))]
MemoriesDep = Annotated[MemoryService, Depends(_part("memories"))]
SearchDep = Annotated[SearchService, Depends(_part("search"))]
LedgerDep = Annotated[UsageLedger, Depends(_part("ledger"))]
AttachmentsDep = Annotated[AttachmentService, Depends(_part("attachments"))]
ConversationsDep = Annotated[ConversationService, Depends(_part("conversations"))]
MembersDep = Annotated[MemberService, Depends(_part("members"))]
SharesDep = Annotated[ShareService, Depends(_part("shares"))]
ChannelDep = Annotated[LiveChannel, Depends(_part("channel"))]
ListingDep = Annotated[MergedListing, Depends(_part("listing"))]
CopierDep = Annotated[ShareCopier, Depends(_part("copier"))]
CatalogDep = Annotated[Catalog, Depends(_part("catalog"))]
LiveDep = Annotated[LiveHub, Depends(_part("live"))]
IdentityDep = Annotated[Identity, Depends(identity)]
ConversationId = Annotated[str, Path(pattern=ID_PATTERN, description="A conversation id (ULID)")]
MessageId = Annotated[str, Path(pattern=ID_PATTERN, description="A message id (ULID)")]
IdempotencyHeader = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255,
                                                 description="Retries with the same key answer what the first got")]
