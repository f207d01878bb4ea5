"""One place that renders every error as ``{code, message, retryable}``, and the one mapping from the
core's errors to HTTP statuses and headers."""

from __future__ import annotations

import time
from collections.abc import Mapping

from botocore.exceptions import BotoCoreError, ClientError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pynamodb.exceptions import PynamoDBException
from starlette.exceptions import HTTPException as StarletteHTTPException

from parley.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ParleyError,
    PayloadTooLarge,
    Quota,
    RateLimited,
    ServiceUnavailable,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from parley.observability import logger

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


#: The status of each kind of error; a subclass answers with its nearest listed ancestor's.
_STATUS: dict[type, int] = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    ValidationFailed: 422,
    RateLimited: 429,
    ServiceUnavailable: 503,
}


def status_of(exc: ParleyError) -> int:
    for kind in type(exc).__mro__:
        status = _STATUS.get(kind)
        if status is not None:
            return status
    return 500


def quota_headers(quota: Quota | None, now: float | None = None) -> dict[str, str]:
    """OpenAI's rate-limit headers, which its clients read, for a caller's standing."""
    if quota is None:
        return {}
    seconds = max(int(quota.reset_at - (now or time.time())), 0)
    return {
        "x-ratelimit-limit-requests": str(quota.limit),
        "x-ratelimit-remaining-requests": str(quota.remaining),
        # OpenAI's format: a duration such as "6m0s".
        "x-ratelimit-reset-requests": f"{seconds // 60}m{seconds % 60}s" if seconds >= 60 else f"{seconds}s",
    }


def headers_of(exc: ParleyError) -> dict[str, str]:
    headers = quota_headers(exc.quota)
    if exc.retry_after_s is not None:
        headers["Retry-After"] = str(exc.retry_after_s)
    return headers


#: Our error codes that OpenAI spells differently, with the status OpenAI answers them with.
_OPENAI_CODES = {"unknown_model": (404, "model_not_found"), "validation_error": (400, "invalid_value")}


def error_response(status: int, code: str, message: str, retryable: bool = False,
                   headers: Mapping[str, str] | None = None,
                   request: Request | None = None, param: str | None = None) -> JSONResponse:
    if request is not None and request.url.path.startswith("/v1/"):
        return _openai_error(status, code, message, headers, param)
    return JSONResponse(
        status_code=status,
        content={"code": code, "message": message, "retryable": retryable},
        headers=headers,
    )


def _openai_error(status: int, code: str, message: str, headers: Mapping[str, str] | None,
                  param: str | None) -> JSONResponse:
    """The OpenAI-compatible API answers in OpenAI's error shape and vocabulary, which its clients
    parse: a client error is type ``invalid_request_error`` (a bad key too, code ``invalid_api_key``)."""
    status, code = _OPENAI_CODES.get(code, (400 if status == 422 else status, code))
    if status == 401:
        code = "invalid_api_key"
    if status == 429:
        kind = "rate_limit_error"
    elif status >= 500:
        kind = "server_error"
    else:
        kind = "invalid_request_error"
    error = {"message": message, "type": kind, "param": param, "code": code}
    return JSONResponse(status_code=status, content={"error": error}, headers=headers)


def _param(exc: RequestValidationError) -> str | None:
    """The top-level body field of the first error (OpenAI's ``param``)."""
    for err in exc.errors():
        loc = [p for p in err.get("loc", ()) if p != "body"]
        if loc and isinstance(loc[0], str):
            return loc[0]
    return None


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
    return "; ".join(parts) or "invalid request"


def _body_not_json(request: Request, exc: RequestValidationError) -> bool:
    """A body was sent as something other than JSON: every body this API takes is JSON, so that
    is the wrong media type (415), not an invalid value (422)."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not content_type or content_type == "application/json" or content_type.endswith("+json"):
        return False
    return any(tuple(err.get("loc", ()))[:1] == ("body",) for err in exc.errors())


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ParleyError)
    async def _domain_error(request: Request, exc: ParleyError) -> JSONResponse:
        if status_of(exc) >= 500:
            logger.error("request failed", extra={"error_type": type(exc).__name__, "code": exc.code})
        return error_response(status_of(exc), exc.code, exc.message, exc.retryable, headers_of(exc) or None,
                              request, exc.param)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if _body_not_json(request, exc):
            return error_response(415, "unsupported_media_type", "the body must be JSON (Content-Type: "
                                  "application/json)", request=request)
        return error_response(422, "validation_error", _describe(exc), request=request, param=_param(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail), exc.status_code >= 500, exc.headers, request)

    async def _aws_error(request: Request, exc: Exception) -> JSONResponse:
        if is_transient(exc):
            # Throttling or a brief outage of a dependency (after the SDK's own retries): the client may
            # retry; nothing was half-stored, because every multi-item write is a transaction.
            logger.warning("dependency unavailable", extra={"error_type": type(exc).__name__})
            return error_response(503, "service_unavailable", "temporarily unavailable, please retry", True,
                                  {"Retry-After": "1"}, request)
        logger.exception("AWS call failed", extra={"error_type": type(exc).__name__})
        return error_response(500, "internal_error", "internal error", True, request=request)

    for aws_exception in (PynamoDBException, ClientError, BotoCoreError):
        app.add_exception_handler(aws_exception, _aws_error)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return error_response(500, "internal_error", "internal error", True, request=request)


_TRANSIENT_CODES = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "ServiceUnavailable", "TransactionConflictException", "SlowDown",
    "RequestTimeout", "InternalError", "503",
}


def is_transient(exc: BaseException) -> bool:
    """Whether an exception (or what caused it) is a throttle or transient fault of AWS."""
    from botocore.exceptions import ClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 5:
        if isinstance(current, BotoConnectionError):
            return True
        if isinstance(current, ClientError) and current.response.get("Error", {}).get("Code") in _TRANSIENT_CODES:
            return True
        code = getattr(current, "cause_response_code", None)
        if code in _TRANSIENT_CODES:
            return True
        current = current.__cause__ or current.__context__ or getattr(current, "cause", None)
        seen += 1
    return False
