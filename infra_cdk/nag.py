"""cdk-nag (AwsSolutions, 3.x) wiring and the one way to acknowledge a finding: with a reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Suppress one finding (``AwsSolutions-IAM5[Resource::*]`` style ids) on ``construct`` and below."""
    if len(reason.strip()) < 20:
        raise ValueError(f"{rule}: a suppression needs a real reason")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def add_checks(app: App) -> AwsSolutionsChecks:
    """Run AwsSolutions at synth: any unacknowledged finding fails ``cdk synth``/``deploy``."""
    checks = AwsSolutionsChecks(app)
    Validations.of(app).add_plugins(checks)
    return checks
