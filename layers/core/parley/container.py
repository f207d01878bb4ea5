"""The object graph of one running app, built once from settings at start-up."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parley.attachments.service import AttachmentService, build_attachment_service
from parley.auth import Authenticator, build_authenticator
from parley.auth.api_keys import ApiKeyRepository
from parley.cache.responses import ResponseCache
from parley.catalog import Catalog, load_catalog
from parley.chat.cached import CachedAnswers
from parley.chat.completions import CompletionService
from parley.chat.followups import TurnFollowUps
from parley.chat.models import ModelChooser
from parley.chat.moderation import SafetyGate, SafetyOptions
from parley.chat.options import ChatOptions
from parley.chat.planner import TurnPlanner
from parley.chat.replays import Replays
from parley.chat.runner import TurnRunner, run_blocking
from parley.chat.streams import StreamService
from parley.chat.turns import TurnService
from parley.coldstore import ColdStore, build_coldstore
from parley.conversations.repository import ConversationRepository
from parley.conversations.service import ConversationService
from parley.idempotency.records import IdempotencyStore
from parley.limits.ledger import TierLimits, UsageLedger
from parley.limits.offenders import OffenderPolicy, parse_tiers
from parley.observability import EmfMetrics, MemoryMetrics, MetricsSink
from parley.personal.context import PersonalContext
from parley.personal.instructions import InstructionsService
from parley.personal.memories import MemoryService
from parley.search.indexer import SearchIndexer
from parley.search.local import LocalSearchIndex
from parley.search.rebuild import catch_up
from parley.search.service import SearchService
from parley.settings import Settings
from parley.sharing.aws_live import build_live_hub
from parley.sharing.channel import LiveChannel
from parley.sharing.copy import ShareCopier
from parley.sharing.listing import MergedListing
from parley.sharing.live import LiveHub
from parley.sharing.members import MemberService
from parley.sharing.presence import PresenceStore
from parley.sharing.shares import ShareService
from parley.storage.api_keys_table import build_api_keys_table
from parley.storage.aws import aws_client
from parley.storage.blobs import BlobStore
from parley.storage.ops_tables import OpsTables, build_ops_tables
from parley.storage.profile_table import build_profile_table
from parley.storage.tables import ConversationTable, build_conversation_table
from parley.storage.usage_table import build_usage_table
from parley.workflows.runner import InProcessStarter, StepFunctionsStarter, WorkflowStarter
from parley.workflows.tasks import SummaryPolicy, WorkflowTasks


@dataclass
class Container:
    """Everything a request needs. Nothing here calls AWS while it is built (Lambda init stays short)."""

    settings: Settings
    catalog: Catalog
    authenticator: Authenticator
    tables: ConversationTable
    ops: OpsTables
    blobs: BlobStore
    conversations_repo: ConversationRepository
    conversations: ConversationService
    ledger: UsageLedger
    idempotency: IdempotencyStore
    metrics: MetricsSink
    backends: Any
    turns: TurnService
    completions: CompletionService
    runner: TurnRunner
    streams: StreamService
    replays: Replays
    workflow_tasks: WorkflowTasks
    workflows: WorkflowStarter
    attachments: AttachmentService
    coldstore: ColdStore
    api_keys: ApiKeyRepository
    search: SearchService
    instructions: InstructionsService
    memories: MemoryService
    shares: ShareService
    members: MemberService
    live: LiveHub
    channel: LiveChannel
    listing: MergedListing
    copier: ShareCopier

    @property
    def s3(self) -> Any:
        return self.blobs.client


def build_catalog(settings: Settings) -> Catalog:
    catalog = load_catalog()
    kind = settings.model_backend or ("sagemaker" if settings.mode == "aws" else None)
    return catalog.with_backend(kind, settings.openai_base_url) if kind else catalog


def build_container(settings: Settings, catalog: Catalog | None = None) -> Container:
    if settings.mode == "local":
        from parley.local.provision import with_local_servers

        settings = with_local_servers(settings)
    catalog = catalog or build_catalog(settings)
    region, host = settings.region, settings.dynamodb_endpoint
    tables = build_conversation_table(settings.table_conversations, region, host)
    usage = build_usage_table(settings.table_usage, region, host)
    ops = build_ops_tables(settings.table_cache, settings.table_idempotency, region, host)
    api_keys = ApiKeyRepository(build_api_keys_table(settings.table_api_keys, region, host),
                                max_per_user=settings.api_keys_per_user)
    blobs = BlobStore(lambda: aws_client(settings, "s3", settings.s3_endpoint), settings.bucket_data)
    repo = ConversationRepository(tables, blobs, settings.content_inline_max_bytes,
                                  generation_stale_after_s=settings.generation_stale_after_s)
    attachments = build_attachment_service(settings, blobs, presign_endpoint=presign_endpoint(settings))
    coldstore = build_coldstore(settings, dynamodb=lambda: aws_client(settings, "dynamodb", settings.dynamodb_endpoint),
                                s3=lambda: blobs.client, tables=tables, repository=repo)
    repo.set_restorer(coldstore.restore)
    idempotency = IdempotencyStore(ops.idempotency, ttl_s=settings.idempotency_ttl_s)
    conversations = ConversationService(repo, default_model=settings.default_model,
                                        is_known_model=catalog.is_known, idempotency=idempotency)
    live = build_live_hub(settings)
    shares = ShareService(tables, repo, conversations, blobs, settings.content_inline_max_bytes)

    def on_delete(user_id: str, conversation_id: str) -> None:
        attachments.delete_for_conversation(user_id, conversation_id)
        coldstore.discard(user_id, conversation_id)
        shares.discard(user_id, conversation_id)

    repo.set_delete_hook(on_delete)
    search_index = LocalSearchIndex(search_index_dir(settings))

    def catch_up_search(user_id: str) -> None:
        catch_up(search_index, user_id, repo.list, coldstore.snapshot)

    search_index.set_rebuilder(catch_up_search)
    repo.set_search_indexer(SearchIndexer(search_index))
    metrics: MetricsSink = MemoryMetrics() if settings.mode == "local" else EmfMetrics()
    backends = build_backends(settings)
    ledger = UsageLedger(usage, TierLimits(
        messages_per_hour={"free": settings.limit_free_per_hour, "plus": settings.limit_plus_per_hour},
        tokens_per_day={"free": settings.limit_free_tokens_per_day, "plus": settings.limit_plus_tokens_per_day},
    ))
    workflow_tasks = WorkflowTasks(
        repository=repo,
        catalog=catalog,
        backend_for=backends.backend_for,
        policy=SummaryPolicy(trigger_fraction=settings.summary_trigger_fraction,
                             keep_recent=settings.summary_keep_recent),
    )
    workflows = build_workflow_starter(settings, workflow_tasks, metrics)
    safety = SafetyGate(
        SafetyOptions(
            policy=settings.safety_policy,
            output_actions=settings.safety_output_actions,
            output_check_every=settings.safety_output_check_every,
            offender=OffenderPolicy(penalty_s=settings.safety_offender_penalty_s,
                                    tiers=parse_tiers(settings.safety_offender_tiers)),
        ),
        ledger,
        metrics,
        settings.default_system_prompt,
        normal_limit=lambda who: settings.limit_per_hour(who.tier),
    )
    profiles = build_profile_table(settings.table_profiles, region, host)
    screen = lambda who, text: safety.screen_user_text(who, text)[1]  # noqa: E731
    instructions = InstructionsService(profiles, screen, settings.instructions_token_budget, ledger.bump_profile)
    memories = MemoryService(profiles, screen, settings.memory_token_budget, ledger.bump_profile)
    personal = PersonalContext(profiles, instructions, memories)
    options = ChatOptions(
        default_system_prompt=settings.default_system_prompt,
        max_message_chars=settings.max_message_chars,
        checkpoint_interval_s=settings.checkpoint_interval_s,
        cache_enabled=settings.cache_enabled,
        summary_trigger_fraction=settings.summary_trigger_fraction,
        generate_titles=settings.generate_titles,
        attachment_share=settings.attachment_context_share,
        recall_tokens=settings.recall_token_budget,
        resume_poll_s=settings.resume_poll_s,
        ping_interval_s=settings.ping_interval_s,
    )
    models = ModelChooser(catalog)
    pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="turn")
    cache = ResponseCache(ops.cache, ttl_s=settings.cache_ttl_s, max_answer_bytes=settings.content_inline_max_bytes)
    cached = CachedAnswers(cache, pool, metrics)
    replays = Replays(repo, idempotency)
    turns = TurnService(
        repository=repo,
        planner=TurnPlanner(models=models, options=options, safety=safety, attachments=attachments,
                            personal=personal),
        models=models,
        ledger=ledger,
        cached=cached,
        idempotency=idempotency,
        replays=replays,
        options=options,
        pool=pool,
        followups=TurnFollowUps(workflows, pool, options),
        safety=safety,
        attachments=attachments,
        personal=personal,
    )
    runner = TurnRunner(repository=repo, backend_for=backends.backend_for, ledger=ledger, cached=cached,
                        idempotency=idempotency, metrics=metrics, options=options, run_blocking=run_blocking,
                        safety=safety)
    members = MemberService(tables, repo, on_removed=live.revoke, on_rekey=live.rekey)
    return Container(
        settings=settings,
        catalog=catalog,
        authenticator=build_authenticator(settings, api_keys),
        tables=tables,
        ops=ops,
        blobs=blobs,
        conversations_repo=repo,
        conversations=conversations,
        ledger=ledger,
        idempotency=idempotency,
        metrics=metrics,
        backends=backends,
        turns=turns,
        completions=CompletionService(models=models, ledger=ledger, cached=cached, options=options, safety=safety),
        runner=runner,
        streams=StreamService(repository=repo, active=runner.active, options=options, run_blocking=run_blocking),
        replays=replays,
        workflow_tasks=workflow_tasks,
        workflows=workflows,
        api_keys=api_keys,
        attachments=attachments,
        coldstore=coldstore,
        search=SearchService(search_index, repo.get_many,
                             catch_up=catch_up_search if search_catches_up(settings) else None,
                             shared=members.shared_conversations),
        instructions=instructions,
        memories=memories,
        shares=shares,
        members=members,
        live=live,
        channel=LiveChannel(live, repo, PresenceStore(tables, heartbeat_s=settings.presence_heartbeat_s),
                            ping_every=settings.ping_interval_s,
                            run_blocking=run_blocking),
        listing=MergedListing(tables, repo, members),
        copier=ShareCopier(shares, repo, default_model=settings.default_model),
    )


def search_catches_up(settings: Settings) -> bool:
    return settings.search_catch_up if settings.search_catch_up is not None else settings.mode == "aws"


def search_index_dir(settings: Settings) -> str:
    """The setting; else in local mode under the data directory (kept across restarts like the rest);
    else a fresh temporary directory (a Lambda's /tmp)."""
    if settings.search_index_dir:
        return settings.search_index_dir
    if settings.mode == "local":
        return str(Path(settings.data_dir) / "search")
    import tempfile

    return tempfile.mkdtemp(prefix="parley-search-")


def presign_endpoint(settings: Settings) -> str | None:
    """Where presigned uploads go: the setting; else in local mode the S3 server on loopback (which a
    browser on this machine reaches too); else None (AWS's regional endpoint)."""
    if settings.s3_presign_endpoint or settings.mode != "local":
        return settings.s3_presign_endpoint
    return settings.s3_endpoint


def build_workflow_starter(settings: Settings, tasks: WorkflowTasks, metrics: MetricsSink) -> WorkflowStarter:
    if settings.mode == "local":
        return InProcessStarter(tasks.table, metrics)
    return StepFunctionsStarter(
        lambda: aws_client(settings, "stepfunctions"),
        {"summarize": settings.summarize_state_machine_arn or "", "title": settings.title_state_machine_arn or ""},
        metrics,
    )


def build_backends(settings: Settings) -> Any:
    from parley.inference.registry import BackendRegistry

    return BackendRegistry.from_settings(settings)
