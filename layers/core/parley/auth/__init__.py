"""Who is calling: local HS256 tokens, or API Gateway's authorizer claims in aws mode."""

from parley.auth.authenticators import Authenticator, build_authenticator
from parley.auth.identity import Identity, Tier

__all__ = ["Authenticator", "Identity", "Tier", "build_authenticator"]
