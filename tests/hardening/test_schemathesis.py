"""Property-based API testing over /openapi.json with every schemathesis check (its CLI, all phases).

The app runs as `parley dev` serves it (the web client mounted at `/`), on a loopback port; the
schemathesis CLI runs against it with `--checks all` and a bounded number of cases per operation,
so the whole run takes well under a minute. Any failure fails the test, with the report.
"""

from __future__ import annotations

import subprocess
import sys
import uuid

from parley.app import create_app
from parley.auth.local_jwt import issue_token
from parley.settings import DEV_JWT_SECRET, Settings
from tests.support import LiveServer

#: Four adjustments, per operation. A list cursor is an opaque token the server issued, and one
#: it did not issue is 400 `invalid_cursor`, which no schema can tell apart from a real one.
CONFIG = """
[[operations]]
include-path = "/conversations"
include-method = "GET"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "404", "409", "429"]

# The conversation's owner is not added as a member of it (422 `cannot_add_owner`): who the owner is
# depends on the token, which no schema of the body can say.
[[operations]]
include-path = "/conversations/{conversation_id}/members"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]

# A declaration too large for its kind is refused as such (413), which is a refusal all the same.
[[operations]]
include-path = "/attachments"
include-method = "POST"
checks.negative_data_rejection.expected-statuses = ["400", "401", "404", "409", "413", "415", "422", "429"]

# The coverage phase cannot build a message at the schema's maxLength (100000) that also matches its
# "not only whitespace" pattern, and sends the number 0 instead as if it were valid; the fuzzing and
# stateful phases still test this operation.
[[operations]]
include-path = "/conversations/{conversation_id}/messages"
include-method = "POST"
phases.coverage.enabled = false
"""


def test_api_matches_its_schema_under_every_check(tmp_path):
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html><title>Parley</title>")
    app = create_app(Settings(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, sim_reply_tokens_max=20,
                              generate_titles=False, limit_plus_per_hour=1_000_000, limit_plus_tokens_per_day=10**12,
                              table_usage=f"fuzz-{uuid.uuid4().hex[:6]}-usage", web_dist=str(web)))
    token = issue_token(DEV_JWT_SECRET, f"fuzz-{uuid.uuid4().hex[:8]}", "plus")
    (tmp_path / "schemathesis.toml").write_text(CONFIG)
    with LiveServer(app) as server:
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/openapi.json", "--checks", "all",
             "--max-examples", "5", "--seed", "20261206", "--workers", "1", "--no-color",
             "-H", f"Authorization: Bearer {token}"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-30_000:]
