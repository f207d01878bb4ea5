"""DynamoDB's item calls without botocore's per-call machinery, on the same client's serializer,
signer, credentials and hooks.

A botocore call costs ~0.95 ms of CPU here (its event chain, endpoint rules, urllib3 and the walk of the
response along the output shape); the same request, serialized by botocore, signed by botocore's SigV4
and sent on a kept-alive ``http.client`` connection costs ~0.4 ms. A chat turn makes two to six of them,
so that is ~10% of a turn's CPU in the relay, on Lambda as much as locally.

Kept as botocore does it: the ``before-parameter-build`` and ``before-call`` events (botocore's own
handlers add headers there, botocore's Stubber answers there, tests count calls there), the serializer
(binary values as base64), the SigV4 signer and the client's credentials (refreshed as botocore
refreshes them), the ``before-send`` event (moto's mock answers there, and pynamodb adds its extra
headers there), botocore's parser for errors and for any response that may hold binary values, and
botocore's modelled exceptions. Not emitted: ``after-call`` and the events of retries (a call handed
back to botocore, below, is seen by ``before-parameter-build`` and ``before-call`` twice). Not checked:
the response's ``x-amz-crc32`` (botocore retries on a mismatch; over TLS a corrupted body fails the
connection first).

Left to botocore itself, with its retries: whatever may be worth retrying (throttling, 5xx, a
connection that broke), every call while botocore is instrumented (X-Ray, OpenTelemetry and the like
wrap ``BaseClient._make_api_call``: their traces keep every call), operations other than the item
calls, and every call of a client behind a proxy.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import types
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HeadersDict
from botocore.client import BaseClient
from botocore.httpsession import get_cert_path

from parley.observability import logger

ITEM_OPERATIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
    "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
})

#: Error codes botocore's standard retry mode retries (besides any 5xx): these go back to botocore.
RETRYABLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
    "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
    "SlowDown", "PriorRequestNotComplete", "RequestTimeout", "RequestTimeoutException",
    "InternalServerError", "ServiceUnavailable",
})

#: A response that holds a binary value has one of these keys; botocore's parser decodes them.
_BINARY_KEYS = (b'"B":', b'"BS":')


def instrumented() -> bool:
    """Whether something replaced or wraps botocore's calls (X-Ray's and OpenTelemetry's patches are
    wrapt proxies, which pass for the function they wrap but are not functions; a test's recorder is
    a function of its own module): then every call goes through botocore, so that it is seen."""
    call = BaseClient.__dict__["_make_api_call"]
    return type(call) is not types.FunctionType or call.__module__ != "botocore.client"


class DirectClient:
    """A DynamoDB botocore client whose item calls take the short way (see the module's docstring).

    Everything else is the wrapped client's: attributes are looked up there, so pynamodb and any
    caller of ``client.update_item(...)`` see a botocore client (those generated methods take the full
    path; ``_make_api_call`` is the short one, and it is what pynamodb calls).
    """

    def __init__(self, client: Any) -> None:
        self.botocore_client = client
        self._local = threading.local()
        url = urlsplit(client.meta.endpoint_url)
        self._https = url.scheme == "https"
        self._host = url.hostname or ""
        self._port = url.port or (443 if self._https else 80)
        self._path = url.path or "/"
        self._url = f"{url.scheme}://{url.netloc}{self._path}"
        config = client.meta.config
        self._timeouts = (config.connect_timeout, config.read_timeout)
        self._region = client.meta.region_name
        proxied = bool(config.proxies) or (
            url.scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(self._host))
        self.usable = (url.scheme in ("http", "https") and bool(self._host) and not proxied
                       and client._service_model.resolved_protocol == "json")
        # As botocore verifies (a CA bundle path, True, or False); the context is made at the first
        # connection: loading the CAs takes milliseconds.
        self._verify: str | bool = getattr(client._endpoint.http_session, "_verify", True)
        self._tls: ssl.SSLContext | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.botocore_client, name)

    def _make_api_call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        client = self.botocore_client
        credentials = client._request_signer._credentials
        if operation not in ITEM_OPERATIONS or not self.usable or credentials is None or instrumented():
            return client._make_api_call(operation, params)  # type: ignore[no-any-return]
        model = client._service_model.operation_model(operation)
        events = client.meta.events
        context: dict[str, Any] = {}
        events.emit(f"before-parameter-build.dynamodb.{operation}", params=params, model=model, context=context)
        request_dict = client._serializer.serialize_to_request(params, model)
        # As botocore: its own handlers add headers here (the Lambda recursion-detection trace id), and
        # a handler's answer is the call's (botocore's Stubber answers here).
        _, answered = events.emit_until_response(f"before-call.dynamodb.{operation}", model=model,
                                                 params=request_dict, request_signer=client._request_signer,
                                                 context=context)
        if answered is not None:
            http_response, answer = answered
            if http_response.status_code >= 300:
                raise self._error(answer, operation)
            return answer  # type: ignore[no-any-return]
        request = AWSRequest(method="POST", url=self._url, data=request_dict["body"], headers=request_dict["headers"])
        SigV4Auth(credentials.get_frozen_credentials(), "dynamodb", self._region).add_auth(request)
        prepared = request.prepare()
        _, stubbed = events.emit_until_response(f"before-send.dynamodb.{operation}", request=prepared)
        if stubbed is not None:
            status, headers, body = stubbed.status_code, list(stubbed.headers.items()), stubbed.content
        else:
            try:
                status, headers, body = self._send(prepared)
            except ssl.SSLCertVerificationError:
                self.usable = False  # it would fail every time: botocore's way from now on
                logger.warning("DynamoDB's certificate did not verify on the short way; using botocore's")
                return client._make_api_call(operation, params)  # type: ignore[no-any-return]
            except (OSError, http.client.HTTPException):
                return client._make_api_call(operation, params)  # type: ignore[no-any-return]  # its retries
        if status == 200 and not any(key in body for key in _BINARY_KEYS):
            return orjson.loads(body)  # type: ignore[no-any-return]
        response = {"status_code": status, "headers": HeadersDict(headers), "body": body}
        parsed: dict[str, Any] = client._response_parser.parse(response, model.output_shape)
        if status < 300:
            return parsed
        code = _code(parsed)
        if status >= 500 or code in RETRYABLE_CODES:
            return client._make_api_call(operation, params)  # type: ignore[no-any-return]
        # As botocore's endpoint does: the error's own fields (the item of a failed condition, a
        # cancelled transaction's reasons) in a second pass.
        shape = client._service_model.shape_for_error_code(code) if code else None
        if shape is not None:
            parsed.update(client._response_parser.parse(response, shape))
        raise self._error(parsed, operation)

    def _error(self, parsed: dict[str, Any], operation: str) -> Exception:
        """botocore's modelled exception for an error answer (a ClientError)."""
        return self.botocore_client.exceptions.from_code(_code(parsed))(parsed, operation)  # type: ignore[no-any-return]

    def _send(self, prepared: Any) -> tuple[int, list[tuple[str, str]], bytes]:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect()
        try:
            connection.request("POST", self._path, body=prepared.body, headers=prepared.headers)
            response = connection.getresponse()
            body = response.read()
        except BaseException:
            connection.close()
            self._local.connection = None
            raise
        if response.will_close:
            connection.close()
            self._local.connection = None
        else:
            self._local.connection = connection
        return response.status, response.getheaders(), body

    def _connect(self) -> http.client.HTTPConnection:
        connect_s, read_s = self._timeouts
        if self._https and self._tls is None:
            self._tls = _tls_context(self._verify)
        connection = (http.client.HTTPSConnection(self._host, self._port, timeout=connect_s, context=self._tls)
                      if self._https else http.client.HTTPConnection(self._host, self._port, timeout=connect_s))
        connection.connect()
        if connection.sock is not None:
            connection.sock.settimeout(read_s)
        return connection


def _code(parsed: dict[str, Any]) -> str | None:
    error = parsed.get("Error", {})
    return error.get("QueryErrorCode") or error.get("Code")  # type: ignore[no-any-return]


def _tls_context(verify: str | bool) -> ssl.SSLContext:
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=verify if isinstance(verify, str) else get_cert_path(True))
