"""``parley dev`` on its real servers: data survives restarts, shutdowns and crashes lose nothing,
and no server outlives the app."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.local.devserver import alive, auth, dev_server
from tests.support import parse_sse

pytestmark = pytest.mark.timeout(240)

#: Answers long and slow enough to be cut mid-way (200 tokens at 40 tokens/s: 5 s).
SLOW = {"PARLEY_SIM_TOKENS_PER_S": "40", "PARLEY_SIM_REPLY_TOKENS_MIN": "200", "PARLEY_SIM_REPLY_TOKENS_MAX": "200",
        "PARLEY_CHECKPOINT_INTERVAL_S": "0.2"}


def wait_gone(pids: set[int], timeout: float = 20) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = {pid for pid in pids if alive(pid)}
        if not left:
            return set()
        time.sleep(0.1)
    return {pid for pid in pids if alive(pid)}


def send(url: str, headers: dict[str, str], cid: str, content: str) -> list:
    r = httpx.post(f"{url}/conversations/{cid}/messages", json={"content": content}, headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    return parse_sse(r.text)[0]


def stream_until_chunks(url: str, headers: dict[str, str], cid: str, chunks: int, then) -> list[tuple[str, dict]]:
    """Send, read until ``chunks`` content chunks arrived, call ``then()``, read the rest of the stream."""
    events: list[tuple[str, dict]] = []
    name = None
    with httpx.stream("POST", f"{url}/conversations/{cid}/messages", json={"content": "tell me a long story"},
                      headers=headers, timeout=60) as r:
        assert r.status_code == 200
        try:
            for line in r.iter_lines():
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:") and name:
                    events.append((name, json.loads(line[5:])))
                    if sum(1 for n, _ in events if n == "content_chunk") == chunks:
                        then()
        except httpx.HTTPError:
            pass  # the connection dropped (kill -9): what arrived is what the client saw
    return events


def test_everything_survives_a_restart_and_the_servers_stop_with_the_app(tmp_path: Path) -> None:
    data = tmp_path / "data"
    alice = auth("alice-persist")
    with dev_server(data) as dev:
        url = dev.url
        cid = httpx.post(f"{url}/conversations", json={"title": "Kept"}, headers=alice).json()["conversationId"]
        assert send(url, alice, cid, "first question")[-1].name == "message_end"
        assert send(url, alice, cid, "second question")[-1].name == "message_end"
        ticket = httpx.post(f"{url}/attachments", headers=alice,
                            json={"filename": "notes.txt", "size": 11, "contentType": "text/plain"}).json()
        uploaded = httpx.post(ticket["uploadUrl"], data=ticket["fields"],
                              files={"file": ("notes.txt", b"hello world", "text/plain")})
        assert uploaded.status_code == 204, uploaded.text
        assert httpx.get(f"{url}/attachments/{ticket['attachmentId']}", headers=alice).json()["status"] == "ready"
        key = httpx.post(f"{url}/api-keys", json={"name": "laptop"}, headers=alice).json()["key"]
        before = {
            "conversation": httpx.get(f"{url}/conversations/{cid}", headers=alice).json(),
            "list": httpx.get(f"{url}/conversations", headers=alice).json(),
            "usage": httpx.get(f"{url}/usage", headers=alice).json(),
        }
        servers = dev.servers()
        assert len(servers) >= 2  # DynamoDB Local (java) and the S3 server (weed)
        dev.signal(signal.SIGTERM)
        assert dev.wait() == 0, dev.output()
        assert wait_gone(servers) == set(), "a local server outlived the app"

    assert (data / "dynamodb").is_dir() and (data / "s3").is_dir()
    with dev_server(data, log_name="dev2.log") as dev:
        url = dev.url
        assert httpx.get(f"{url}/conversations/{cid}", headers=alice).json() == before["conversation"]
        assert httpx.get(f"{url}/conversations", headers=alice).json() == before["list"]
        usage = httpx.get(f"{url}/usage", headers=alice).json()
        assert usage == before["usage"] and before["usage"]["requests"]["used"] == 2
        attachment = httpx.get(f"{url}/attachments/{ticket['attachmentId']}", headers=alice).json()
        assert attachment["status"] == "ready"
        # The search index is kept under the data directory too.
        found = httpx.get(f"{url}/search", params={"q": "second question"}, headers=alice).json()["results"]
        assert any(r["conversationId"] == cid and r["role"] == "user" for r in found), found
        # The key made before the restart still signs in as alice.
        by_key = httpx.get(f"{url}/conversations/{cid}", headers={"Authorization": f"Bearer {key}"})
        assert by_key.status_code == 200 and by_key.json()["title"] == "Kept"
        # And the conversation goes on, with the attachment.
        r = httpx.post(f"{url}/conversations/{cid}/messages", headers=alice, timeout=60,
                       json={"content": "and the notes?", "attachments": [ticket["attachmentId"]]})
        assert parse_sse(r.text)[0][-1].name == "message_end"


def test_sigterm_mid_answer_ends_the_stream_with_a_retryable_error_and_saves_the_partial(tmp_path: Path) -> None:
    data = tmp_path / "data"
    bob = auth("bob-sigterm")
    with dev_server(data, env=SLOW) as dev:
        cid = httpx.post(f"{dev.url}/conversations", json={}, headers=bob).json()["conversationId"]
        events = stream_until_chunks(dev.url, bob, cid, 3, lambda: dev.signal(signal.SIGTERM))
        assert dev.wait() == 0, dev.output()
    names = [n for n, _ in events]
    assert names[0] == "message_start" and names.count("error") == 1 and names[-1] == "error"
    assert "message_end" not in names
    assert events[-1][1]["code"] == "server_shutting_down" and events[-1][1]["retryable"] is True
    streamed = "".join(d["delta"] for n, d in events if n == "content_chunk")
    answer_id = events[0][1]["messageId"]

    with dev_server(data, log_name="dev2.log") as dev:
        messages = httpx.get(f"{dev.url}/conversations/{cid}", headers=bob).json()["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant"]
        answer = messages[1]
        assert answer["messageId"] == answer_id and answer["finishReason"] == "interrupted"
        assert answer["content"] == streamed and streamed  # everything the client saw, and only that


def test_kill_9_mid_answer_leaves_an_interrupted_answer_that_can_be_regenerated(tmp_path: Path) -> None:
    data = tmp_path / "data"
    carol = auth("carol-kill")
    with dev_server(data, env=SLOW) as dev:
        cid = httpx.post(f"{dev.url}/conversations", json={}, headers=carol).json()["conversationId"]
        servers = dev.servers()
        # Past the first checkpoints (0.2 s apart), then the app dies without any clean-up.
        keyed = {**carol, "Idempotency-Key": "story-1"}
        events = stream_until_chunks(dev.url, keyed, cid, 30, lambda: os.kill(dev.process.pid, signal.SIGKILL))
        dev.wait()
        assert wait_gone(servers) == set(), "a local server outlived a crashed app"
    answer_id = events[0][1]["messageId"]

    with dev_server(data, env={"PARLEY_GENERATION_STALE_AFTER_S": "1"}, log_name="dev2.log") as dev:
        time.sleep(1.2)
        conversation = httpx.get(f"{dev.url}/conversations/{cid}", headers=carol).json()
        user, answer = conversation["messages"]
        assert user["role"] == "user" and user["content"] == "tell me a long story"
        assert answer["messageId"] == answer_id and answer["finishReason"] == "interrupted"
        assert answer["content"]  # what was checkpointed before the crash
        resumed = httpx.get(f"{dev.url}/conversations/{cid}/messages/{answer_id}/events", headers=carol, timeout=30)
        last = parse_sse(resumed.text)[0][-1]
        assert last.name == "error" and last.data["code"] == "server_shutting_down" and last.data["retryable"]
        # A retry with the same Idempotency-Key answers what the first request got (not a 409 for a day).
        repeat = httpx.post(f"{dev.url}/conversations/{cid}/messages", json={"content": "tell me a long story"},
                            headers=keyed, timeout=30)
        replayed = parse_sse(repeat.text)[0]
        assert replayed[0].data["messageId"] == answer_id and replayed[-1].data["code"] == "server_shutting_down"
        again = httpx.post(f"{dev.url}/conversations/{cid}/messages/{answer_id}/regenerate", json={},
                           headers=carol, timeout=60)
        assert parse_sse(again.text)[0][-1].name == "message_end"


def test_reset_wipes_the_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    dave = auth("dave-reset")
    with dev_server(data) as dev:
        httpx.post(f"{dev.url}/conversations", json={}, headers=dave)
        dev.signal(signal.SIGTERM)
        dev.wait()
    from parley.cli import main
    from parley.local.dev import reset_data_dir

    assert main(["dev", "--data-dir", str(data), "--reset", "--port", "1"]) == 1  # no terminal to ask: refuses
    with dev_server(data) as dev:
        assert len(httpx.get(f"{dev.url}/conversations", headers=dave).json()["conversations"]) == 1
        dev.signal(signal.SIGTERM)
        dev.wait()
    assert reset_data_dir(data, assume_yes=True) and not data.exists()
    with dev_server(data, env={"PARLEY_LOG_LEVEL": "WARNING"}, log_name="quiet.log") as dev:
        assert httpx.get(f"{dev.url}/conversations", headers=dave).json()["conversations"] == []
        cid = httpx.post(f"{dev.url}/conversations", json={}, headers=dave).json()["conversationId"]
        assert send(dev.url, dave, cid, "hello")[-1].name == "message_end"
        assert "turn finished" not in dev.output()  # PARLEY_LOG_LEVEL is the level of the app's log


def test_ephemeral_keeps_nothing_and_leaves_nothing(tmp_path: Path) -> None:
    erin = auth("erin-ephemeral")
    with dev_server(tmp_path / "unused", ephemeral=True) as dev:
        created = httpx.post(f"{dev.url}/conversations", json={}, headers=erin)
        assert created.status_code == 201
        events = send(dev.url, erin, created.json()["conversationId"], "hello")
        assert events[-1].name == "message_end"
        assert '"turn finished"' in dev.output()  # INFO by default
        scratch = Path(next(line for line in dev.output().splitlines() if "scratch in" in line)
                       .split("scratch in ", 1)[1].rstrip(") ."))
        assert (scratch / "logs").is_dir()  # the servers' logs and the uploads live there meanwhile
        servers = dev.servers()
        dev.signal(signal.SIGTERM)
        assert dev.wait() == 0
    assert not scratch.exists() and not (tmp_path / "unused").exists()
    assert wait_gone(servers) == set()
    with dev_server(tmp_path / "unused", ephemeral=True, log_name="dev2.log") as dev:
        assert httpx.get(f"{dev.url}/conversations", headers=erin).json()["conversations"] == []
        dev.signal(signal.SIGTERM)
        dev.wait()


def test_ephemeral_takes_no_data_directory() -> None:
    from parley.cli import main

    assert main(["dev", "--ephemeral", "--data-dir", "x", "--port", "1"]) == 2
    assert main(["dev", "--ephemeral", "--reset", "--port", "1"]) == 2
