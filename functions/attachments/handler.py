"""Lambda entry for attachment processing.

Two event sources, told apart per record:
- S3 ``ObjectCreated`` on ``uploads/``: read, extract (in a forked child: this process is
  single-threaded) and mark the record ready or failed.
- The attachments table's stream, ``REMOVE`` records (TTL expiry of never-sent uploads): delete
  the objects the record pointed to.

Every record is attempted; if any failed unexpectedly the invocation raises, so Lambda retries it
(processing is idempotent: a record already processed is left alone).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from parley.attachments.service import AttachmentService, build_attachment_service
from parley.settings import Settings

_service = build_attachment_service(Settings.from_env())


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return handle(event, _service)


def handle(event: dict[str, Any], service: AttachmentService) -> dict[str, int]:
    processed = forgotten = 0
    errors: list[BaseException] = []
    for record in event.get("Records", []):
        try:
            if record.get("eventSource") == "aws:s3" and str(record.get("eventName", "")).startswith("ObjectCreated"):
                service.process_upload(unquote_plus(record["s3"]["object"]["key"]))
                processed += 1
            elif record.get("eventSource") == "aws:dynamodb" and record.get("eventName") == "REMOVE":
                key = record.get("dynamodb", {}).get("Keys", {}).get("pk", {}).get("S")
                if key:
                    service.forget(key)
                    forgotten += 1
        except Exception as exc:  # noqa: BLE001 - try the other records, then fail the invocation
            errors.append(exc)
    if errors:
        raise errors[0]
    return {"processed": processed, "forgotten": forgotten}
