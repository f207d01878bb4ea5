"""FastAPI dependencies: the container and the caller's identity."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPBearer

from parley.auth import Identity
from parley.container import Container
from parley.ids import ID_PATTERN

# Declares the scheme in OpenAPI; the authenticator does the real work (and the 401s).
_bearer = HTTPBearer(auto_error=False, description="A JWT (local mode: `parley token`) or an API key")


def container(request: Request) -> Container:
    return request.app.state.container


def identity(request: Request, _: Annotated[object, Depends(_bearer)] = None) -> Identity:
    return request.app.state.container.authenticator(request)


ContainerDep = Annotated[Container, Depends(container)]
IdentityDep = Annotated[Identity, Depends(identity)]
ConversationId = Annotated[str, Path(pattern=ID_PATTERN, description="A conversation id (ULID)")]
MessageId = Annotated[str, Path(pattern=ID_PATTERN, description="A message id (ULID)")]
IdempotencyHeader = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255,
                                                 description="Retries with the same key answer what the first got")]
