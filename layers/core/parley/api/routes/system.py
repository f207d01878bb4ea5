"""Health, the model catalog and (local mode only) dev tokens."""

from __future__ import annotations

from fastapi import APIRouter

from parley import __version__
from parley.api.deps import ContainerDep
from parley.api.schemas import DevTokenRequest, DevTokenResponse, Health
from parley.auth.local_jwt import issue_token

router = APIRouter()
dev_router = APIRouter(tags=["local development"])


@router.get("/health", response_model=Health, tags=["system"])
def health(c: ContainerDep) -> Health:
    return Health(status="ok", mode=c.settings.mode, version=__version__)


@dev_router.post("/dev/token", response_model=DevTokenResponse)
def dev_token(body: DevTokenRequest, c: ContainerDep) -> DevTokenResponse:
    """Local mode only: a signed token for any user name (the web client's sign-in)."""
    s = c.settings
    token = issue_token(s.local_jwt_secret, body.user_id, body.tier, s.jwt_ttl_s)  # type: ignore[arg-type]
    return DevTokenResponse(token=token, user_id=body.user_id, tier=body.tier, expires_in=s.jwt_ttl_s)
