"""Logger and metrics shared by the core (Powertools: JSON logs, EMF metrics).

Never log tokens, secrets or message contents: ids, sizes, counts and codes only.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Protocol

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

SERVICE = "parley"
NAMESPACE = "Parley"

logger = Logger(service=SERVICE)

_UNITS = {
    "Ms": MetricUnit.Milliseconds,
    "USD": MetricUnit.NoUnit,
    "Count": MetricUnit.Count,
}


class MetricsSink(Protocol):
    def emit(self, values: dict[str, float], dimensions: dict[str, str] | None = None) -> None:
        """Record a group of metric values that belong to one event (one chat turn, say)."""
        ...


class EmfMetrics:
    """CloudWatch Embedded Metric Format through Powertools: one EMF document per event."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def emit(self, values: dict[str, float], dimensions: dict[str, str] | None = None) -> None:
        with self._lock:
            metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
            for key, value in (dimensions or {}).items():
                metrics.add_dimension(name=key, value=value)
            for name, value in values.items():
                metrics.add_metric(name=name, unit=_unit_of(name), value=value)
            metrics.flush_metrics()


class MemoryMetrics:
    """Local mode and tests: values kept in memory (readable by tests and the benchmark)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.values: dict[str, list[float]] = defaultdict(list)

    def emit(self, values: dict[str, float], dimensions: dict[str, str] | None = None) -> None:
        with self._lock:
            for name, value in values.items():
                self.values[name].append(value)


def _unit_of(name: str) -> MetricUnit:
    for suffix, unit in _UNITS.items():
        if name.endswith(suffix):
            return unit
    return MetricUnit.Count
