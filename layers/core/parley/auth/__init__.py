"""Who is calling: local HS256 tokens, or API Gateway's authorizer claims in aws mode."""

from parley.auth.identity import Identity, Tier
from parley.auth.authenticators import Authenticator, build_authenticator

__all__ = ["Authenticator", "Identity", "Tier", "build_authenticator"]
