"""The live channel of shared conversations on AWS: an AppSync Events API (see docs/scaling.md).

One channel namespace, ``conversations``: a conversation's channel is ``/conversations/<id>/<key>``,
the key changing when a member is removed or leaves (docs/sharing.md). Browsers connect and
subscribe with their bearer token through the ``live_authorizer`` function (the API's rules: a
valid token, and to subscribe, the conversation's owner or a current member, on the current key);
only IAM publishes, and only the roles given ``grant_publish`` (the api and chat functions) may.
The functions learn the HTTP domain from ``PARLEY_LIVE_EVENTS_HTTP_DOMAIN`` (and the realtime one,
which ``GET /conversations/{id}/live/channel`` reports); the web client both from its config.json.
Billing is per connection-minute and per operation, so an idle viewer costs little and nothing
runs between events.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_appsync as appsync
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from parley.sharing.appsync import NAMESPACE

LAMBDA = appsync.AppSyncAuthorizationType.LAMBDA
IAM = appsync.AppSyncAuthorizationType.IAM


class LiveEvents(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, authorizer: lambda_.IFunction) -> None:
        super().__init__(scope, construct_id)
        self.api = appsync.EventApi(
            self, "EventApi",
            api_name=f"{Aws.STACK_NAME}-live",
            authorization_config=appsync.EventApiAuthConfig(
                auth_providers=[
                    appsync.AppSyncAuthProvider(authorization_type=IAM),
                    appsync.AppSyncAuthProvider(
                        authorization_type=LAMBDA,
                        # Not cached: a removed member's next subscription is refused at once.
                        lambda_authorizer_config=appsync.AppSyncLambdaAuthorizerConfig(
                            handler=authorizer, results_cache_ttl=Duration.seconds(0)),
                    ),
                ],
                connection_auth_mode_types=[LAMBDA],
                default_publish_auth_mode_types=[IAM],
                default_subscribe_auth_mode_types=[LAMBDA],
            ),
            # No log_config: AppSync would write event payloads (message text) to its logs, and the
            # retention it sets needs a helper function of its own; errors surface in the functions.
        )
        self.namespace = self.api.add_channel_namespace(
            "Conversations", channel_namespace_name=NAMESPACE,
            authorization_config=appsync.NamespaceAuthConfig(publish_auth_mode_types=[IAM],
                                                             subscribe_auth_mode_types=[LAMBDA]),
        )

    def grant_publish(self, grantee: iam.IGrantable) -> None:
        """``appsync:EventPublish`` on this one namespace (the API's own grant covers every namespace)."""
        self.namespace.grant_publish(grantee)

    def environment(self) -> dict[str, str]:
        return {"PARLEY_LIVE_EVENTS_HTTP_DOMAIN": self.api.http_dns,
                "PARLEY_LIVE_EVENTS_REALTIME_DOMAIN": self.api.realtime_dns}

    def web_config(self) -> dict[str, str]:
        """What the web client's config.json says of it: where to subscribe, and the host its
        authorization header names (the protocol's Lambda authorization: {Authorization, host})."""
        return {"realtimeUrl": f"wss://{self.api.realtime_dns}/event/realtime", "host": self.api.http_dns}
