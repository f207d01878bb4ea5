"""FastAPI dependencies: the use case a route calls, and the caller's identity.

Routes name the use case they call (``TurnsDep``...), never the whole object graph: what a route
can reach is what its signature says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPBearer

from model_endpoints.catalog import Catalog
from parley.auth import Identity
from parley.chat.completions import CompletionService
from parley.chat.runner import TurnRunner
from parley.chat.streams import StreamService
from parley.chat.turns import TurnService
from parley.container import Container
from parley.ids import ID_PATTERN
from parley.sharing.live import LiveHub

# Declares the scheme in OpenAPI; the authenticator does the real work (and the 401s).
_bearer = HTTPBearer(auto_error=False, description="A JWT (local mode: `parley token`) or an API key")


def container(request: Request) -> Container:
    return request.app.state.container


def identity(request: Request, _: Annotated[object, Depends(_bearer)] = None) -> Identity:
    return request.app.state.container.authenticator(request)


def _part(name: str) -> Callable[[Request], Any]:
    def part(request: Request) -> Any:
        return getattr(request.app.state.container, name)

    part.__name__ = name
    return part


ContainerDep = Annotated[Container, Depends(container)]
TurnsDep = Annotated[TurnService, Depends(_part("turns"))]
RunnerDep = Annotated[TurnRunner, Depends(_part("runner"))]
StreamsDep = Annotated[StreamService, Depends(_part("streams"))]
CompletionsDep = Annotated[CompletionService, Depends(_part("completions"))]
CatalogDep = Annotated[Catalog, Depends(_part("catalog"))]
LiveDep = Annotated[LiveHub, Depends(_part("live"))]
IdentityDep = Annotated[Identity, Depends(identity)]
ConversationId = Annotated[str, Path(pattern=ID_PATTERN, description="A conversation id (ULID)")]
MessageId = Annotated[str, Path(pattern=ID_PATTERN, description="A message id (ULID)")]
IdempotencyHeader = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255,
                                                 description="Retries with the same key answer what the first got")]
