"""EmfMetrics: one EphemeralMetrics for the process, one EMF document per event, nothing of one event
(dimensions, metrics) carried into the next."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from typing import Any

import pytest

from parley.observability import NAMESPACE, EmfMetrics


def _documents(emit) -> list[dict[str, Any]]:
    out = io.StringIO()
    with redirect_stdout(out):
        emit()
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def _dimensions(doc: dict[str, Any]) -> list[list[str]]:
    return doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"]


def test_each_event_is_one_document_with_only_its_own_dimensions() -> None:
    emf = EmfMetrics()

    def two_events() -> None:
        emf.emit({"TimeToFirstTokenMs": 120.0, "Errors": 1}, {"model": "parley-fast"})
        emf.emit({"CacheHits": 1})

    turn, cache = _documents(two_events)
    assert turn["_aws"]["CloudWatchMetrics"][0]["Namespace"] == NAMESPACE
    assert (turn["model"], turn["service"]) == ("parley-fast", "parley")
    assert (turn["TimeToFirstTokenMs"], turn["Errors"]) == ([120.0], [1.0])  # Powertools writes value lists
    assert sorted(_dimensions(turn)[0]) == ["model", "service"]
    assert _dimensions(cache) == [["service"]] and "model" not in cache and "TimeToFirstTokenMs" not in cache
    units = {m["Name"]: m["Unit"] for m in turn["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert units == {"TimeToFirstTokenMs": "Milliseconds", "Errors": "Count"}


def test_a_refused_event_leaves_nothing_behind() -> None:
    emf = EmfMetrics()
    with pytest.raises(Exception):  # noqa: B017 - Powertools' own error type for a non-numeric value
        emf.emit({"Errors": "many"}, {"model": "parley-smart"})  # type: ignore[dict-item]
    (doc,) = _documents(lambda: emf.emit({"CacheMisses": 1}))
    assert _dimensions(doc) == [["service"]] and "model" not in doc and "Errors" not in doc


def test_an_empty_event_emits_nothing() -> None:
    emf = EmfMetrics()
    assert _documents(lambda: emf.emit({}, {"model": "x"})) == []
    (doc,) = _documents(lambda: emf.emit({"CacheHits": 1}))
    assert "model" not in doc
