"""Shared fixtures: one local-mode app per test session (moto in-process), fresh users per test."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.auth.local_jwt import issue_token
from parley.settings import DEV_JWT_SECRET, Settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    # The response cache is off here so that tests reach the model; tests/limits covers the cache.
    return Settings(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, cache_enabled=False,
                    generate_titles=False)


@pytest.fixture(scope="session")
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture(scope="session")
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def make_user() -> Callable[..., dict[str, str]]:
    """A fresh user each call: returns the Authorization header for them."""

    def _make(tier: str = "free", user_id: str | None = None) -> dict[str, str]:
        uid = user_id or f"user-{uuid.uuid4().hex[:12]}"
        return {"Authorization": f"Bearer {issue_token(DEV_JWT_SECRET, uid, tier)}"}  # type: ignore[arg-type]

    return _make


@pytest.fixture
def auth(make_user) -> dict[str, str]:
    return make_user()
