"""Automatic model routing (model id `auto`) and the fallback chain of a turn."""

from .fallbacks import fallback_chain, required_capabilities
from .router import DEFAULT_CONFIG, NoCapableModel, RouteDecision, RouterConfig, route

__all__ = [
    "DEFAULT_CONFIG",
    "NoCapableModel",
    "RouteDecision",
    "RouterConfig",
    "fallback_chain",
    "required_capabilities",
    "route",
]
