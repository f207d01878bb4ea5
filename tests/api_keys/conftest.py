"""An app for the API key tests (its own, so that limits set here touch no other test)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.auth.api_keys import ApiKeyRepository
from parley.settings import Settings


@pytest.fixture(scope="package")
def keys_app():
    return create_app(Settings(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, cache_enabled=False,
                               generate_titles=False))


@pytest.fixture(scope="package")
def kclient(keys_app):
    with TestClient(keys_app) as client:
        yield client


@pytest.fixture
def keys(keys_app) -> ApiKeyRepository:
    return keys_app.state.container.api_keys
