"""The core's import graph: no cycles, and imports only in the allowed directions.

Read from the source (every import statement, lazy ones inside functions too: a lazy import that
closes a cycle is still a cycle), so it needs nothing to be importable.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "layers" / "core"
PACKAGE = "parley"

#: Packages of the core that hold a domain: the storage layer below them must not know any.
DOMAINS = ("attachments", "auth", "cache", "chat", "coldstore", "context", "conversations", "idempotency",
           "inference", "limits", "personal", "routing", "safety", "search", "sharing", "workflows")
#: Who may import the HTTP layer (parley.api): the app that mounts it, and the API itself.
API_USERS = ("parley.api", "parley.app")
#: Directions named as wrong, each (importer prefix, imported prefix): a lower layer reaching up.
FORBIDDEN = (
    ("parley.conversations", "parley.context"),
    ("parley.limits", "parley.safety"),
    ("parley.limits", "parley.settings"),
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(CORE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules (of any package) it imports, as written."""
    graph: dict[str, set[str]] = {}
    paths = sorted((CORE / PACKAGE).rglob("*.py"))
    modules = {_module_name(p) for p in paths}
    for path in paths:
        module = _module_name(path)
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(module, path.name == "__init__.py", node)
                # `from parley.x import y` names the submodule parley.x.y where there is one
                # (then the package's __init__ is not what the module depends on).
                names = [f"{target}.{alias.name}" for alias in node.names]
                submodules = [n for n in names if n in modules]
                edges.update(submodules)
                if len(submodules) < len(names):
                    edges.add(target)
        graph[module] = edges
    known = set(graph)
    return {m: {e for e in edges if e in known or not e.startswith(PACKAGE)} - {m} for m, edges in graph.items()}


def _internal(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {m: {e for e in edges if e in graph} for m, edges in graph.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_graph_is_read(graph):
    assert len(graph) > 100
    assert "parley.chat.turns" in graph["parley.container"]


def test_no_import_cycles(graph):
    assert cycles(_internal(graph)) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_core_never_imports_the_lambda_functions_or_the_cdk_app(graph):
    wrong = sorted((m, e) for m, edges in graph.items() for e in edges
                   if e.split(".")[0] in ("functions", "infra_cdk", "aws_cdk"))
    assert wrong == []


def test_only_the_app_imports_the_http_layer(graph):
    wrong = sorted((m, e) for m, edges in graph.items() for e in edges
                   if _within(e, "parley.api") and not any(_within(m, user) for user in API_USERS))
    assert wrong == []


def test_storage_knows_no_domain(graph):
    wrong = sorted((m, e) for m, edges in graph.items() if _within(m, "parley.storage")
                   for e in edges if any(_within(e, f"parley.{d}") for d in DOMAINS))
    assert wrong == []


@pytest.mark.parametrize(("importer", "imported"), FORBIDDEN)
def test_no_import_against_the_layering(graph, importer, imported):
    wrong = sorted((m, e) for m, edges in graph.items() if _within(m, importer)
                   for e in edges if _within(e, imported))
    assert wrong == []


def test_the_core_takes_only_the_simulator_and_the_cli_verbs_from_the_deploy_package(graph):
    """``model_endpoints`` holds serving configs, the simulator and deploy tooling; the catalog's
    types are the core's own (``parley.catalog``)."""
    users = sorted((m, e) for m, edges in graph.items() for e in edges if e.split(".")[0] == "model_endpoints")
    assert users == [("parley.cli", "model_endpoints.stage"),
                     ("parley.inference.simulator", "model_endpoints.simulator")]
