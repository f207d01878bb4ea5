"""S3 objects for content too large for a DynamoDB item (never silently truncated)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any


class BlobStore:
    def __init__(self, s3_client: Callable[[], Any], bucket: str) -> None:
        self._make_client = s3_client
        self._bucket = bucket

    @cached_property
    def _s3(self) -> Any:
        # Made on first use: a boto3 client costs ~50 ms, and most requests never touch S3.
        return self._make_client()

    @property
    def bucket(self) -> str:
        return self._bucket

    @property
    def client(self) -> Any:
        return self._s3

    def put_text(self, key: str, text: str) -> None:
        self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=text.encode("utf-8"),
            ContentType="text/plain; charset=utf-8",
            ServerSideEncryption="AES256",
        )

    def get_text(self, key: str) -> str:
        body: bytes = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return body.decode("utf-8")

    def delete_prefix(self, prefix: str) -> None:
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:
                self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": keys, "Quiet": True})
