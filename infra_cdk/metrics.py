"""The CloudWatch metrics alarms and the dashboard read, named exactly as they are emitted.

The app's EMF documents (``parley.observability.EmfMetrics``: Powertools, namespace ``Parley``,
dimension ``service=parley`` plus what the emitter passes) come in two shapes, and an alarm on any
other dimension set reads a metric nobody writes (``tests/infra/test_infra_alarms.py`` drives a
turn, captures the EMF and compares):

* one document per generation (``parley.chat.generation``) with dimensions ``model`` and
  ``service``: ``TimeToFirstTokenMs``, ``TotalTimeMs``, ``InputTokens``, ``OutputTokens``, ``CostUSD``,
  ``TokensPerSecond``, ``AwsBeforeFirstTokenMs`` and, when it failed, ``Errors``;
* one per cache lookup with ``service`` only: ``CacheHits`` or ``CacheMisses``.

AWS's own metrics: SageMaker ``AWS/SageMaker`` (invocations, ``ConcurrentRequestsPerModel``) and
``/aws/sagemaker/Endpoints`` (``GPUUtilization``: 0-100 per GPU, summed over the instance's GPUs).
"""

from __future__ import annotations

import re

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw

NAMESPACE = "Parley"
SERVICE = {"service": "parley"}
PERIOD = Duration.minutes(5)
#: The cache hit rate alarm looks at longer windows: a few requests make a noisy ratio.
CACHE_PERIOD = Duration.minutes(15)
PERCENTILES = ("p50", "p95", "p99")
VARIANT = "AllTraffic"


def generation_metric(name: str, model: str, statistic: str, period: Duration = PERIOD) -> cw.Metric:
    """A per-generation metric of one model (dimensions ``model``, ``service``)."""
    return cw.Metric(namespace=NAMESPACE, metric_name=name, dimensions_map={"model": model, **SERVICE},
                     statistic=statistic, period=period, label=f"{model} {name} {statistic}")


def service_metric(name: str, statistic: str, period: Duration = PERIOD) -> cw.Metric:
    """A metric emitted with the service dimension only (the cache lookups)."""
    return cw.Metric(namespace=NAMESPACE, metric_name=name, dimensions_map=dict(SERVICE), statistic=statistic,
                     period=period, label=f"{name} {statistic}")


def error_rate(model: str) -> cw.MathExpression:
    """Failed generations of one model in percent. ``Errors`` rides in the same document as
    ``TotalTimeMs``, so the generation count (``TotalTimeMs`` samples) already includes failures."""
    # Ids unique per model: one graph shows every model's rate.
    key = re.sub(r"[^a-z0-9]+", "_", model.lower())
    e, n = f"e_{key}", f"n_{key}"
    return cw.MathExpression(
        expression=f"IF({n} > 0, 100 * {e} / {n}, 0)",
        using_metrics={e: generation_metric("Errors", model, "Sum"),
                       n: generation_metric("TotalTimeMs", model, "SampleCount")},
        label=f"{model} error rate (%)", period=PERIOD)


def cache_hit_rate(period: Duration = CACHE_PERIOD) -> cw.MathExpression:
    return cw.MathExpression(
        expression="IF(h + m > 0, 100 * h / (h + m), 100)",
        using_metrics={"h": service_metric("CacheHits", "Sum", period=period),
                       "m": service_metric("CacheMisses", "Sum", period=period)},
        label="Cache hit rate (%)", period=period)


def endpoint_metric(endpoint: str, name: str, statistic: str, namespace: str = "AWS/SageMaker",
                    period: Duration = PERIOD) -> cw.Metric:
    return cw.Metric(namespace=namespace, metric_name=name, statistic=statistic, period=period,
                     dimensions_map={"EndpointName": endpoint, "VariantName": VARIANT},
                     label=f"{endpoint} {name} {statistic}")


def gpu_utilization(endpoint: str) -> cw.Metric:
    return endpoint_metric(endpoint, "GPUUtilization", "Average", namespace="/aws/sagemaker/Endpoints")


def table_throttles(table_name: str) -> cw.MathExpression:
    def events(name: str) -> cw.Metric:
        return cw.Metric(namespace="AWS/DynamoDB", metric_name=name, dimensions_map={"TableName": table_name},
                         statistic="Sum", period=PERIOD)

    return cw.MathExpression(expression="r + w", using_metrics={"r": events("ReadThrottleEvents"),
                                                                 "w": events("WriteThrottleEvents")},
                             label="throttled requests", period=PERIOD)


def account_concurrency() -> cw.Metric:
    """Concurrent executions of every function in the region (the quota is regional)."""
    return cw.Metric(namespace="AWS/Lambda", metric_name="ConcurrentExecutions", statistic="Maximum",
                     period=Duration.minutes(1), label="Lambda concurrent executions (region)")
