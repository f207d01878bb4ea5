"""The usage ledger: limits, what was used in the current periods, cost, and the spending cap."""

from __future__ import annotations

from pydantic import Field
from starlette.concurrency import run_in_threadpool

from parley.api.deps import IdentityDep, LedgerDep
from parley.api.lazy_routes import api_router
from parley.api.schemas import CamelModel, ErrorBody, RequestModel, SuccessBody
from parley.limits.ledger import UsageReport

router = api_router(prefix="/usage", tags=["usage"], responses={401: {"model": ErrorBody}})


class RequestUsage(CamelModel):
    limit: int
    used: int
    remaining: int
    reset_at: int
    period: str = "hour"


class TokenUsage(CamelModel):
    limit: int
    used: int
    remaining: int
    input: int
    output: int
    reset_at: int
    period: str = "day"


class CostUsage(CamelModel):
    month_to_date: float
    cap: float | None
    remaining: float | None
    currency: str = "USD"
    reset_at: int


class UsageBody(CamelModel):
    tier: str
    requests: RequestUsage
    tokens: TokenUsage
    cost: CostUsage
    messages_today: int
    slowed_until: int | None = None


class CapRequest(RequestModel):
    monthly_cap_usd: float | None = Field(ge=0, le=1_000_000, description="US dollars; `null` clears the cap")


def _iso(epoch_s: int) -> int:
    return epoch_s * 1000


def usage_body(r: UsageReport) -> UsageBody:
    p = r.periods
    return UsageBody(
        tier=r.tier,
        requests=RequestUsage(limit=r.messages_limit, used=r.messages_used,
                              remaining=max(r.messages_limit - r.messages_used, 0), reset_at=_iso(p.hour_ends)),
        tokens=TokenUsage(limit=r.tokens_limit, used=r.tokens_used, remaining=max(r.tokens_limit - r.tokens_used, 0),
                          input=r.input_tokens, output=r.output_tokens, reset_at=_iso(p.day_ends)),
        cost=CostUsage(month_to_date=r.cost_month, cap=r.cap_usd,
                       remaining=None if r.cap_usd is None else round(max(r.cap_usd - r.cost_month, 0.0), 8),
                       reset_at=_iso(p.month_ends)),
        messages_today=r.day_messages,
        slowed_until=_iso(r.penalty_until) if r.penalty_until else None,
    )


@router.get("", response_model=UsageBody)
async def get_usage(who: IdentityDep, ledger: LedgerDep) -> UsageBody:
    """Messages this hour, tokens today and dollars this month, with limits and reset times (ms)."""
    return usage_body(await run_in_threadpool(ledger.report, who))


@router.put("/cap", response_model=SuccessBody, responses={422: {"model": ErrorBody}})
async def set_cap(body: CapRequest, who: IdentityDep, ledger: LedgerDep) -> SuccessBody:
    """Set (or clear with `null`) a monthly spending cap in US dollars, enforced like a limit."""
    await run_in_threadpool(ledger.set_cap, who, body.monthly_cap_usd)
    return SuccessBody()

