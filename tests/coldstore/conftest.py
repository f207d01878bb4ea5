"""A local app with its own tables and bucket, wired with a cold store whose clock and failures
the tests control."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.coldstore import ColdStore, ColdStoreConfig
from parley.settings import Settings
from parley.storage.aws import aws_client
from tests.coldstore.helpers import Clock, Cold, Faults


@pytest.fixture(scope="session")
def cold_env() -> Iterator[Cold]:
    settings = Settings(
        mode="local",
        table_conversations="coldtest-conversations",
        table_usage="coldtest-usage",
        table_cache="coldtest-cache",
        table_idempotency="coldtest-idempotency",
        bucket_data="coldtest-data",
        sim_ttft_ms=0,
        sim_tokens_per_s=0,
        cache_enabled=False,
        limit_plus_per_hour=10_000,
        content_inline_max_bytes=2_000,
    )
    app = create_app(settings)
    container = app.state.container
    settings = container.settings  # with the local servers' endpoints
    faults, clock = Faults(), Clock()
    store = ColdStore(
        dynamodb=aws_client(settings, "dynamodb", settings.dynamodb_endpoint),
        s3=container.s3,
        bucket=settings.bucket_data,
        tables=container.tables,
        repository=container.conversations_repo,
        # Longer than a restore takes beside three waiting sends on this 2-core machine (about 1 s: at 1.0
        # the concurrency test's waiters gave up a few ms before it ended); the 503 test waits it twice.
        config=ColdStoreConfig(restore_wait_s=3.0),
        clock=clock,
        fault=faults,
    )
    # What the lead's wiring does in container.py / app.py, with this test store in its place.
    container.coldstore = store
    container.conversations_repo.set_restorer(store.restore)
    # The deletion hook as the lead composes it: whatever hook is there already, then the archive.
    repo = container.conversations_repo
    previous = getattr(repo, "_on_delete", None)

    def on_delete(user_id: str, conversation_id: str) -> None:
        if previous is not None:
            previous(user_id, conversation_id)
        store.discard(user_id, conversation_id)

    repo.set_delete_hook(on_delete)
    with TestClient(app) as client:
        yield Cold(app, client, container, store, faults, clock, settings)


@pytest.fixture
def cold(cold_env: Cold) -> Iterator[Cold]:
    cold_env.faults.at("", nth=0)
    cold_env.clock.offset_ms = 0
    yield cold_env
    cold_env.faults.at("", nth=0)
    cold_env.clock.offset_ms = 0
    cold_env.forget_created()


