"""The errors a caller can act on, named by what went wrong, not by a protocol.

Each carries a stable ``code``, a message fit to show, and whether a retry may succeed. How they
are answered (HTTP statuses and headers, OpenAI's error shape) is decided in one place,
:mod:`parley.api.errors`; the core never speaks HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Quota:
    """Where a caller stands against a rate limit: what the limit is, what is left, when it resets."""

    limit: int
    remaining: int
    #: Epoch seconds.
    reset_at: int


class ParleyError(Exception):
    """An error a client sees. Raised anywhere in the core; rendered once, by the API layer."""

    code: str = "internal_error"
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        retryable: bool | None = None,
        param: str | None = None,
        retry_after_s: int | None = None,
        quota: Quota | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        #: The request field at fault, where one is (OpenAI's error ``param``).
        self.param = param
        if code is not None:
            self.code = code
        if retryable is not None:
            self.retryable = retryable
        #: When a retry may succeed, where that is known.
        self.retry_after_s = retry_after_s
        #: The caller's standing against the limit that refused them (a rate limit).
        self.quota = quota

    def body(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "retryable": self.retryable}


class BadRequest(ParleyError):
    """A request that cannot be served as asked (malformed, or refused by a policy)."""

    code = "bad_request"


class ValidationFailed(ParleyError):
    """A well-formed request with a value that is not allowed."""

    code = "validation_error"


class Unauthorized(ParleyError):
    code = "unauthorized"


class NotFound(ParleyError):
    """Missing, or belonging to another user: the two are indistinguishable by design."""

    code = "not_found"


class Forbidden(ParleyError):
    """A member asking for what their role does not allow (only ever for a conversation they can see:
    to anyone else it is a NotFound)."""

    code = "forbidden_role"


class Conflict(ParleyError):
    """The state changed under the request, or the request repeats one still running."""

    code = "conflict"


class PayloadTooLarge(ParleyError):
    code = "payload_too_large"


class UnsupportedMediaType(ParleyError):
    code = "unsupported_media_type"


class RateLimited(ParleyError):
    code, retryable = "rate_limited", True


class ServiceUnavailable(ParleyError):
    code, retryable = "service_unavailable", True
