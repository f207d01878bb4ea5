"""Alarms and dashboard read the metrics the app really emits, and cover every failure path.

One test drives turns through the app (every catalog model, a failed generation, cache misses and
hits), captures the EMF documents ``parley.observability.EmfMetrics`` prints for them, and checks
that every metric of the ``Parley`` namespace that an alarm or the dashboard reads exists in that
EMF with exactly the same dimensions.
"""

from __future__ import annotations

import io
import json
import uuid
from contextlib import redirect_stdout
from dataclasses import replace
from typing import Any

import pytest

from parley.auth.local_jwt import issue_token
from parley.catalog import load_catalog
from parley.observability import EmfMetrics
from parley.settings import DEV_JWT_SECRET
from tests.support import ScriptedBackend, backend, parse_sse


def _emitted_emf(app, client, make_user) -> list[dict[str, Any]]:
    container = app.state.container
    emf, out = EmfMetrics(), io.StringIO()

    def tee(values, dimensions=None):
        with redirect_stdout(out):
            emf.emit(values, dimensions)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(container.metrics, "emit", tee)
        # The shared test app runs without the response cache; the cache metrics need it on.
        planner = container.turns._planner
        patch.setattr(planner, "_opts", replace(planner._opts, cache_enabled=True))
        auth = make_user("plus")
        models = [m.id for m in container.catalog.models]

        def turn(model: str, content: str) -> list:
            cid = client.post("/conversations", json={"model": model}, headers=auth).json()["conversationId"]
            r = client.post(f"/conversations/{cid}/messages", json={"content": content, "model": model},
                            headers=auth)
            assert r.status_code == 200
            return parse_sse(r.text)[0]

        same = f"the same question {uuid.uuid4().hex}"
        for model in models:
            assert turn(model, f"{same} for {model}")[-1].name == "message_end"
        assert turn(models[0], f"{same} for {models[0]}")[-1].name == "message_end"  # a cache hit
        with backend(app, ScriptedBackend(["partial", " more"], fail_after=1)):
            for model in models:
                assert turn(model, f"this one breaks {uuid.uuid4().hex}")[-1].name == "error"
    docs = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    return [d for d in docs if "_aws" in d]


@pytest.fixture(scope="module")
def emitted(app, client) -> set[tuple[str, str, frozenset]]:
    """(namespace, metric, {dimension: value}) for every metric the turns emitted."""
    # (make_user is per test; this fixture is per module, so it signs its one user itself.)
    def make_user(tier: str = "free") -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(DEV_JWT_SECRET, f'emf-{uuid.uuid4().hex[:8]}', tier)}"}

    found = set()
    for doc in _emitted_emf(app, client, make_user):
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            for dims in directive["Dimensions"]:
                for metric in directive["Metrics"]:
                    found.add((directive["Namespace"], metric["Name"], frozenset((d, doc[d]) for d in dims)))
    return found


def _parley_metrics(template: dict[str, Any]) -> list[tuple[str, str, frozenset]]:
    """Every Parley-namespace metric read by an alarm or a dashboard widget."""
    read = []
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            props = resource["Properties"]
            stats = [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m]
            if "MetricName" in props:
                stats.append(props)
            for metric in (m for m in stats if m["Namespace"] == "Parley"):
                dims = frozenset((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
                read.append((metric["Namespace"], metric["MetricName"], dims))
        if resource["Type"] == "AWS::CloudWatch::Dashboard":
            body = resource["Properties"]["DashboardBody"]
            text = body if isinstance(body, str) else "".join(p if isinstance(p, str) else "x" for p in
                                                               body["Fn::Join"][1])
            for widget in json.loads(text)["widgets"]:
                for row in widget.get("properties", {}).get("metrics", []):
                    if row and row[0] == "Parley":
                        names = [x for x in row[1:] if isinstance(x, str)]
                        dims = frozenset(zip(names[1::2], names[2::2], strict=False))
                        read.append(("Parley", names[0], dims))
    return read


def test_every_alarm_and_graph_reads_a_metric_the_app_emits(synth, emitted) -> None:
    read = _parley_metrics(synth.template)
    assert len(read) > 20
    missing = sorted({r for r in read if r not in emitted}, key=str)
    assert missing == [], f"alarms/graphs on metrics nobody emits: {missing}"


def test_the_turns_emitted_what_the_alarms_need(emitted) -> None:
    names = {name for _, name, _ in emitted}
    assert {"TimeToFirstTokenMs", "TotalTimeMs", "Errors", "CacheHits", "CacheMisses"} <= names


def _alarms(synth) -> list[dict[str, Any]]:
    return [a["Properties"] for a in synth.of_type("AWS::CloudWatch::Alarm").values()]


def _metric_names(alarm: dict[str, Any]) -> set[str]:
    names = {m["MetricStat"]["Metric"]["MetricName"] for m in alarm.get("Metrics", []) if "MetricStat" in m}
    return names | ({alarm["MetricName"]} if "MetricName" in alarm else set())


def test_the_seed_alarms_and_their_thresholds(synth) -> None:
    alarms, obs = _alarms(synth), synth.params.observability
    models = [m.id for m in load_catalog().models]
    ttft = [a for a in alarms if "TimeToFirstTokenMs" in _metric_names(a)]
    assert len(ttft) == len(models) and all(a["Threshold"] == obs.ttft_p95_ms for a in ttft)
    assert all(a["Metrics"][0]["MetricStat"]["Stat"] == "p95" for a in ttft)
    errors = [a for a in alarms if "Errors" in _metric_names(a)]
    assert len(errors) == len(models) and all(a["Threshold"] == obs.error_rate_percent for a in errors)
    cache = [a for a in alarms if "CacheHits" in _metric_names(a)]
    assert len(cache) == 1 and cache[0]["ComparisonOperator"] == "LessThanThreshold"
    endpoints = len(synth.stack.inference.plans)
    gpu = [a for a in alarms if "GPUUtilization" in _metric_names(a)]
    assert len(gpu) == endpoints
    # GPUUtilization sums the instance's GPUs: 90 % of each of p4d's eight is 720.
    assert {a["Threshold"] for a in gpu} >= {90.0, 720.0}
    assert len([a for a in alarms if "ConcurrentRequestsPerModel" in _metric_names(a)]) == endpoints
    assert len([a for a in alarms if "Invocation5XXErrors" in _metric_names(a)]) == endpoints


def test_failure_paths_are_alarmed(synth) -> None:
    alarms = _alarms(synth)
    names = [n for a in alarms for n in _metric_names(a)]
    assert names.count("Throttles") == len(synth.stack.functions)
    assert names.count("ConcurrentExecutions") == 1
    assert names.count("WriteThrottleEvents") == names.count("ReadThrottleEvents") == len(synth.stack.data.tables)
    assert names.count("ExecutionsFailed") == names.count("ExecutionsTimedOut") == len(
        synth.stack.workflows.state_machines)
    assert names.count("ApproximateNumberOfMessagesVisible") == len(synth.stack.dead_letter_queues) == 3
    for alarm in alarms:
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["AlarmActions"] and alarm["OKActions"]


def test_alarm_email_subscribes_to_the_topic(openai_synth, synth) -> None:
    assert not synth.of_type("AWS::SNS::Subscription")
    (sub,) = openai_synth.of_type("AWS::SNS::Subscription").values()
    assert sub["Properties"]["Protocol"] == "email"
    assert sub["Properties"]["Endpoint"] == openai_synth.params.observability.alarm_email
