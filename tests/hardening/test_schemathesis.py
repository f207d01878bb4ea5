"""Property-based API testing over /openapi.json (schemathesis): no 5xx, responses match the schema.

Bounded: a few examples per operation, so the whole run stays within a couple of minutes.
"""

from __future__ import annotations

import uuid

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from parley.app import create_app
from parley.auth.local_jwt import issue_token
from parley.settings import DEV_JWT_SECRET, Settings

APP = create_app(Settings(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, sim_reply_tokens_max=20,
                          generate_titles=False, limit_plus_per_hour=1_000_000,
                          limit_plus_tokens_per_day=10**12, table_usage=f"fuzz-{uuid.uuid4().hex[:6]}-usage"))
TOKEN = issue_token(DEV_JWT_SECRET, f"fuzz-{uuid.uuid4().hex[:8]}", "plus")

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_fails_and_matches_its_schema(case):
    # Business rules beyond the schema (a blank title, an unknown model) are answered 4xx by design,
    # so the "positive data accepted" check does not apply; the ones below are the contract.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKEN}"},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
        excluded_checks=[],
    )
