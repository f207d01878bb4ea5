"""Archive objects in S3: always written encrypted, read back with their ETag, deleted conditionally."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from botocore.exceptions import ClientError

from parley.coldstore.rawtable import made

#: gzip'd JSON lines; no Content-Encoding, so no HTTP client decompresses it behind our back.
CONTENT_TYPE = "application/gzip"


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    etag: str
    encryption: str | None
    metadata: dict[str, str]


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class ArchiveObjects:
    def __init__(self, s3: Any, bucket: str, *, sse: str = "AES256", kms_key_id: str | None = None) -> None:
        self._s3_source = s3
        self.bucket = bucket
        self._sse = sse
        self._kms_key_id = kms_key_id

    @cached_property
    def _s3(self) -> Any:
        return made(self._s3_source)

    def put(self, key: str, body: bytes, metadata: dict[str, str]) -> str:
        """Write (or overwrite) an archive; returns its ETag."""
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "Body": body,
            "ContentType": CONTENT_TYPE,
            "ServerSideEncryption": self._sse,
            "Metadata": metadata,
        }
        if self._sse == "aws:kms" and self._kms_key_id:
            params["SSEKMSKeyId"] = self._kms_key_id
        return str(self._s3.put_object(**params)["ETag"])

    def get(self, key: str) -> StoredObject | None:
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                return None
            raise
        return StoredObject(
            body=response["Body"].read(),
            etag=str(response["ETag"]),
            encryption=response.get("ServerSideEncryption"),
            metadata=dict(response.get("Metadata") or {}),
        )

    def delete(self, key: str, etag: str | None = None) -> bool:
        """Delete an archive; with ``etag``, only that version of it (S3 conditional delete).

        Returns False when a conditional delete found another object there (or none).
        """
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if etag is not None:
            params["IfMatch"] = etag
        try:
            self._s3.delete_object(**params)
        except ClientError as exc:
            if _code(exc) in ("PreconditionFailed", "NoSuchKey", "404", "412"):
                return False
            raise
        return True

    def get_text(self, key: str) -> str | None:
        found = self.get(key)
        return None if found is None else found.body.decode("utf-8")

    def put_text(self, key: str, text: str) -> None:
        self._s3.put_object(
            Bucket=self.bucket, Key=key, Body=text.encode("utf-8"), ContentType="application/json",
            ServerSideEncryption=self._sse,
        )
