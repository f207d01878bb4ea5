"""Who is calling: local HS256 tokens, or API Gateway's authorizer claims in aws mode."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parley.auth.identity import Identity, Tier

if TYPE_CHECKING:
    from parley.auth.authenticators import Authenticator, build_authenticator

__all__ = ["Authenticator", "Identity", "Tier", "build_authenticator"]


def __getattr__(name: str) -> Any:
    # The authenticators need Starlette; the authorizer function imports parley.auth.* without them
    # (its cold start pays only for what it uses).
    if name in ("Authenticator", "build_authenticator"):
        from parley.auth import authenticators

        return getattr(authenticators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
