"""``parley models stage``: copy a catalog model's weights from the Hugging Face Hub to S3, once.

    parley models stage --model parley-smart --uri s3://my-weights/parley-smart/ --dry-run
    HF_TOKEN=hf_... parley models stage --model parley-smart --uri s3://my-weights/parley-smart/

Gated models (Llama) need a Hugging Face token whose account accepted the licence. The token is
read here, on the operator's machine, from ``--hf-token-env`` (default ``HF_TOKEN``), and never
reaches a template or an endpoint: the endpoint reads the staged copy (``model_data_source``,
copied to ``/opt/ml/model``), with a speculative draft model under ``draft/`` of the same prefix.
Then set ``inference.models.<id>.model_s3_uri`` to the URI (the command prints the line).

``huggingface_hub`` (download) and ``boto3`` (upload) are imported only when copying: this module
is loaded by every ``parley`` command and by nothing in a Lambda.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model_endpoints.serving import DRAFT_SUBDIR
from parley.catalog import ModelSpec, load_catalog

#: Files vLLM needs from a checkpoint (the Hub repos also hold .pth/original copies, twice the size).
PATTERNS = ("*.json", "*.safetensors", "tokenizer*", "*.model", "*.txt", "*.jinja")


@dataclass(frozen=True)
class Copy:
    repo_id: str
    s3_uri: str
    gated: bool


def stage_plan(spec: ModelSpec, uri: str) -> list[Copy]:
    """What to copy where: the model to ``uri``, its draft (if any) to ``uri/draft/``."""
    if not uri.startswith("s3://"):
        raise ValueError("--uri must be an s3://bucket/prefix/ URI")
    if spec.serving is None:
        raise ValueError(f"model {spec.id} has no serving settings in the catalog")
    base = uri if uri.endswith("/") else uri + "/"
    copies = [Copy(spec.serving.hf_model_id, base, spec.serving.gated)]
    if spec.serving.draft is not None:
        copies.append(Copy(spec.serving.draft.hf_model_id, f"{base}{DRAFT_SUBDIR}/", spec.serving.draft.gated))
    return copies


def _copy(copy: Copy, token: str | None) -> int:  # pragma: no cover - needs the Hub and AWS
    import boto3
    from boto3.s3.transfer import TransferConfig
    from huggingface_hub import snapshot_download

    bucket, _, prefix = copy.s3_uri.removeprefix("s3://").partition("/")
    s3 = boto3.client("s3")
    config = TransferConfig(multipart_chunksize=64 * 1024 * 1024, max_concurrency=16)
    files = 0
    with tempfile.TemporaryDirectory(prefix="parley-stage-") as tmp:
        local = Path(snapshot_download(copy.repo_id, local_dir=tmp, token=token, allow_patterns=list(PATTERNS)))
        for path in sorted(local.rglob("*")):
            if path.is_file() and ".cache" not in path.parts:
                s3.upload_file(str(path), bucket, prefix + path.relative_to(local).as_posix(), Config=config)
                files += 1
    return files


def _stage(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog)
    spec = catalog.get(args.model)
    if spec is None:
        print(f"unknown model {args.model!r}; known: {', '.join(m.id for m in catalog.models)}", file=sys.stderr)
        return 2
    try:
        plan = stage_plan(spec, args.uri)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    parameter = {"inference": {"models": {spec.id: {"model_s3_uri": plan[0].s3_uri}}}}
    if args.dry_run:
        for c in plan:
            print(f"{c.repo_id} -> {c.s3_uri}{' (gated: needs a token)' if c.gated else ''}")
        print("parameters:", json.dumps(parameter))
        return 0
    token = os.environ.get(args.hf_token_env) or None
    if token is None and any(c.gated for c in plan):
        print(f"{spec.id} is gated on the Hugging Face Hub: set {args.hf_token_env} to a token of an account "
              "that accepted its licence", file=sys.stderr)
        return 2
    for c in plan:
        print(f"{c.repo_id} -> {c.s3_uri}: {_copy(c, token)} files", flush=True)
    print("parameters:", json.dumps(parameter))
    return 0


def add_models_parser(sub: Any) -> None:
    models = sub.add_parser("models", help="model weights for SageMaker endpoints")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    stage = models_sub.add_parser("stage", help="copy a catalog model's weights (and draft) from the Hub to S3")
    stage.add_argument("--model", required=True, help="catalog model id, e.g. parley-smart")
    stage.add_argument("--uri", required=True, help="s3://bucket/prefix/ to copy to")
    stage.add_argument("--hf-token-env", default="HF_TOKEN", metavar="VAR",
                       help="environment variable holding a Hugging Face token (default HF_TOKEN)")
    stage.add_argument("--catalog", help="path to a catalog.json (default: the packaged one)")
    stage.add_argument("--dry-run", action="store_true", help="print what would be copied where, and stop")
    stage.set_defaults(func=_stage)
