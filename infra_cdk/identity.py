"""Users: a Cognito user pool, the web client's app client, the tier groups, the hosted UI domain.

The web client signs in with the OAuth authorization-code flow and PKCE through the hosted UI
(a public client: no secret), with the callback and logout URLs of every web origin (the
CloudFront URL, and the custom domain when configured). It sends the **ID token** as
``Authorization: Bearer``; the API's authorizer (the Lambda authorizer, or API Gateway's Cognito
authorizer where that one is in scope) checks it and the tier comes from ``cognito:groups``
(``plus`` if in the ``plus`` group, else ``free``). No custom tier attribute exists, so users cannot
raise their own tier: an administrator adds them to a group.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, Fn, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra_cdk.nag import acknowledge
from infra_cdk.parameters import Parameters

TIER_GROUPS = {"plus": "Plus tier: higher rate and token limits", "free": "Free tier (the default)"}
SCOPES = ("openid", "email", "profile")  # what the web client asks for (config.json)


class Identity(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, params: Parameters, web_origins: list[str]) -> None:
        super().__init__(scope, construct_id)
        auth = params.auth
        self.user_pool = cognito.UserPool(
            self,
            "Users",
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=getattr(cognito.FeaturePlan, auth.feature_plan.upper()),
            standard_threat_protection_mode=(
                cognito.StandardThreatProtectionMode.FULL_FUNCTION if auth.threat_protection else None
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG2",
            "MFA is optional (TOTP) for a consumer chat product; users opt in. Require it per deployment "
            "by changing Mfa.OPTIONAL to Mfa.REQUIRED.",
        )
        if not auth.threat_protection:
            acknowledge(
                self.user_pool,
                "AwsSolutions-COG8",
                "Threat protection needs the Plus feature plan (billed per monthly active user); it is the "
                "auth.threat_protection and auth.feature_plan parameters, off by default.",
            )

        for precedence, (name, description) in enumerate(TIER_GROUPS.items()):
            cognito.UserPoolGroup(
                self, f"Group{name.capitalize()}", user_pool=self.user_pool, group_name=name,
                description=description, precedence=precedence,
            )

        prefix = auth.domain_prefix or Fn.join("-", ["parley", Aws.ACCOUNT_ID])
        self.domain = self.user_pool.add_domain(
            "HostedUi", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix)
        )

        urls = [f"{origin}/" for origin in web_origins] + list(auth.extra_callback_urls)
        self.client = self.user_pool.add_client(
            "WebClient",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=urls,
                logout_urls=urls,
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )

    @property
    def hosted_ui_url(self) -> str:
        return self.domain.base_url()
