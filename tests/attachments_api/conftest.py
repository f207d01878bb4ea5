"""An app with the attachment routes mounted and its service built from the container, uploads to the
local S3 server on loopback, and helpers that upload the way a browser does (a real HTTP POST)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.attachments.service import AttachmentService
from parley.settings import Settings


@pytest.fixture(scope="session")
def att_settings() -> Settings:
    return Settings(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, cache_enabled=False, generate_titles=False)


@pytest.fixture(scope="session")
def att_app(att_settings: Settings):
    return create_app(att_settings)


@pytest.fixture(scope="session")
def loopback_s3(att_app) -> str:
    """The local S3 server's URL (where presigned uploads go)."""
    return att_app.state.container.settings.s3_endpoint


@pytest.fixture(scope="session")
def att_client(att_app) -> Iterator[TestClient]:
    with TestClient(att_app) as c:
        yield c


@pytest.fixture(scope="session")
def service(att_app) -> AttachmentService:
    return att_app.state.container.attachments


@pytest.fixture
def swap_service(att_app) -> Callable[[AttachmentService], contextlib.AbstractContextManager[AttachmentService]]:
    """Serve the routes with another service (other limits, another clock) for the duration of a block."""

    @contextlib.contextmanager
    def swap(other: AttachmentService) -> Iterator[AttachmentService]:
        container = att_app.state.container
        previous = container.attachments
        container.attachments = other
        try:
            yield other
        finally:
            container.attachments = previous

    return swap


def declare(client: TestClient, auth: dict[str, str], filename: str, content_type: str | None,
            size: int) -> httpx.Response:
    body: dict[str, Any] = {"filename": filename, "size": size}
    if content_type is not None:
        body["contentType"] = content_type
    return client.post("/attachments", json=body, headers=auth)


def send_upload(ticket: dict[str, Any], data: bytes, filename: str, content_type: str) -> httpx.Response:
    """What a browser does with the ticket: a multipart POST of the fields, then the file."""
    assert ticket["method"] == "POST"
    return httpx.post(ticket["uploadUrl"], data=ticket["fields"],
                      files={"file": (filename, data, content_type)}, timeout=30)


def upload(client: TestClient, auth: dict[str, str], filename: str, data: bytes, content_type: str) -> dict[str, Any]:
    """Declare, upload over HTTP, then read the attachment once (local mode processes it on that read)."""
    created = declare(client, auth, filename, content_type, len(data))
    assert created.status_code == 201, created.text
    ticket = created.json()
    sent = send_upload(ticket, data, filename, content_type)
    assert sent.status_code in (200, 201, 204), sent.text
    got = client.get(f"/attachments/{ticket['attachmentId']}", headers=auth)
    assert got.status_code == 200, got.text
    return got.json()
