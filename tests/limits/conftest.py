from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.settings import Settings


@pytest.fixture(scope="package")
def limits_app():
    return create_app(Settings(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, cache_enabled=True,
                               generate_titles=False,
                               limit_free_per_hour=10, limit_plus_per_hour=100,
                               limit_free_tokens_per_day=5_000))


@pytest.fixture(scope="package")
def lclient(limits_app):
    with TestClient(limits_app) as c:
        yield c
