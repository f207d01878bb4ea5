"""Admission against the tier's limits, and the ledger of what was used.

``admit`` is one conditional UpdateItem: it counts the send and checks the hourly message limit,
the daily token limit, the monthly spending cap and any repeat-offender penalty together, so
concurrent sends can never overshoot (50 concurrent sends against a limit of 10 admit exactly 10).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action

from parley.auth import Identity
from parley.errors import Quota, RateLimited, ValidationFailed
from parley.limits.offenders import OffenderPolicy, offender_limit
from parley.limits.periods import Periods, periods_at, stale_attributes
from parley.storage.dynamo import ConditionFailed, get_raw, update_raw
from parley.storage.tables import from_nano, to_nano
from parley.storage.usage_table import LEDGER_SK, LedgerModel, UsageTable

#: Monthly spending cap and month costs are integer nanodollars (see storage.tables.to_nano).
CAP = "cap_nusd"
PENALTY_UNTIL = "pen_until"
PENALTY_LIMIT = "pen_limit"
#: Counts changes to the user's custom instructions and memories: the admission of each turn reads it
#: (no extra call), so a turn re-reads them only when they changed, and never for a user without any.
PROFILE_VERSION = "profile_v"


@dataclass(frozen=True, slots=True)
class Admission:
    limit: int
    used: int
    reset_at: int
    periods: Periods
    stale: tuple[str, ...] = ()
    #: The monthly cap and this month's recorded cost when admitted (nanodollars; None: no cap).
    cap_nusd: int | None = None
    cost_nusd: int = 0
    #: See PROFILE_VERSION; None when the user never set instructions or memories.
    profile_version: int | None = None

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    @property
    def quota(self) -> Quota:
        return Quota(limit=self.limit, remaining=self.remaining, reset_at=self.reset_at)


@dataclass(frozen=True, slots=True)
class UsageReport:
    tier: str
    periods: Periods
    messages_limit: int
    messages_used: int
    tokens_limit: int
    tokens_used: int
    input_tokens: int
    output_tokens: int
    day_messages: int
    cost_month: float
    cap_usd: float | None
    penalty_until: int | None


@dataclass(frozen=True)
class TierLimits:
    """Messages per hour and tokens per day, by tier (a tier not listed has the free tier's)."""

    messages_per_hour: Mapping[str, int]
    tokens_per_day: Mapping[str, int]

    def limit_per_hour(self, tier: str) -> int:
        return self.messages_per_hour.get(tier, self.messages_per_hour["free"])

    def tokens_per_day_of(self, tier: str) -> int:
        return self.tokens_per_day.get(tier, self.tokens_per_day["free"])


class UsageLedger:
    def __init__(self, table: UsageTable, limits: TierLimits) -> None:
        self._t = table
        self._limits = limits

    # -- admission -------------------------------------------------------------------------------

    def admit(self, who: Identity, now: float | None = None) -> Admission:
        now = time.time() if now is None else now
        p = periods_at(now)
        limit = self._limits.limit_per_hour(who.tier)
        token_limit = self._limits.tokens_per_day_of(who.tier)
        hour, tokens, cost = Path(p.hour_attr), Path(p.tokens_attr), Path(p.cost_attr)
        cap, pen_until, pen_limit = Path(CAP), Path(PENALTY_UNTIL), Path(PENALTY_LIMIT)
        condition = (
            (hour.does_not_exist() | (hour < limit))
            & (tokens.does_not_exist() | (tokens < token_limit))
            # A $0 cap refuses the first send too (no cost recorded yet is not under the cap).
            & (cap.does_not_exist() | (cost.does_not_exist() & (cap > 0)) | (cost < cap))
            & (
                pen_until.does_not_exist()
                | (pen_until < int(now))
                | (hour.does_not_exist() & (pen_limit > 0))
                | (hour < pen_limit)
            )
        )
        try:
            attrs = self._update_raw(who.user_id, [hour.add(1)], condition, "ALL_NEW")
        except ConditionFailed as exc:
            raise self._limited(who, p, exc.old, now) from exc
        used = int(attrs.get(p.hour_attr, 1))
        effective = limit
        if _num(attrs.get(PENALTY_UNTIL)) > now:
            effective = min(limit, int(_num(attrs.get(PENALTY_LIMIT))))
        stale = stale_attributes(set(attrs), p)
        cap_nusd = int(attrs[CAP]) if attrs.get(CAP) is not None else None
        version = int(_num(attrs[PROFILE_VERSION])) if PROFILE_VERSION in attrs else None
        return Admission(limit=effective, used=used, reset_at=p.hour_ends, periods=p, stale=tuple(stale),
                         cap_nusd=cap_nusd, cost_nusd=int(_num(attrs.get(p.cost_attr))), profile_version=version)

    def check_budget(self, admission: Admission, worst_case_usd: float, now: float | None = None) -> None:
        """Refuse a turn whose worst-case cost (its whole output budget, at the priciest model that
        may answer it) would take this month's spend past the cap: a cap is never overshot by a
        turn that admission could have foreseen. (Turns in flight at the same time are not
        reserved against each other: each is checked against what is recorded.)"""
        if admission.cap_nusd is None:
            return
        worst = to_nano(worst_case_usd)
        if admission.cost_nusd + worst <= admission.cap_nusd:
            return
        now = time.time() if now is None else now
        p = admission.periods
        retry_after = max(int(p.month_ends - now), 1)
        message = (f"this message could cost up to ${usd(from_nano(worst))}, which would pass the monthly spending "
                   f"cap of ${usd(from_nano(admission.cap_nusd))} (${usd(from_nano(admission.cost_nusd))} spent)")
        raise RateLimited(f"{message}; raise the cap or try again in {retry_after} s",
                          retry_after_s=retry_after, quota=admission.quota)

    def release(self, who: Identity, admission: Admission) -> None:
        """Give back a send that was admitted but stored nothing (it failed validation later)."""
        hour = Path(admission.periods.hour_attr)
        try:
            self._update_raw(who.user_id, [hour.add(-1)], hour > 0, "NONE")
        except ConditionFailed:
            pass

    def _limited(self, who: Identity, p: Periods, old: dict[str, Any], now: float) -> RateLimited:
        limit = self._limits.limit_per_hour(who.tier)
        token_limit = self._limits.tokens_per_day_of(who.tier)
        used = int(_num(old.get(p.hour_attr)))
        cap = old.get(CAP)
        pen_until = _num(old.get(PENALTY_UNTIL))
        if _num(old.get(p.tokens_attr)) >= token_limit:
            message, reset = f"daily token limit of {token_limit} reached", p.day_ends
        elif cap is not None and _num(old.get(p.cost_attr)) >= _num(cap):
            message, reset = f"monthly spending cap of ${usd(from_nano(cap))} reached", p.month_ends
        elif pen_until > now and used >= _num(old.get(PENALTY_LIMIT)) and used < limit:
            message, reset = "sending is slowed down after repeated blocked messages", int(pen_until)
            limit = int(_num(old.get(PENALTY_LIMIT)))
        else:
            message, reset = f"limit of {limit} messages per hour reached", p.hour_ends
        retry_after = max(int(reset - now), 1)
        return RateLimited(f"{message}; try again in {retry_after} s", retry_after_s=retry_after,
                           quota=Quota(limit=limit, remaining=0, reset_at=int(reset)))

    # -- ledger updates (folded into the turn's final transaction) --------------------------------

    def usage_update(
        self, who: Identity, *, input_tokens: int, output_tokens: int, cost: float, periods: Periods,
        stale: tuple[str, ...] = (),
    ) -> tuple[LedgerModel, list[Action]]:
        """The ledger item and actions that record a finished turn (for a transaction)."""
        item = self._t.ledger(who.user_id, LEDGER_SK)
        actions: list[Action] = [
            Path(periods.tokens_attr).add(input_tokens + output_tokens),
            Path(periods.input_attr).add(input_tokens),
            Path(periods.output_attr).add(output_tokens),
            Path(periods.day_messages_attr).add(1),
            Path(periods.cost_attr).add(to_nano(cost)),
        ]
        actions += [Path(name).remove() for name in stale]
        return item, actions

    def record(
        self, who: Identity, *, input_tokens: int, output_tokens: int, cost: float, periods: Periods,
        stale: tuple[str, ...] = (),
    ) -> None:
        """Record usage on its own (completions that store no conversation)."""
        _, actions = self.usage_update(who, input_tokens=input_tokens, output_tokens=output_tokens, cost=cost,
                                       periods=periods, stale=stale)
        self._update_raw(who.user_id, actions, None, "NONE")

    def record_block(self, who: Identity, policy: OffenderPolicy, *, normal_limit: int,
                     now: float | None = None) -> bool:
        """Count a blocked message; a user past the policy's tiers gets a stricter limit for a while
        (enforced by :meth:`admit`). Returns whether a penalty now applies."""
        now = time.time() if now is None else now
        p = periods_at(now)
        attrs = self._update_raw(who.user_id, [Path(p.blocks_attr).add(1)], None, "ALL_NEW")
        active = int(_num(attrs.get(PENALTY_LIMIT))) if _num(attrs.get(PENALTY_UNTIL)) > now else None
        limit = offender_limit(int(_num(attrs.get(p.blocks_attr))), normal_limit, policy, active_penalty_limit=active)
        if not limit.penalized or not limit.penalty_s:
            return limit.penalized
        actions = [Path(PENALTY_UNTIL).set(int(now) + limit.penalty_s), Path(PENALTY_LIMIT).set(limit.limit_per_hour)]
        self._update_raw(who.user_id, actions, None, "NONE")
        return True

    def bump_profile(self, user_id: str) -> None:
        """Record that the user's instructions or memories changed (after the change is written)."""
        self._update_raw(user_id, [Path(PROFILE_VERSION).add(1)], None, "NONE")

    # -- reading and settings ----------------------------------------------------------------------

    def report(self, who: Identity, now: float | None = None) -> UsageReport:
        now = time.time() if now is None else now
        p = periods_at(now)
        raw = get_raw(self._t.ledger, _key(who.user_id))
        limit = self._limits.limit_per_hour(who.tier)
        pen_until = _num(raw.get(PENALTY_UNTIL))
        if pen_until > now:
            limit = min(limit, int(_num(raw.get(PENALTY_LIMIT))))
        cap = raw.get(CAP)
        return UsageReport(
            tier=who.tier,
            periods=p,
            messages_limit=limit,
            messages_used=int(_num(raw.get(p.hour_attr))),
            tokens_limit=self._limits.tokens_per_day_of(who.tier),
            tokens_used=int(_num(raw.get(p.tokens_attr))),
            input_tokens=int(_num(raw.get(p.input_attr))),
            output_tokens=int(_num(raw.get(p.output_attr))),
            day_messages=int(_num(raw.get(p.day_messages_attr))),
            cost_month=from_nano(raw.get(p.cost_attr)),
            cap_usd=from_nano(cap) if cap is not None else None,
            penalty_until=int(pen_until) if pen_until > now else None,
        )

    def set_cap(self, who: Identity, cap_usd: float | None) -> None:
        if cap_usd is not None and (cap_usd < 0 or cap_usd > 1_000_000):
            raise ValidationFailed("monthlyCapUsd must be between 0 and 1000000, or null")
        action = Path(CAP).remove() if cap_usd is None else Path(CAP).set(to_nano(cap_usd))
        self._update_raw(who.user_id, [action], None, "NONE")

    # -- raw access (period attributes are not model fields) ---------------------------------------

    def _update_raw(self, user_id: str, actions: Sequence[Action], condition: Condition | None,
                    return_values: Literal["ALL_NEW", "NONE"]) -> dict[str, Any]:
        return update_raw(self._t.ledger, _key(user_id), actions, condition, return_values)


def _key(user_id: str) -> dict[str, str]:
    return {"pk": user_id, "sk": LEDGER_SK}


def usd(amount: float) -> str:
    """Dollars as people write them, without rounding a small amount away: 5.00, 0.0001, 0.00."""
    exact = f"{amount:.9f}".rstrip("0")
    return exact if len(exact.split(".")[1]) > 2 else f"{amount:.2f}"


def _num(value: Any) -> float:
    if value is None:
        return 0.0
    return float(value)
