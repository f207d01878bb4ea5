"""An attachment's objects in the data bucket: the upload, and what processing derived from it.

The layout (which key holds what) is ``uploads.py``'s; this is reading, writing and deleting there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parley.attachments.uploads import object_prefix, upload_key

if TYPE_CHECKING:
    from parley.storage.blobs import BlobStore


class AttachmentObjects:
    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs

    @property
    def _s3(self) -> Any:
        return self._blobs.client

    @property
    def _bucket(self) -> str:
        return self._blobs.bucket

    def head_upload(self, attachment_id: str) -> dict[str, Any] | None:
        """The upload's HEAD response; None when nothing is uploaded (yet)."""
        try:
            head: dict[str, Any] = self._s3.head_object(Bucket=self._bucket, Key=upload_key(attachment_id))
            return head
        except self._s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def read(self, key: str) -> bytes:
        body: bytes = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return body

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type,
                            ServerSideEncryption="AES256")

    def delete_upload(self, attachment_id: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=upload_key(attachment_id))

    def delete_all(self, attachment_id: str) -> None:
        """The upload and every derived object."""
        self.delete_upload(attachment_id)
        self._blobs.delete_prefix(object_prefix(attachment_id))


__all__ = ["AttachmentObjects"]
