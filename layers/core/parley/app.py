"""The one FastAPI application. Uvicorn (local, and under the Lambda Web Adapter) and Mangum host it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.middleware.cors import CORSMiddleware

from parley import __version__
from parley.api.docs import install_docs
from parley.api.errors import install_error_handlers
from parley.api.lazy_routes import DeferredRoute, include
from parley.api.methods import install_method_not_allowed
from parley.api.openapi import install_openapi
from parley.api.request_context import RequestContext
from parley.api.routes import (
    api_keys,
    attachments,
    chat,
    conversations,
    export,
    me,
    memories,
    openai,
    search,
    sharing,
    system,
    usage,
)
from parley.api.schemas import ErrorBody
from parley.catalog import AUTO
from parley.container import Container, build_container
from parley.settings import Settings

DESCRIPTION = """\
Parley: a self-hostable, ChatGPT-style conversational AI platform.

Every route needs `Authorization: Bearer <token>` except `/health`, `/openapi.json`, `/docs`, `/redoc` and,
in local mode only, `POST /dev/token`. Errors are `{code, message, retryable}`; another user's
resources answer 404 exactly like missing ones.
"""


#: Error statuses any route may answer, all as ``{code, message, retryable}``.
COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        400: "Bad request", 401: "Missing or invalid token",
        403: "A member's role does not allow it (`forbidden_role`)", 404: "Not found (or another user's)",
        409: "Conflict", 413: "Too large", 415: "Unsupported media type", 422: "Invalid input",
        429: "Rate limited (see Retry-After)", 503: "Temporarily unavailable, retry",
    }.items()
}


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    """Build the app. Settings come from the environment when not given (read here, once)."""
    container = container or build_container(settings or Settings.from_env())
    settings = container.settings  # in local mode, with the endpoints of the local servers
    if settings.mode == "local":
        from parley.local.provision import provision

        provision(settings, container.s3)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        # After the server stopped taking requests: answers still being written are saved first.
        await container.runner.shutdown(grace_s=settings.shutdown_grace_s)

    app = FastAPI(title="Parley API", version=__version__, description=DESCRIPTION, responses=COMMON_ERRORS,
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    app.router.route_class = DeferredRoute  # the app's own routes too (docs): built on first use
    app.state.container = container
    install_error_handlers(app)
    install_docs(app)
    for routes in (system, conversations, chat, usage, api_keys, attachments, export, openai, search, me, memories,
                   sharing):
        include(app, routes.router)
    if settings.mode == "local":
        include(app, system.dev_router)
        include(app, export.dev_router)
        _serve_realtime(app, container)
    install_openapi(app, [AUTO, *(m.id for m in container.catalog.models)],
                    container.attachments.declared.json_schema())
    install_method_not_allowed(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["Retry-After", "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
                            "x-ratelimit-reset-requests"],
        )
    app.add_middleware(RequestContext, trust_lwa_header=settings.trust_lwa_context_header)  # log keys
    _mount_web(app, settings)
    return app


def _serve_realtime(app: FastAPI, container: Container) -> None:
    """Local mode's live channel endpoint: the AppSync Events WebSocket protocol (sharing/realtime.py),
    which the web client speaks in both modes (on AWS, AppSync Events itself answers)."""
    from parley.chat.runner import run_blocking
    from parley.sharing.realtime import build_local_realtime

    server = build_local_realtime(container.settings, container.api_keys, container.conversations_repo,
                                  container.channel, run_blocking)

    @app.websocket("/event/realtime")
    async def realtime(websocket: WebSocket) -> None:
        await server.serve(websocket)


def _mount_web(app: FastAPI, settings: Settings) -> None:
    """Serve the built web client at `/` when there is one (same origin as the API)."""
    dist = Path(settings.web_dist) if settings.web_dist else None
    if dist is None or not (dist / "index.html").is_file():
        return
    from fastapi.staticfiles import StaticFiles

    if settings.mode == "local" and not (dist / "config.json").is_file():
        # The client reads /config.json on every load; in AWS mode the CDK app writes it. Answering
        # here keeps local page loads free of a 404 (a console error in every browser).
        @app.get("/config.json", include_in_schema=False)
        def web_config(request: Request) -> dict[str, Any]:
            scheme = "wss" if request.url.scheme == "https" else "ws"
            return {"mode": "local", "apiBaseUrl": "",
                    "live": {"realtimeUrl": f"{scheme}://{request.url.netloc}/event/realtime",
                             "host": request.url.netloc}}

    app.mount("/", StaticFiles(directory=dist, html=True), name="web")
