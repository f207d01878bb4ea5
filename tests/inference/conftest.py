"""Fixtures for the inference backends: catalog specs and the asyncio test runner."""

from __future__ import annotations

import pytest

from parley.catalog import ModelSpec, load_catalog


@pytest.fixture
def anyio_backend() -> str:
    # The backends hand events over with asyncio primitives.
    return "asyncio"


@pytest.fixture(scope="session")
def fast_spec() -> ModelSpec:
    spec = load_catalog().get("parley-fast")
    assert spec is not None
    return spec
