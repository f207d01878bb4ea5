"""Fixed UTC periods (hour, day, month): their keys and when they end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class Periods:
    hour: str
    day: str
    month: str
    hour_ends: int  # epoch seconds
    day_ends: int
    month_ends: int

    @property
    def hour_attr(self) -> str:
        return f"h_{self.hour}"

    @property
    def tokens_attr(self) -> str:
        return f"dt_{self.day}"

    @property
    def input_attr(self) -> str:
        return f"di_{self.day}"

    @property
    def output_attr(self) -> str:
        return f"do_{self.day}"

    @property
    def day_messages_attr(self) -> str:
        return f"dm_{self.day}"

    @property
    def cost_attr(self) -> str:
        return f"mc_{self.month}"

    @property
    def blocks_attr(self) -> str:
        return f"b_{self.hour}"

    def current(self) -> set[str]:
        return {self.hour_attr, self.tokens_attr, self.input_attr, self.output_attr, self.day_messages_attr,
                self.cost_attr, self.blocks_attr}


#: Prefixes of period attributes; anything with one of these and another period is stale.
PERIOD_PREFIXES = ("h_", "dt_", "di_", "do_", "dm_", "mc_", "b_")


def periods_at(epoch_s: float) -> Periods:
    now = datetime.fromtimestamp(epoch_s, tz=UTC)
    hour_start = now.replace(minute=0, second=0, microsecond=0)
    day_start = hour_start.replace(hour=0)
    month_start = day_start.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    return Periods(
        hour=hour_start.strftime("%Y%m%d%H"),
        day=day_start.strftime("%Y%m%d"),
        month=month_start.strftime("%Y%m"),
        hour_ends=int((hour_start + timedelta(hours=1)).timestamp()),
        day_ends=int((day_start + timedelta(days=1)).timestamp()),
        month_ends=int(next_month.timestamp()),
    )


def stale_attributes(names: set[str], periods: Periods) -> list[str]:
    current = periods.current()
    return sorted(n for n in names if n.startswith(PERIOD_PREFIXES) and n not in current)
