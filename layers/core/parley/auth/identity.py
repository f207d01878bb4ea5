"""The caller's identity."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Tier = Literal["free", "plus"]
TIERS: tuple[Tier, ...] = ("free", "plus")


@dataclass(frozen=True, slots=True)
class Identity:
    user_id: str
    tier: Tier = "free"


def tier_from_claims(claims: Mapping[str, object]) -> Tier:
    """``custom:tier`` wins; else the Cognito groups; else ``free``."""
    tier = claims.get("custom:tier")
    if tier in TIERS:
        return tier
    groups = claims.get("cognito:groups") or ()
    if isinstance(groups, str):
        # API Gateway flattens the groups list into a string such as "[plus free]" or "plus,free".
        groups = groups.strip("[]").replace(",", " ").split()
    return "plus" if "plus" in _as_strings(groups) else "free"


def _as_strings(values: object) -> Iterable[str]:
    return [str(v) for v in values] if isinstance(values, list | tuple | set) else []
