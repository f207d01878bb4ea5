"""What every pynamodb model of Parley shares: its Meta, built from settings at start-up, and how
a failed condition is recognised."""

from __future__ import annotations

from typing import Any


def model_meta(table_name: str, region: str, host: str | None) -> type:
    """A pynamodb ``Meta`` class for one table (names and endpoints are never fixed at import time)."""
    attrs: dict[str, Any] = {
        "table_name": table_name,
        "region": region,
        "billing_mode": "PAY_PER_REQUEST",
        "max_retry_attempts": 5,
    }
    if host:
        attrs["host"] = host
    return type("Meta", (), attrs)


def is_condition_failure(exc: Exception) -> bool:
    """Whether a pynamodb write failed on its condition (as opposed to any other error)."""
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"
