"""API keys: create (the key is shown once), list, revoke.

Managing keys needs a signed-in user's token: an API key cannot create, list or delete keys, so a
leaked key cannot mint successors that outlive its revocation. Refused with 401
``api_key_not_allowed`` (the credential is not one this route accepts; 403 is not in the contract).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request, status
from pydantic import Field, field_validator
from starlette.concurrency import run_in_threadpool

from parley.api.deps import ApiKeysDep, IdentityDep
from parley.api.lazy_routes import api_router
from parley.api.schemas import CamelModel, ErrorBody, RequestModel, SuccessBody
from parley.auth.api_keys import ApiKeyInfo, authenticated_with_api_key
from parley.auth.identity import Identity
from parley.errors import Unauthorized
from parley.textrules import NOT_BLANK

router = api_router(
    prefix="/api-keys",
    tags=["api keys"],
    responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)


class CreateApiKeyRequest(RequestModel):
    name: str = Field(min_length=1, max_length=100, pattern=NOT_BLANK,
                      description="What the key is for (shown in lists)")

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("name must not be blank")
        return value


class CreatedApiKeyBody(CamelModel):
    api_key_id: str
    key: str = Field(description="The key itself: shown only in this response, never again")
    name: str
    prefix: str
    created_at: int


class ApiKeyBody(CamelModel):
    api_key_id: str
    name: str
    prefix: str
    created_at: int
    last_used_at: int | None = Field(default=None, description="Updated at most once an hour")

    @classmethod
    def of(cls, info: ApiKeyInfo) -> ApiKeyBody:
        return cls(api_key_id=info.key_id, name=info.name, prefix=info.prefix, created_at=info.created_at,
                   last_used_at=info.last_used_at)


class ApiKeyList(CamelModel):
    api_keys: list[ApiKeyBody]


def signed_in_user(request: Request, who: IdentityDep) -> Identity:
    if authenticated_with_api_key(request):
        raise Unauthorized("API keys cannot manage API keys; sign in", code="api_key_not_allowed")
    return who


UserDep = Annotated[Identity, Depends(signed_in_user)]
ApiKeyId = Annotated[str, Path(max_length=64, description="An API key id (`apiKeyId`)")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CreatedApiKeyBody,
             responses={409: {"model": ErrorBody}})
async def create_api_key(body: CreateApiKeyRequest, who: UserDep, keys: ApiKeysDep) -> CreatedApiKeyBody:
    """Create a key with the caller's current tier. The response is the only place the key appears:
    only its hash is stored. At most 20 keys per user by default (409 `too_many_api_keys`)."""
    created = await run_in_threadpool(keys.create, who, body.name)
    return CreatedApiKeyBody(api_key_id=created.key_id, key=created.key, name=created.name,
                             prefix=created.prefix, created_at=created.created_at)


@router.get("", response_model=ApiKeyList)
async def list_api_keys(who: UserDep, keys: ApiKeysDep) -> ApiKeyList:
    """The caller's keys, oldest first, without the keys themselves."""
    # A key records its owner's tier; listing with a signed-in token brings it up to date.
    infos = await run_in_threadpool(keys.list, who.user_id, who.tier)
    return ApiKeyList(api_keys=[ApiKeyBody.of(i) for i in infos])


@router.delete("/{api_key_id}", response_model=SuccessBody)
async def delete_api_key(api_key_id: ApiKeyId, who: UserDep, keys: ApiKeysDep) -> SuccessBody:
    """Revoke a key at once (in AWS, a cached authorization may admit it for up to 5 more minutes)."""
    await run_in_threadpool(keys.delete, who.user_id, api_key_id)
    return SuccessBody()
