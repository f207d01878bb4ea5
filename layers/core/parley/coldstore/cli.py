"""``parley coldstore run``: one run of the cold-storage job.

In aws mode it runs here, against the deployed table and bucket (an operator's manual run). In local
mode the emulated AWS lives inside the ``parley dev`` process, so the command asks that server to
run the job (``POST /dev/coldstore/run``) with a local token.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from parley.settings import Settings

CLI_USER = "parley-cli"


def add_coldstore_parser(sub: Any) -> None:
    """Add ``coldstore run`` to the ``parley`` command's subparsers."""
    cold = sub.add_parser("coldstore", help="hot and cold storage of idle conversations")
    actions = cold.add_subparsers(dest="coldstore_command", required=True)
    run = actions.add_parser("run", help="move idle conversations to S3 and repair half-done moves")
    run.add_argument("--idle-days", type=float, default=None, help="override PARLEY_COLDSTORE_IDLE_DAYS")
    run.add_argument("--max", type=int, default=None, dest="max_conversations", help="at most this many this run")
    run.add_argument("--url", default="http://127.0.0.1:8000", help="local mode: the running `parley dev` server")
    run.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    env.setdefault("PARLEY_MODE", "local")
    settings = Settings.from_env(env)
    report = _on_dev_server(args, settings) if settings.mode == "local" else _here(args, settings)
    print(json.dumps(report, sort_keys=True))
    return 1 if report.get("outcomes", {}).get("error") else 0


def _here(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    from parley.container import build_container

    store = build_container(settings).coldstore
    if args.idle_days is not None:
        store = store.tuned(idle_days=args.idle_days)
    return store.run(max_conversations=args.max_conversations).as_dict()


def _on_dev_server(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    import httpx

    from parley.auth.local_jwt import issue_token

    params: dict[str, Any] = {}
    if args.idle_days is not None:
        params["idleDays"] = args.idle_days
    if args.max_conversations is not None:
        params["maxConversations"] = args.max_conversations
    token = issue_token(settings.local_jwt_secret, CLI_USER, "free", 300)
    try:
        response = httpx.post(
            f"{args.url.rstrip('/')}/dev/coldstore/run",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=900,
        )
    except httpx.HTTPError as exc:
        print(f"cannot reach the dev server at {args.url} ({type(exc).__name__}); is `parley dev` running?",
              file=sys.stderr)
        raise SystemExit(2) from exc
    if response.status_code != 200:
        print(f"the dev server answered {response.status_code}: {response.text[:500]}", file=sys.stderr)
        raise SystemExit(2)
    return dict(response.json())
