"""Routes whose FastAPI machinery is built when first needed, not while a Lambda function starts.

FastAPI builds a route's dependency graph and a pydantic validator for every parameter, body and
response model when the route is declared (``@router.get``): 1-2 ms a route, 60-80 ms for the API's
45 at import (issue 21). And a router given to ``include_router`` is built a second time, every route
of it, on the first request that reaches it (FastAPI 0.16x's ``_IncludedRouter``), so the first
request paid for every router before the one it matched.

Here a declared route (``DeferredRoute``) keeps only what matching a request reads (path pattern,
methods, name) and runs the whole ``APIRoute`` construction, unchanged, the first time anything else
is read from it: when it serves its first request, or the OpenAPI document is built. ``include``
adds a router's routes to the app's own router, as ``include_router`` would with no prefix of its
own (the app's responses, tags and dependencies merged in by ``add_api_route``), so each route is
built once and a first request builds only the route it matched. Same routes, same order, same
OpenAPI document.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from starlette.routing import compile_path, get_name

_BUILD = threading.RLock()


class DeferredRoute(APIRoute):
    """An ``APIRoute`` constructed on first use of anything beyond its path, methods and name."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        # What a router reads to match a request (and the OpenAPI document to skip a hidden route),
        # set as APIRoute sets it; the rest waits in _pending.
        self.declared = options  # as the router's add_api_route gave them, for include()
        self._pending: tuple[str, Callable[..., Any], dict[str, Any]] | None = (path, endpoint, options)
        self.path, self.endpoint = path, endpoint
        self.name = get_name(endpoint) if options.get("name") is None else options["name"]
        self.path_regex, self.path_format, self.param_convertors = compile_path(path)
        methods = options.get("methods")
        self.methods = {method.upper() for method in (["GET"] if methods is None else methods)}
        self.include_in_schema = options.get("include_in_schema", True)

    def __getattr__(self, attribute: str) -> Any:
        # Only reached for an attribute not set (yet): build the route once, then read it normally.
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        with _BUILD:  # another thread reading meanwhile waits here, then finds the route built
            pending = self.__dict__.get("_pending")
            if pending is not None and not self.__dict__.get("_building"):  # a read during the build fails as usual
                self._building = True
                try:
                    APIRoute.__init__(self, pending[0], pending[1], **pending[2])
                finally:
                    self._building = False
                self._pending = None
        return object.__getattribute__(self, attribute)

    def build(self) -> None:
        """Construct now, if not done yet."""
        self.__getattr__("dependant")


def build_routes(app: FastAPI) -> None:
    """Construct every deferred route of ``app`` now (before a SnapStart snapshot: see parley.snapstart)."""
    for route in app.router.routes:
        if isinstance(route, DeferredRoute):
            route.build()


def api_router(**options: Any) -> APIRouter:
    """An ``APIRouter`` whose routes are ``DeferredRoute``s (every router of the API is one)."""
    return APIRouter(route_class=DeferredRoute, **options)


def include(app: FastAPI, router: APIRouter) -> None:
    """``app.include_router(router)`` for a router of ``DeferredRoute``s, without the second build."""
    for route in router.routes:
        if not isinstance(route, DeferredRoute):
            raise TypeError(f"{route!r} is not a DeferredRoute: declare its router with api_router()")
        options = {k: v for k, v in route.declared.items() if k != "dependency_overrides_provider"}
        app.router.add_api_route(route.path, route.endpoint, route_class_override=DeferredRoute, **options)
