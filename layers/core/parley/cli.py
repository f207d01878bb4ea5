"""The ``parley`` command: ``parley dev`` serves local mode; ``parley token`` prints a local JWT;
``parley models stage`` copies model weights to S3 for SageMaker endpoints."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from model_endpoints.stage import add_models_parser
from parley.coldstore.cli import add_coldstore_parser
from parley.settings import Settings


def _repo_web_dist() -> str | None:
    candidate = Path(__file__).resolve().parents[3] / "web" / "dist"
    return str(candidate) if (candidate / "index.html").is_file() else None


def _dev(args: argparse.Namespace) -> int:
    from parley.local.dev import reset_data_dir, serve

    env = dict(os.environ)
    env.setdefault("PARLEY_MODE", "local")
    if args.data_dir:
        env["PARLEY_DATA_DIR"] = args.data_dir
    settings = Settings.from_env(env)
    if settings.mode != "local":
        print("parley dev serves local mode only (PARLEY_MODE=local)", file=sys.stderr)
        return 2
    if args.ephemeral and (args.reset or args.data_dir):
        print("--ephemeral keeps no data directory: it takes neither --data-dir nor --reset", file=sys.stderr)
        return 2
    if args.reset and not reset_data_dir(Path(settings.data_dir), assume_yes=args.yes):
        return 1
    if settings.web_dist is None and (dist := _repo_web_dist()):
        settings = settings.model_copy(update={"web_dist": dist})
    return serve(settings, host=args.host, port=args.port, ephemeral=args.ephemeral)


def _token(args: argparse.Namespace) -> int:
    from parley.auth.local_jwt import issue_token

    env = dict(os.environ)
    env.setdefault("PARLEY_MODE", "local")
    settings = Settings.from_env(env)
    print(issue_token(settings.local_jwt_secret, args.user, args.tier, settings.jwt_ttl_s))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("dev", help="serve the app locally (DynamoDB Local, an S3 server, simulated model)")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--data-dir", help="where local data persists (default: $PARLEY_DATA_DIR or .parley/)")
    dev.add_argument("--reset", action="store_true", help="delete the data directory first (asks)")
    dev.add_argument("--yes", action="store_true", help="with --reset: do not ask")
    dev.add_argument("--ephemeral", action="store_true",
                     help="keep nothing: servers in memory, a scratch data directory removed on exit")
    dev.set_defaults(func=_dev)
    token = sub.add_parser("token", help="print a local-mode JWT")
    token.add_argument("--user", required=True)
    token.add_argument("--tier", choices=["free", "plus"], default="free")
    token.set_defaults(func=_token)
    add_coldstore_parser(sub)
    add_models_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
