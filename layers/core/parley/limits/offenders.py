"""Repeat offenders: the stricter message limit for a user whose messages keep being blocked.

Pure policy. The rate limiter stores the count of blocked messages per user in a recent window
(a DynamoDB counter with a TTL, next to the message counters) and the time a penalty ends; this
module only says what limit applies.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OffenderTier:
    #: Blocked messages in the window that put a user in this tier.
    min_blocks: int
    #: Messages per hour allowed while the penalty lasts (0: none at all).
    limit_per_hour: int


@dataclass(frozen=True, slots=True)
class OffenderPolicy:
    #: How far back blocked messages count.
    window_s: int = 3600
    #: How long a penalty lasts after the block that triggered it.
    penalty_s: int = 3600
    #: Tiers by ascending ``min_blocks``; the highest tier reached applies.
    tiers: tuple[OffenderTier, ...] = (OffenderTier(3, 2), OffenderTier(10, 0))


@dataclass(frozen=True, slots=True)
class OffenderLimit:
    limit_per_hour: int
    penalized: bool
    #: Seconds the penalty should last from now (0 when not penalized): store ``now + penalty_s``.
    penalty_s: int
    #: A short code for logs, such as ``"repeat_offender:3"`` (the tier's threshold).
    reason: str | None = None


def parse_tiers(spec: str) -> tuple[OffenderTier, ...]:
    """Parse ``"3:2,10:0"`` (blocks:limit pairs, as a setting would hold them)."""
    tiers = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        blocks, _, limit = item.partition(":")
        tier = OffenderTier(int(blocks), int(limit))
        if tier.min_blocks < 1 or tier.limit_per_hour < 0:
            raise ValueError(f"invalid offender tier {item!r}")
        tiers.append(tier)
    return tuple(sorted(tiers, key=lambda t: t.min_blocks))


def offender_limit(recent_blocks: int, normal_limit_per_hour: int, policy: OffenderPolicy | None = None, *,
                   active_penalty_limit: int | None = None) -> OffenderLimit:
    """The limit to apply given ``recent_blocks`` in ``policy.window_s``; never looser than normal.

    ``active_penalty_limit`` is the limit of a penalty stored earlier and not yet expired (the
    blocks that caused it may have left the window while the penalty still runs).
    """
    policy = policy or OffenderPolicy()
    reached = [t for t in policy.tiers if recent_blocks >= t.min_blocks]
    if not reached:
        if active_penalty_limit is not None and active_penalty_limit < normal_limit_per_hour:
            return OffenderLimit(active_penalty_limit, True, 0, "repeat_offender:active")
        return OffenderLimit(normal_limit_per_hour, False, 0)
    tier = max(reached, key=lambda t: t.min_blocks)
    limit = min(normal_limit_per_hour, tier.limit_per_hour)
    if active_penalty_limit is not None:
        limit = min(limit, active_penalty_limit)
    return OffenderLimit(limit, True, policy.penalty_s, f"repeat_offender:{tier.min_blocks}")
