"""Health, the model catalog and (local mode only) dev tokens."""

from __future__ import annotations

from parley import __version__
from parley.api.deps import CatalogDep, IdentityDep, SettingsDep
from parley.api.lazy_routes import api_router
from parley.api.schemas import DevTokenRequest, DevTokenResponse, Health, ModelInfo, ModelList

router = api_router()
dev_router = api_router(tags=["local development"])


@router.get("/health", response_model=Health, tags=["system"])
def health(settings: SettingsDep) -> Health:
    return Health(status="ok", mode=settings.mode, version=__version__)


@router.get("/models", response_model=ModelList, tags=["models"])
def list_models(_: IdentityDep, catalog: CatalogDep) -> ModelList:
    """The model catalog. `auto` (the default) routes each message to a tier."""
    return ModelList(
        default=catalog.default_model,
        models=[
            ModelInfo(
                id=m.id,
                name=m.name,
                tier=m.tier,
                context_window=m.context_window,
                max_output=m.max_output,
                price_in_per_1k=m.price_in_per_1k,
                price_out_per_1k=m.price_out_per_1k,
                capabilities=list(m.capabilities),
            )
            for m in catalog.models
        ],
    )


@dev_router.post("/dev/token", response_model=DevTokenResponse)
def dev_token(body: DevTokenRequest, s: SettingsDep) -> DevTokenResponse:
    """Local mode only: a signed token for any user name (the web client's sign-in)."""
    from parley.auth.local_jwt import issue_token

    token = issue_token(s.local_jwt_secret, body.user_id, body.tier, s.jwt_ttl_s)  # type: ignore[arg-type]
    return DevTokenResponse(token=token, user_id=body.user_id, tier=body.tier, expires_in=s.jwt_ttl_s)
