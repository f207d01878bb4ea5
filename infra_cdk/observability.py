"""Observability: one CloudWatch dashboard and the seed's alarms, notifying an SNS topic.

The app emits EMF metrics (Powertools) in namespace ``Parley`` with dimension ``service=parley``:
``TimeToFirstTokenMs``, ``TotalTimeMs``, ``InputTokens``, ``OutputTokens``, ``CostUSD``, ``Errors``,
``CacheHits``, ``CacheMisses``, ``TokensPerSecond``. Alarms (thresholds are parameters):

* time to first token, p95 > 2 s;
* error rate > 1 %: ``Errors / (generations + Errors)``, a generation being one ``TotalTimeMs``
  sample, and separately API Gateway's 5XX rate;
* cache hit rate < 30 %: ``CacheHits / (CacheHits + CacheMisses)`` (metric math);
* SageMaker ``Invocation5XXErrors`` per endpoint.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra_cdk.parameters import Parameters

NAMESPACE = "Parley"
DIMENSIONS = {"service": "parley"}
PERIOD = Duration.minutes(5)
#: The cache hit rate alarm looks at longer windows: a few requests make a noisy ratio.
CACHE_PERIOD = Duration.minutes(15)
PERCENTILES = ("p50", "p95", "p99")


def app_metric(name: str, statistic: str, label: str | None = None, period: Duration = PERIOD) -> cw.Metric:
    return cw.Metric(namespace=NAMESPACE, metric_name=name, dimensions_map=DIMENSIONS, statistic=statistic,
                     period=period, label=label or f"{name} {statistic}")


def sagemaker_metric(endpoint: str, name: str, statistic: str) -> cw.Metric:
    return cw.Metric(namespace="AWS/SageMaker", metric_name=name, statistic=statistic, period=PERIOD,
                     dimensions_map={"EndpointName": endpoint, "VariantName": "AllTraffic"},
                     label=f"{endpoint} {name} {statistic}")


def error_rate() -> cw.MathExpression:
    return cw.MathExpression(
        expression="IF(n + e > 0, 100 * e / (n + e), 0)",
        using_metrics={"e": app_metric("Errors", "Sum"), "n": app_metric("TotalTimeMs", "SampleCount")},
        label="Generation error rate (%)",
        period=PERIOD,
    )


def cache_hit_rate(period: Duration = CACHE_PERIOD) -> cw.MathExpression:
    return cw.MathExpression(
        expression="IF(h + m > 0, 100 * h / (h + m), 100)",
        using_metrics={"h": app_metric("CacheHits", "Sum", period=period),
                       "m": app_metric("CacheMisses", "Sum", period=period)},
        label="Cache hit rate (%)",
        period=period,
    )


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        params: Parameters,
        rest_api: apigw.RestApi,
        functions: dict[str, lambda_.IFunction],
        endpoint_names: list[str],
    ) -> None:
        super().__init__(scope, construct_id)
        obs = params.observability

        key = kms.Key(self, "AlarmsKey", enable_key_rotation=True,
                      description="Parley alarm topic encryption (CloudWatch publishes to it)")
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic = sns.Topic(self, "Alarms", display_name="Parley alarms", master_key=key, enforce_ssl=True)
        if obs.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(obs.alarm_email))
        action = cw_actions.SnsAction(self.topic)

        self.alarms: list[cw.Alarm] = []

        def alarm(cid: str, metric: cw.IMetric, threshold: float, comparison: cw.ComparisonOperator,
                  description: str, evaluation_periods: int = 3, datapoints: int = 2) -> cw.Alarm:
            a = cw.Alarm(self, cid, metric=metric, threshold=threshold, comparison_operator=comparison,
                         evaluation_periods=evaluation_periods, datapoints_to_alarm=datapoints,
                         treat_missing_data=cw.TreatMissingData.NOT_BREACHING, alarm_description=description)
            a.add_alarm_action(action)
            a.add_ok_action(action)
            self.alarms.append(a)
            return a

        gt = cw.ComparisonOperator.GREATER_THAN_THRESHOLD
        alarm("TtftP95", app_metric("TimeToFirstTokenMs", "p95"), obs.ttft_p95_ms, gt,
              f"Time to first token p95 above {obs.ttft_p95_ms:g} ms")
        alarm("ErrorRate", error_rate(), obs.error_rate_percent, gt,
              f"More than {obs.error_rate_percent:g}% of generations fail")
        api_5xx = cw.MathExpression(expression="100 * r", using_metrics={"r": rest_api.metric_server_error(
            statistic="Average", period=PERIOD)}, label="API 5XX rate (%)", period=PERIOD)
        alarm("Api5xxRate", api_5xx, obs.error_rate_percent, gt,
              f"More than {obs.error_rate_percent:g}% of API requests answer 5XX")
        alarm("CacheHitRate", cache_hit_rate(), obs.cache_hit_rate_min_percent,
              cw.ComparisonOperator.LESS_THAN_THRESHOLD,
              f"Response cache hit rate below {obs.cache_hit_rate_min_percent:g}%",
              evaluation_periods=4, datapoints=4)
        for name in endpoint_names:
            alarm(f"Endpoint5xx{''.join(p.capitalize() for p in name.split('-'))}",
                  sagemaker_metric(name, "Invocation5XXErrors", "Sum"), obs.endpoint_5xx_per_5min, gt,
                  f"SageMaker endpoint {name} answers 5XX", evaluation_periods=2, datapoints=2)

        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=f"{params.stack_name}-overview",
                                      default_interval=Duration.hours(3))
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Time to first token (ms)", width=12,
                           left=[app_metric("TimeToFirstTokenMs", p) for p in PERCENTILES],
                           left_annotations=[cw.HorizontalAnnotation(value=obs.ttft_p95_ms, label="p95 alarm")]),
            cw.GraphWidget(title="Total generation time (ms)", width=12,
                           left=[app_metric("TotalTimeMs", p) for p in PERCENTILES]),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Tokens", width=8,
                           left=[app_metric("InputTokens", "Sum"), app_metric("OutputTokens", "Sum")]),
            cw.GraphWidget(title="Tokens per second (per generation)", width=8,
                           left=[app_metric("TokensPerSecond", s) for s in ("p50", "Average")]),
            cw.GraphWidget(title="Cost (USD)", width=8, left=[app_metric("CostUSD", "Sum")]),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Errors", width=8,
                           left=[app_metric("Errors", "Sum")], right=[error_rate()]),
            cw.GraphWidget(title="Response cache", width=8,
                           left=[app_metric("CacheHits", "Sum"), app_metric("CacheMisses", "Sum")],
                           right=[cache_hit_rate(PERIOD)]),
            cw.GraphWidget(title="API Gateway", width=8,
                           left=[rest_api.metric_count(period=PERIOD), rest_api.metric_client_error(period=PERIOD),
                                 rest_api.metric_server_error(period=PERIOD)],
                           right=[rest_api.metric_latency(statistic="p95", period=PERIOD)]),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Lambda concurrency", width=12,
                           left=[fn.metric("ConcurrentExecutions", statistic="Maximum", period=PERIOD,
                                           label=name) for name, fn in functions.items()]),
            cw.GraphWidget(title="Lambda errors and throttles", width=12,
                           left=[fn.metric_errors(period=PERIOD, label=f"{name} errors")
                                 for name, fn in functions.items()]
                           + [fn.metric_throttles(period=PERIOD, label=f"{name} throttles")
                              for name, fn in functions.items()]),
        )
        if endpoint_names:
            self.dashboard.add_widgets(
                cw.GraphWidget(title="SageMaker invocations", width=8,
                               left=[sagemaker_metric(n, "Invocations", "Sum") for n in endpoint_names]),
                cw.GraphWidget(title="SageMaker model latency p95 (µs)", width=8,
                               left=[sagemaker_metric(n, "ModelLatency", "p95") for n in endpoint_names]),
                cw.GraphWidget(title="SageMaker 5XX errors", width=8,
                               left=[sagemaker_metric(n, "Invocation5XXErrors", "Sum") for n in endpoint_names]),
            )
