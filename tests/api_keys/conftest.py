"""An app with API keys attached (the lead's wiring does the same in create_app; until then, here)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from parley.api.routes import api_keys as api_keys_routes
from parley.app import create_app
from parley.auth.api_keys import ApiKeyAuthenticator, ApiKeyRepository, build_api_keys_table
from parley.settings import Settings

TABLE = "parley-api-keys"


@pytest.fixture(scope="package")
def keys_app():
    app = create_app(Settings(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, cache_enabled=False,
                              generate_titles=False))
    c = app.state.container
    if getattr(c, "api_keys", None) is None:
        # Not wired into the container yet: attach the same pieces the wiring adds.
        table = build_api_keys_table(TABLE, c.settings.region, c.settings.dynamodb_endpoint)
        if not table.item.exists():
            table.item.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
        c.api_keys = ApiKeyRepository(table)
        c.authenticator = ApiKeyAuthenticator(c.api_keys, c.authenticator)
        app.include_router(api_keys_routes.router)
    return app


@pytest.fixture(scope="package")
def kclient(keys_app):
    with TestClient(keys_app) as client:
        yield client


@pytest.fixture
def keys(keys_app) -> ApiKeyRepository:
    return keys_app.state.container.api_keys
