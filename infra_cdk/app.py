"""The Parley CDK app (``cdk.json`` runs ``.venv/bin/python infra_cdk/app.py``).

Context (``-c key=value``):

* ``parley:parameters=<file>``: the parameters file (default ``infra_cdk/parameters.json``);
* ``parley.<dotted.path>=<value>``: override one parameter, e.g. ``-c parley.inference.mode=openai``;
* ``parley:fake_assets=true``: placeholder layer assets (tests; nothing is built);
* ``parley:include_planned=true``: with fake assets, also the planned functions whose entry files
  do not exist yet (tests);
* ``parley:nag=false``: skip the cdk-nag AwsSolutions checks (they run by default and fail synth).

The cloud assembly goes to ``CDK_OUTDIR`` (set by the CDK CLI) or ``cdk.out/``. With several
``regions``, one stack per region: ``<stack_name>`` (the primary) and ``<stack_name>-<region>``.

Synthesis is offline. A real synth needs the dependency layers built first:
``.venv/bin/python layers/build_layers.py`` (see docs/deploy.md).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script by the CDK CLI
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402

from infra_cdk.assets import Assets  # noqa: E402
from infra_cdk.layout import BUILD_DIR  # noqa: E402
from infra_cdk.nag import add_checks  # noqa: E402
from infra_cdk.parameters import Parameters, load_parameters  # noqa: E402
from infra_cdk.stack import ParleyStack  # noqa: E402


def _flag(app: cdk.App, key: str, default: bool) -> bool:
    value = app.node.try_get_context(key)
    if value is None:
        return default
    return str(value).lower() in ("1", "true", "yes")


def cdk_json_context() -> dict[str, Any]:
    return dict(json.loads((ROOT / "cdk.json").read_text("utf-8")).get("context", {}))


DEFAULT_OUTDIR = ROOT / "cdk.out"


def build_app(outdir: str | None = None, context: dict[str, Any] | None = None, nag: bool | None = None,
              layers_dir: Path | None = None) -> tuple[cdk.App, ParleyStack, Parameters]:
    """The app and its primary stack (not yet synthesized; the other regions' stacks are
    ``stack.replicas``). ``layers_dir``: built layers elsewhere than ``layers/build`` (the benchmark
    builds into a temporary directory)."""
    # The CLI hands cdk.json's context (feature flags) and -c values to the App itself; without the
    # CLI (tests, `python infra_cdk/app.py`) cdk.json is read here, so both see the same flags.
    app = cdk.App(outdir=outdir or os.environ.get("CDK_OUTDIR") or str(DEFAULT_OUTDIR),
                  context={**cdk_json_context(), **(context or {})})
    params = load_parameters(app.node.get_all_context())
    assets = Assets(params, fake=_flag(app, "parley:fake_assets", False), build_dir=layers_dir or BUILD_DIR)
    account = params.account or os.environ.get("CDK_DEFAULT_ACCOUNT")
    description = "Parley: self-hostable ChatGPT-style platform (API, streaming chat, web client, models)"
    include_planned = _flag(app, "parley:include_planned", False)
    # Stacks in other regions read the primary's user pool and web origins: cross-region references
    # (SSM parameters written by the primary, read by the others) need the flag on both sides.
    cross_region = bool(params.regions)
    stack = ParleyStack(app, params.stack_name, params=params, assets=assets, include_planned=include_planned,
                        env=cdk.Environment(account=account, region=params.region), description=description,
                        cross_region_references=cross_region)
    for region in params.replica_regions:
        replica = ParleyStack(app, f"{params.stack_name}-{region}", params=params.for_region(region), assets=assets,
                              include_planned=include_planned, primary=stack,
                              env=cdk.Environment(account=account, region=region),
                              description=f"{description}: {region}", cross_region_references=True)
        stack.replicas.append(replica)
    if nag if nag is not None else _flag(app, "parley:nag", True):
        add_checks(app)
    return app, stack, params


def main() -> None:
    app, _, _ = build_app()
    assembly = app.synth()
    print(f"cloud assembly: {assembly.directory}", file=sys.stderr)


if __name__ == "__main__":
    main()
