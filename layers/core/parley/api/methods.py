"""405 with the right `Allow` for any method a documented path does not declare.

Starlette answers a method mismatch from the first route whose path matches, so its `Allow` lists only
that route's methods (`POST` for `/conversations`, which also has `GET`); with the web client mounted
at `/`, the mount takes such a request instead (404). This route, placed after the API's routes and
before the mount, answers every request whose path the OpenAPI document has but whose method it does
not declare for that path: the published schema and the server agree on methods by construction.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import NoReturn

from fastapi import FastAPI
from starlette.requests import Request
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from parley.api.errors import error_response

_PARAM = re.compile(r"\{[^/{}]+\}")


class MethodNotAllowedRoute(BaseRoute):
    def __init__(self, app: FastAPI) -> None:
        self._app = app

    @cached_property
    def _paths(self) -> list[tuple[re.Pattern[str], frozenset[str]]]:
        paths = []
        for path, operations in self._app.openapi()["paths"].items():
            methods = {m.upper() for m in operations}
            if "GET" in methods:
                methods.add("HEAD")
            regex = "^" + "[^/]+".join(re.escape(part) for part in _PARAM.split(path)) + "$"
            paths.append((re.compile(regex), frozenset(methods)))
        return paths

    def allowed(self, path: str) -> set[str]:
        methods: set[str] = set()
        for regex, declared in self._paths:
            if regex.match(path):
                methods |= declared
        return methods

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        allowed = self.allowed(scope["path"])
        if allowed and scope["method"] not in allowed:
            return Match.FULL, {}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: object) -> NoReturn:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        allow = ", ".join(sorted(self.allowed(scope["path"])))
        response = error_response(405, "method_not_allowed", f"{scope['method']} is not allowed here; use {allow}",
                                  headers={"Allow": allow}, request=Request(scope, receive))
        await response(scope, receive, send)


def install_method_not_allowed(app: FastAPI) -> None:
    """Call after every API route is added and before the web client is mounted."""
    app.router.routes.append(MethodNotAllowedRoute(app))
