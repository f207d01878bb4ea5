"""The scheduled Lambda and `parley coldstore run` both run the job."""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from parley.coldstore.cli import add_coldstore_parser, run_command
from tests.coldstore.helpers import backdate, seed
from tests.support import LambdaContext, LiveServer


def test_lambda_handler_runs_the_job(cold, monkeypatch):
    s = seed(cold, turns=1, branch=False, big=False)
    backdate(cold, s.conversation_id, 60)
    monkeypatch.setenv("PARLEY_MODE", "local")
    monkeypatch.setenv("PARLEY_TABLE_CONVERSATIONS", cold.settings.table_conversations)
    monkeypatch.setenv("PARLEY_BUCKET_DATA", cold.settings.bucket_data)
    sys.modules.pop("functions.coldstore.handler", None)
    module = importlib.import_module("functions.coldstore.handler")
    report = module.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())
    assert report["complete"] is True
    assert report["outcomes"].get("archived", 0) >= 1
    assert report["outcomes"].get("error", 0) == 0
    json.dumps(report)
    assert cold.stub(s.conversation_id)["cold"] == {"BOOL": True}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="parley")
    add_coldstore_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_cli_in_local_mode_asks_the_dev_server(cold, monkeypatch, capsys):
    s = seed(cold, turns=1, branch=False, big=False)
    backdate(cold, s.conversation_id, 3)
    monkeypatch.setenv("PARLEY_MODE", "local")
    with LiveServer(cold.app) as server:
        args = parse(["coldstore", "run", "--url", server.url, "--idle-days", "2"])
        assert args.func is run_command
        assert run_command(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["outcomes"].get("archived", 0) >= 1
    assert cold.stub(s.conversation_id)["cold"] == {"BOOL": True}
    # A cold conversation still opens normally afterwards.
    assert cold.client.get(f"/conversations/{s.conversation_id}", headers=s.headers).status_code == 200


def test_cli_says_when_no_dev_server_runs(monkeypatch, capsys):
    monkeypatch.setenv("PARLEY_MODE", "local")
    args = parse(["coldstore", "run", "--url", "http://127.0.0.1:9"])
    try:
        run_command(args)
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("expected an exit")
    assert "parley dev" in capsys.readouterr().err
