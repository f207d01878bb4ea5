"""Routes built on first use (parley.api.lazy_routes): none at init, one per first request, same document."""

from __future__ import annotations

import threading

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.testclient import TestClient

from parley.api.lazy_routes import DeferredRoute, api_router, include
from parley.app import create_app
from parley.settings import Settings


class Item(BaseModel):
    name: str


class Problem(BaseModel):
    code: str


def _declare(router: APIRouter) -> None:
    @router.get("/items/{item_id}", responses={404: {"model": Problem, "description": "No such item"}})
    def get_item(item_id: int) -> Item:
        return Item(name=f"item {item_id}")

    @router.post("/items", status_code=201)
    def add_item(item: Item) -> Item:
        return item


def _app(router: APIRouter, *, deferred: bool) -> FastAPI:
    app = FastAPI(responses={401: {"model": Problem, "description": "Who are you"}})
    if deferred:
        include(app, router)
    else:
        app.include_router(router)
    return app


def _built(app: FastAPI) -> set[str]:
    return {f"{sorted(r.methods)[0]} {r.path}" for r in app.router.routes
            if isinstance(r, DeferredRoute) and "dependant" in r.__dict__}


def test_a_deferred_app_publishes_the_document_include_router_does() -> None:
    plain, deferred = APIRouter(prefix="/v", tags=["items"]), api_router(prefix="/v", tags=["items"])
    _declare(plain)
    _declare(deferred)
    assert _app(deferred, deferred=True).openapi() == _app(plain, deferred=False).openapi()


def test_nothing_is_built_until_a_request_and_then_only_the_route_it_matched() -> None:
    router = api_router()
    _declare(router)
    app = _app(router, deferred=True)
    assert _built(app) == set()
    client = TestClient(app)
    assert client.get("/items/7").json() == {"name": "item 7"}
    assert _built(app) == {"GET /items/{item_id}"}
    assert client.get("/items/x").status_code == 422  # validation as an ordinary route's
    assert client.post("/items", json={"name": "a"}).status_code == 201
    assert _built(app) == {"GET /items/{item_id}", "POST /items"}


def test_a_router_of_ordinary_routes_is_refused() -> None:
    router = APIRouter()
    _declare(router)
    with pytest.raises(TypeError, match="api_router"):
        include(FastAPI(), router)


def test_threads_reaching_a_route_first_together_build_it_once(monkeypatch) -> None:
    router = api_router()
    _declare(router)
    route = next(r for r in _app(router, deferred=True).router.routes if isinstance(r, DeferredRoute))
    builds, start = [], threading.Barrier(8)
    real_init = APIRoute.__init__

    def counting_init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        builds.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(APIRoute, "__init__", counting_init)
    seen = []

    def first_use() -> None:
        start.wait()
        seen.append(route.dependant)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1 and len(seen) == 8 and all(d is seen[0] for d in seen)


def test_the_api_app_builds_no_route_at_init() -> None:
    app = create_app(Settings(mode="aws"))
    deferred = [r for r in app.router.routes if isinstance(r, DeferredRoute)]
    assert len(deferred) > 40 and all(isinstance(r, DeferredRoute) for r in app.router.routes
                                      if isinstance(r, APIRoute))
    assert _built(app) == set()
    assert TestClient(app).get("/health").status_code == 200
    assert _built(app) == {"GET /health"}
