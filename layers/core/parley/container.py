"""The object graph of one running app, built once from settings at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from model_endpoints.catalog import Catalog, load_catalog
from parley.auth import Authenticator, build_authenticator
from parley.chat.service import ChatService, run_blocking
from parley.conversations.repository import ConversationRepository
from parley.conversations.service import ConversationService
from parley.observability import EmfMetrics, MemoryMetrics, MetricsSink
from parley.settings import Settings
from parley.storage.blobs import BlobStore
from parley.storage.tables import ConversationTable, build_conversation_table


@dataclass
class Container:
    settings: Settings
    catalog: Catalog
    authenticator: Authenticator
    tables: ConversationTable
    s3: Any
    blobs: BlobStore
    conversations_repo: ConversationRepository
    conversations: ConversationService
    metrics: MetricsSink
    backends: Any
    chat: ChatService


def aws_client(settings: Settings, service: str, endpoint_url: str | None = None) -> Any:
    config = Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=64)
    return boto3.client(service, region_name=settings.region, endpoint_url=endpoint_url, config=config)


def build_container(settings: Settings, catalog: Catalog | None = None) -> Container:
    catalog = catalog or load_catalog()
    tables = build_conversation_table(settings.table_conversations, settings.region, settings.dynamodb_endpoint)
    s3 = aws_client(settings, "s3", settings.s3_endpoint)
    blobs = BlobStore(s3, settings.bucket_data)
    repo = ConversationRepository(tables, blobs, settings.content_inline_max_bytes)
    metrics: MetricsSink = MemoryMetrics() if settings.mode == "local" else EmfMetrics()
    backends = build_backends(settings)
    chat = ChatService(
        repository=repo,
        catalog=catalog,
        backend_for=backends.backend_for,
        metrics=metrics,
        default_system_prompt=settings.default_system_prompt,
        max_message_chars=settings.max_message_chars,
        checkpoint_interval_s=settings.checkpoint_interval_s,
        run_blocking=run_blocking,
    )
    return Container(
        settings=settings,
        catalog=catalog,
        authenticator=build_authenticator(settings),
        tables=tables,
        s3=s3,
        blobs=blobs,
        conversations_repo=repo,
        conversations=ConversationService(
            repo, default_model=settings.default_model, is_known_model=catalog.is_known
        ),
        metrics=metrics,
        backends=backends,
        chat=chat,
    )


def build_backends(settings: Settings) -> Any:
    from parley.inference.registry import BackendRegistry

    return BackendRegistry.from_settings(settings)
