"""Offline checks on the synthesized app: cfn-lint and cdk-nag AwsSolutions (3.x)."""

from __future__ import annotations

import json
import tempfile

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint

from infra_cdk.nag import acknowledge

#: cfn-lint rules ignored, each with its reason.
IGNORED_LINT = {
    # CDK makes a function (and other resources) DependsOn its role *and* the role's policy so that
    # the policy exists before first use; the role half is already implied by the GetAtt of its ARN.
    "W3005": "redundant DependsOn on a role that CDK adds alongside the needed one on its policy",
}


def _lint(template: dict, region: str) -> list[str]:
    matches = lint(json.dumps(template), config=ManualArgs(regions=[region], ignore_checks=list(IGNORED_LINT)))
    return [f"{m.rule.id} {m.message} at {'/'.join(map(str, getattr(m, 'path', []) or []))}" for m in matches]


def test_cfn_lint_is_clean(synth) -> None:
    assert _lint(synth.template, synth.params.region) == []


def test_cfn_lint_is_clean_with_the_shipped_parameters(default_synth) -> None:
    assert _lint(default_synth.template, default_synth.params.region) == []


def test_cfn_lint_is_clean_in_openai_mode(openai_synth) -> None:
    assert _lint(openai_synth.template, openai_synth.params.region) == []


def test_cfn_lint_is_clean_with_two_regions(regions_synth) -> None:
    assert len(regions_synth.replicas) == 1
    for synth in (regions_synth, *regions_synth.replicas):
        assert _lint(synth.template, synth.params.region) == [], synth.stack.stack_name


def _findings(app: cdk.App) -> list[str]:
    report = AwsSolutionsChecks().validate_scope(app)
    return sorted(
        f"{v.rule_name} at {r.construct_path or r.resource_logical_id}"
        for v in report.violations
        for r in v.violating_resources
    )


def test_cdk_nag_has_no_unacknowledged_findings(synth) -> None:
    assert _findings(synth.app) == []


def test_cdk_nag_has_no_unacknowledged_findings_with_the_shipped_parameters(default_synth) -> None:
    assert _findings(default_synth.app) == []


def test_cdk_nag_has_no_unacknowledged_findings_in_openai_mode(openai_synth) -> None:
    assert _findings(openai_synth.app) == []


def test_cdk_nag_has_no_unacknowledged_findings_with_two_regions(regions_synth) -> None:
    # The app holds both regions' stacks.
    assert _findings(regions_synth.app) == []


def test_a_custom_bootstrap_qualifier_still_passes_cdk_nag() -> None:
    """The bucket deployment's grant names the asset bucket, whose name holds the qualifier."""
    from infra_cdk.app import build_app

    app, stack, _ = build_app(tempfile.mkdtemp(prefix="parley-cdk-q-"),
                              {"parley:fake_assets": "true", "@aws-cdk/core:bootstrapQualifier": "parley42"}, nag=False)
    assembly = app.synth()
    assert "cdk-parley42-assets" in json.dumps(assembly.get_stack_by_name(stack.stack_name).template)
    assert _findings(app) == []


def test_cdk_nag_is_really_checking() -> None:
    """The same checker finds a plainly bad bucket and honours an acknowledgment with a reason."""
    app = cdk.App()
    stack = cdk.Stack(app, "Probe")
    s3.Bucket(stack, "Bad")
    acknowledged = s3.Bucket(stack, "Acknowledged", enforce_ssl=True)
    acknowledge(acknowledged, "AwsSolutions-S1", "probe bucket: server access logging deliberately off")
    found = _findings(app)
    assert "AwsSolutions-S10 at Probe/Bad/Resource" in found
    assert "AwsSolutions-S1 at Probe/Bad/Resource" in found
    assert not any("Acknowledged" in f for f in found)


def test_every_acknowledgment_carries_a_reason(synth) -> None:
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    seen = 0
    for construct in synth.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key:
                # {"<prefix>::<rule id>": "<reason>", ...}
                for rule, reason in dict(entry.data).items():
                    assert isinstance(reason, str) and len(reason) >= 20, (construct.node.path, rule)
                    seen += 1
    assert seen > 0


def test_a_suppression_without_a_reason_is_refused() -> None:
    app = cdk.App()
    with pytest.raises(ValueError):
        acknowledge(cdk.Stack(app, "S"), "AwsSolutions-S1", "because")
