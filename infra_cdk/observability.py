"""Observability: one CloudWatch dashboard and the alarms, notifying an SNS topic.

Metrics are named and dimensioned as emitted (``infra_cdk/metrics.py``). Alarms (thresholds are
``observability`` parameters):

* per catalog model: time to first token p95 > 2 s; failed generations > 1 %;
* the response cache hit rate < 30 % (15-minute windows); API Gateway's 5XX rate > 1 %;
* per endpoint: ``Invocation5XXErrors``, GPU utilization > 90 % (of every GPU of the instance),
  concurrent requests per instance above 1.5x the autoscaling target (scaling cannot keep up: the
  queue grows);
* per function: throttles; the region's Lambda concurrency above 80 % of its quota;
* per table: read or write throttle events;
* per state machine: failed or timed-out executions;
* per dead-letter queue: any message (an event no retry could deliver).

Missing data is "not breaching" throughout: no traffic is not an incident, and every metric here
is written whenever there is traffic (a failure writes ``Errors``, a throttle ``Throttles``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra_cdk.inference import EndpointPlan
from infra_cdk.metrics import (
    PERCENTILES,
    PERIOD,
    account_concurrency,
    cache_hit_rate,
    endpoint_metric,
    error_rate,
    generation_metric,
    gpu_utilization,
    service_metric,
    table_throttles,
)
from infra_cdk.parameters import Parameters
from model_endpoints.sizing import instance_gpus


def _cid(name: str) -> str:
    return "".join(p.capitalize() for p in name.replace("_", "-").split("-"))


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        params: Parameters,
        dashboard_name: str,
        rest_api: apigw.RestApi,
        functions: Mapping[str, lambda_.IFunction],
        model_ids: Sequence[str],
        endpoints: Sequence[EndpointPlan] = (),
        tables: Mapping[str, dynamodb.ITableV2] | None = None,
        state_machines: Mapping[str, sfn.IStateMachine] | None = None,
        dead_letter_queues: Mapping[str, sqs.IQueue] | None = None,
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
                         alarm_name=f"{dashboard_name}-{cid}",
                         evaluation_periods=evaluation_periods, datapoints_to_alarm=datapoints,
                         treat_missing_data=cw.TreatMissingData.NOT_BREACHING, alarm_description=description)
            a.add_alarm_action(action)
            a.add_ok_action(action)
            self.alarms.append(a)
            return a

        gt = cw.ComparisonOperator.GREATER_THAN_THRESHOLD
        for model in model_ids:
            alarm(f"TtftP95{_cid(model)}", generation_metric("TimeToFirstTokenMs", model, "p95"), obs.ttft_p95_ms,
                  gt, f"{model}: time to first token p95 above {obs.ttft_p95_ms:g} ms")
            alarm(f"ErrorRate{_cid(model)}", error_rate(model), obs.error_rate_percent, gt,
                  f"{model}: more than {obs.error_rate_percent:g}% of generations fail")
        api_5xx = cw.MathExpression(expression="100 * r", using_metrics={"r": rest_api.metric_server_error(
            statistic="Average", period=PERIOD)}, label="API 5XX rate (%)", period=PERIOD)
        alarm("Api5xxRate", api_5xx, obs.error_rate_percent, gt,
              f"More than {obs.error_rate_percent:g}% of API requests answer 5XX")
        alarm("CacheHitRate", cache_hit_rate(), obs.cache_hit_rate_min_percent,
              cw.ComparisonOperator.LESS_THAN_THRESHOLD,
              f"Response cache hit rate below {obs.cache_hit_rate_min_percent:g}%",
              evaluation_periods=4, datapoints=4)
        for plan in endpoints:
            name, cid = plan.endpoint_name, _cid(plan.endpoint_name)
            gpus = instance_gpus(plan.instance_type)[1]
            alarm(f"Endpoint5xx{cid}", endpoint_metric(name, "Invocation5XXErrors", "Sum"),
                  obs.endpoint_5xx_per_5min, gt, f"SageMaker endpoint {name} answers 5XX",
                  evaluation_periods=2, datapoints=2)
            alarm(f"Gpu{cid}", gpu_utilization(name), obs.gpu_utilization_percent * gpus, gt,
                  f"{name}: GPU utilization above {obs.gpu_utilization_percent:g}% on all {gpus} GPU(s) "
                  "(GPUUtilization sums the instance's GPUs)")
            queue = plan.target_concurrent_requests * obs.concurrency_over_target
            alarm(f"Queue{cid}", endpoint_metric(name, "ConcurrentRequestsPerModel", "Average",
                                                 period=Duration.minutes(1)), queue, gt,
                  f"{name}: over {queue:g} requests in flight per instance (target "
                  f"{plan.target_concurrent_requests:g}): requests queue, scaling is at its maximum or too slow",
                  evaluation_periods=5, datapoints=5)
        for name, fn in functions.items():
            alarm(f"Throttles{_cid(name)}Function", fn.metric_throttles(period=PERIOD, statistic="Sum"), 0, gt,
                  f"Lambda function {name} is throttled", evaluation_periods=1, datapoints=1)
        limit = obs.lambda_concurrency_quota * 0.8
        alarm("LambdaConcurrency", account_concurrency(), limit, gt,
              f"Lambda concurrency in the region above 80% of its quota ({obs.lambda_concurrency_quota})",
              evaluation_periods=5, datapoints=3)
        for name, table in (tables or {}).items():
            alarm(f"Throttles{_cid(name)}Table", table_throttles(table.table_name), 0, gt,
                  f"DynamoDB {name} throttles requests", evaluation_periods=1, datapoints=1)
        for name, machine in (state_machines or {}).items():
            failed = cw.MathExpression(
                expression="f + t", label=f"{name} failed executions", period=PERIOD,
                using_metrics={"f": machine.metric_failed(period=PERIOD, statistic="Sum"),
                               "t": machine.metric_timed_out(period=PERIOD, statistic="Sum")})
            alarm(f"Failed{_cid(name)}Workflow", failed, 0, gt, f"{name} workflow executions fail",
                  evaluation_periods=1, datapoints=1)
        for name, queue_ in (dead_letter_queues or {}).items():
            alarm(f"Dlq{_cid(name)}", queue_.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic="Maximum"), 0, gt,
                f"{name}: events that exhausted their retries are waiting in the dead-letter queue",
                evaluation_periods=1, datapoints=1)

        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=dashboard_name,
                                      default_interval=Duration.hours(3))
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Time to first token p95 (ms)", width=12,
                           left=[generation_metric("TimeToFirstTokenMs", m, "p95") for m in model_ids],
                           left_annotations=[cw.HorizontalAnnotation(value=obs.ttft_p95_ms, label="p95 alarm")]),
            cw.GraphWidget(title="Total generation time (ms)", width=12,
                           left=[generation_metric("TotalTimeMs", m, p) for m in model_ids[:1] for p in PERCENTILES]
                           + [generation_metric("TotalTimeMs", m, "p95") for m in model_ids[1:]]),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Tokens", width=8,
                           left=[generation_metric(n, m, "Sum") for m in model_ids
                                 for n in ("InputTokens", "OutputTokens")]),
            cw.GraphWidget(title="Tokens per second (per generation, p50)", width=8,
                           left=[generation_metric("TokensPerSecond", m, "p50") for m in model_ids]),
            cw.GraphWidget(title="Cost (USD)", width=8,
                           left=[generation_metric("CostUSD", m, "Sum") for m in model_ids]),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Errors", width=8, left=[generation_metric("Errors", m, "Sum") for m in model_ids],
                           right=[error_rate(m) for m in model_ids]),
            cw.GraphWidget(title="Response cache", width=8,
                           left=[service_metric("CacheHits", "Sum"), service_metric("CacheMisses", "Sum")],
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
        names = [p.endpoint_name for p in endpoints]
        if names:
            self.dashboard.add_widgets(
                cw.GraphWidget(title="SageMaker invocations and 5XX errors", width=6,
                               left=[endpoint_metric(n, "Invocations", "Sum") for n in names],
                               right=[endpoint_metric(n, "Invocation5XXErrors", "Sum") for n in names]),
                cw.GraphWidget(title="SageMaker model latency p95 (µs)", width=6,
                               left=[endpoint_metric(n, "ModelLatency", "p95") for n in names]),
                cw.GraphWidget(title="GPU utilization (% summed over GPUs)", width=6,
                               left=[gpu_utilization(n) for n in names]),
                cw.GraphWidget(title="Concurrent requests per instance", width=6,
                               left=[endpoint_metric(n, "ConcurrentRequestsPerModel", "Average") for n in names]),
            )
