"""Where an attachment's bytes live in the data bucket, and the presigned upload a client sends them with.

Layout: the client uploads to ``uploads/<id>`` (the S3 trigger's prefix; a bucket lifecycle rule
deletes whatever is left there after a few days). Processing writes what the chat path reads under
``attachments/<id>/`` (``extracted.json``, ``chunks.json``, and ``original`` for images, whose bytes
go to the model) and then deletes the upload. Derived files stay out of ``uploads/`` so that writing
them never triggers processing again, and so the lifecycle rule cannot expire a used attachment.

Why a presigned POST and not a PUT: a POST policy can bind the upload to the declared size
(``content-length-range``) and content type, and S3 itself refuses anything else; a presigned PUT
cannot limit the size at all. The client sends ``multipart/form-data`` to ``url`` with every entry of
``fields`` (in order) and the file last, in a part named ``file``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from parley.ids import is_id

UPLOADS_PREFIX = "uploads/"
OBJECTS_PREFIX = "attachments/"
#: The longest an upload URL may live (the issue's limit: 15 minutes).
MAX_UPLOAD_EXPIRES_S = 900
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


def upload_key(attachment_id: str) -> str:
    return f"{UPLOADS_PREFIX}{attachment_id}"


def object_prefix(attachment_id: str) -> str:
    return f"{OBJECTS_PREFIX}{attachment_id}/"


def extracted_key(attachment_id: str) -> str:
    return f"{object_prefix(attachment_id)}extracted.json"


def chunks_key(attachment_id: str) -> str:
    return f"{object_prefix(attachment_id)}chunks.json"


def original_key(attachment_id: str) -> str:
    return f"{object_prefix(attachment_id)}original"


def attachment_id_from_key(key: str) -> str | None:
    """The attachment id of an upload key, or None for any other key."""
    if not key.startswith(UPLOADS_PREFIX):
        return None
    rest = key[len(UPLOADS_PREFIX):]
    return rest if is_id(rest) else None


def is_plain_content_type(value: str) -> bool:
    """A bare ``type/subtype`` safe to put in a POST policy and on the stored object."""
    return bool(_CONTENT_TYPE.match(value))


@dataclass(frozen=True)
class PresignedUpload:
    url: str
    method: Literal["POST"]
    #: Form fields to send before the file (key, policy, signature, Content-Type...).
    fields: dict[str, str]
    #: Epoch milliseconds after which S3 refuses the upload.
    expires_at: int


def signing_client(region: str, endpoint_url: str | None) -> Any:
    """An S3 client for signing only (no request is made): SigV4, regional or the given endpoint.

    Without an endpoint the URL is the regional virtual-hosted one (``<bucket>.s3.<region>.amazonaws.com``):
    the global endpoint answers a redirect for young buckets outside us-east-1, which a form POST
    from a browser does not follow with its body.
    """
    import boto3
    from botocore.config import Config

    style: Literal["virtual", "path"]
    if endpoint_url is None:
        endpoint_url = f"https://s3.{region}.amazonaws.com"
        style = "virtual"
    else:
        style = "path"  # loopback emulators have no per-bucket host names
    config = Config(signature_version="s3v4", s3={"addressing_style": style})
    return boto3.client("s3", region_name=region, endpoint_url=endpoint_url, config=config)


class UploadSigner:
    """Presigned POSTs bound to one key, one exact size and one content type."""

    def __init__(self, client: Callable[[], Any], bucket: str, expires_s: int = MAX_UPLOAD_EXPIRES_S) -> None:
        if not 1 <= expires_s <= MAX_UPLOAD_EXPIRES_S:
            raise ValueError(f"upload URLs may live 1 to {MAX_UPLOAD_EXPIRES_S} s (got {expires_s})")
        self._make_client = client
        self._bucket = bucket
        self._expires_s = expires_s

    @cached_property
    def _client(self) -> Any:
        # Made on first use: in local mode that starts the loopback S3 server, which most runs never need.
        return self._make_client()

    def presign(self, key: str, *, content_type: str, size: int, now_ms: int) -> PresignedUpload:
        post = self._client.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", size, size]],
            ExpiresIn=self._expires_s,
        )
        return PresignedUpload(
            url=post["url"],
            method="POST",
            fields={k: str(v) for k, v in post["fields"].items()},
            expires_at=now_ms + self._expires_s * 1000,
        )


__all__ = [
    "MAX_UPLOAD_EXPIRES_S",
    "OBJECTS_PREFIX",
    "UPLOADS_PREFIX",
    "PresignedUpload",
    "UploadSigner",
    "attachment_id_from_key",
    "chunks_key",
    "extracted_key",
    "is_plain_content_type",
    "object_prefix",
    "original_key",
    "signing_client",
    "upload_key",
]
