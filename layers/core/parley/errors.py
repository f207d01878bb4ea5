"""Errors the API answers with: ``{code, message, retryable}`` and the contract's status codes."""

from __future__ import annotations

from collections.abc import Mapping


class ApiError(Exception):
    """An error a client sees. Raised anywhere in the core; rendered once, by the app."""

    status: int = 500
    code: str = "internal_error"
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        retryable: bool | None = None,
        headers: Mapping[str, str] | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        #: The request field at fault, where one is (OpenAI's error ``param``).
        self.param = param
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if retryable is not None:
            self.retryable = retryable
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "retryable": self.retryable}


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class ValidationFailed(ApiError):
    status, code = 422, "validation_error"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class NotFound(ApiError):
    """Missing, or belonging to another user: the two are indistinguishable by design."""

    status, code = 404, "not_found"


class Forbidden(ApiError):
    """A member asking for what their role does not allow (only ever for a conversation they can see:
    to anyone else it is a 404)."""

    status, code = 403, "forbidden_role"


class Conflict(ApiError):
    status, code = 409, "conflict"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class RateLimited(ApiError):
    status, code, retryable = 429, "rate_limited", True


class ServiceUnavailable(ApiError):
    status, code, retryable = 503, "service_unavailable", True
