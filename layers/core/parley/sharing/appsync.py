"""Publishing live events to AWS AppSync Events (aws mode): HTTP POSTs signed with SigV4.

``POST https://<http domain>/event`` with ``{"channel": "/conversations/<id>/<key>", "events": [...]}``,
each event a JSON string, at most 5 per request (the service's limit). The channel namespace takes
publishes only with IAM (see infra_cdk/live.py), so only Parley's functions, whose roles may
``appsync:EventPublish``, can publish. The HTTP layer is a parameter: tests give a fake one, and the
real one (urllib) is never reached in tests.
"""

from __future__ import annotations

import json
import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

#: AppSync Events accepts at most this many events in one publish request.
MAX_EVENTS_PER_PUBLISH = 5
NAMESPACE = "conversations"
TIMEOUT_S = 3.0

#: (url, headers, body) -> HTTP status.
HttpPost = Callable[[str, Mapping[str, str], bytes], int]


class PublishFailed(RuntimeError):
    """AppSync Events refused or could not take a publish (the status only: bodies may echo events)."""


#: A channel key: 128 random bits as 32 lowercase hex digits. AppSync channel segments take letters,
#: digits and dashes only (so not ``token_urlsafe``'s ``_``), and a channel has at most 5 segments
#: (ours has 3: namespace, conversation id, key).
KEY = re.compile(r"^[0-9a-f]{32}$")


def new_live_key() -> str:
    return secrets.token_hex(16)


def channel_of(conversation_id: str, key: str) -> str:
    """The live channel of a conversation under its current key (docs/sharing.md, "The live channel")."""
    return f"/{NAMESPACE}/{conversation_id}/{key}"


def urllib_post(url: str, headers: Mapping[str, str], body: bytes) -> int:
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310 (https)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 (https only)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


class AppSyncEventsPublisher:
    def __init__(self, http_domain: str, region: str, credentials: Callable[[], Any], *,
                 post: HttpPost = urllib_post) -> None:
        self._url = f"https://{http_domain}/event"
        self._host = http_domain
        self._region = region
        self._credentials = credentials  # botocore credentials, resolved per call (they rotate)
        self._post = post

    def publish(self, channel: str, events: Sequence[Mapping[str, Any]]) -> None:
        """Publish ``events`` (``{"event": name, "id": n, "data": {...}}``) in order, 5 per request."""
        for start in range(0, len(events), MAX_EVENTS_PER_PUBLISH):
            batch = events[start:start + MAX_EVENTS_PER_PUBLISH]
            body = json.dumps({"channel": channel,
                               "events": [json.dumps(e, separators=(",", ":")) for e in batch]},
                              separators=(",", ":")).encode()
            headers = self._signed(body)
            status = self._post(self._url, headers, body)
            if not 200 <= status < 300:
                raise PublishFailed(f"AppSync Events publish answered {status}")

    def _signed(self, body: bytes) -> dict[str, str]:
        request = AWSRequest(method="POST", url=self._url, data=body,
                             headers={"content-type": "application/json", "host": self._host})
        SigV4Auth(self._credentials(), "appsync", self._region).add_auth(request)
        return dict(request.headers.items())
