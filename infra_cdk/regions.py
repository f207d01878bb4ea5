"""Several regions: each region's API behind one name, by latency, failing over on health.

Every region's stack adds, in the hosted zone ``domain.hosted_zone_id``, an alias record for
``domain.api_domain`` to its own API Gateway custom domain, with latency routing (``region``,
``set_identifier``) and a Route 53 health check of that region's ``GET /health`` on its
execute-api endpoint (so a region whose API or function fails is taken out of the answers, and
Route 53 answers with the next-lowest-latency healthy region). What fails over and what does not:
docs/scaling.md.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets

from infra_cdk.api import Api
from infra_cdk.parameters import Parameters

#: Route 53 checks every 30 s from several of its regions; 3 failures in a row mark it unhealthy.
CHECK_INTERVAL = Duration.seconds(30)
FAILURE_THRESHOLD = 3


def latency_record(stack: Stack, params: Parameters, api: Api) -> route53.HealthCheck:
    domain = params.domain
    assert domain.api_domain and domain.hosted_zone_id and domain.hosted_zone_name and api.custom_domain
    zone = route53.HostedZone.from_hosted_zone_attributes(
        stack, "HostedZone", hosted_zone_id=domain.hosted_zone_id, zone_name=domain.hosted_zone_name)
    check = route53.HealthCheck(
        stack, "ApiHealthCheck", type=route53.HealthCheckType.HTTPS,
        fqdn=f"{api.rest_api.rest_api_id}.execute-api.{stack.region}.{stack.url_suffix}",
        resource_path=f"/{params.api.stage_name}/health", port=443,
        request_interval=CHECK_INTERVAL, failure_threshold=FAILURE_THRESHOLD)
    route53.ARecord(
        stack, "ApiLatencyRecord", zone=zone, record_name=domain.api_domain,
        target=route53.RecordTarget.from_alias(route53_targets.ApiGatewayDomain(api.custom_domain)),
        region=stack.region, set_identifier=f"api-{stack.region}", health_check=check)
    return check


def health_check_metric(check: route53.HealthCheck) -> cw.Metric:
    """1 while healthy, 0 when not (Route 53 publishes its metrics in us-east-1 only)."""
    return cw.Metric(namespace="AWS/Route53", metric_name="HealthCheckStatus", statistic="Minimum",
                     period=Duration.minutes(1), region="us-east-1",
                     dimensions_map={"HealthCheckId": check.health_check_id})
