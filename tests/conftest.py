"""Shared fixtures: local mode on the real local servers (DynamoDB Local in memory, the S3 server
in a scratch directory), started once per test session; one app per session, fresh users per test."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.auth.local_jwt import issue_token
from parley.local import servers
from parley.settings import DEV_JWT_SECRET, Settings

_SCRATCH = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    # Before any app is built (some test modules build theirs at import): every local-mode app of
    # this process then uses the same two servers, started on first use.
    config.stash[_SCRATCH] = tempfile.mkdtemp(prefix="parley-test-servers-")
    servers.configure(config.stash[_SCRATCH], in_memory=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    servers.stop_running()
    shutil.rmtree(config.stash.get(_SCRATCH, ""), ignore_errors=True)


@pytest.fixture(scope="session")
def local_endpoints() -> dict[str, str]:
    """The local servers' endpoints, for aws-mode apps in tests (which otherwise reach for AWS)."""
    endpoints = servers.ensure_running()
    servers.use_local_credentials()
    return {"dynamodb_endpoint": endpoints.dynamodb, "s3_endpoint": endpoints.s3}


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
