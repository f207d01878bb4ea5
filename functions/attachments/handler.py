"""Lambda entry for attachment processing.

Two event sources (``infra_cdk/triggers.py``), one per invocation:
- S3 ``ObjectCreated`` on ``uploads/``, invoked by S3 directly (asynchronously): read, extract (in a
  forked child: this process is single-threaded) and mark the record ready or failed. Each record is
  processed on its own, so one bad record never stops the others; if any failed unexpectedly the
  invocation then raises, and Lambda's asynchronous retries (then the on-failure queue) take over.
  There are no batch item failures for this source; a retry finds the records that succeeded
  already processed and leaves them alone.
- The attachments table's stream, ``REMOVE`` records (TTL expiry of never-sent uploads): delete the
  objects the record pointed to. A partial batch response (``ReportBatchItemFailures``): only the
  records that failed are retried.
"""

from __future__ import annotations

import gc

gc.disable()  # start-up runs without the garbage collector: see parley.heap

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from parley.attachments.service import AttachmentService, build_attachment_service
from parley.heap import after_start_up
from parley.observability import lambda_entry, logger
from parley.settings import Settings


def handle(event: dict[str, Any], service: AttachmentService, context: Any = None) -> Mapping[str, object]:
    records = event.get("Records") or []
    if records and records[0].get("eventSource") == "aws:dynamodb":
        # Imported here (~50 ms): a container started by an upload, which a user is waiting on, never
        # needs it; TTL clean-up is in no hurry.
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

        return process_partial_response(event=event, record_handler=lambda record: _forget(record, service),
                                        processor=BatchProcessor(event_type=EventType.DynamoDBStreams),
                                        context=context)
    return _process_uploads(S3Event(event), service)


def _process_uploads(event: S3Event, service: AttachmentService) -> dict[str, int]:
    processed = 0
    errors: list[Exception] = []
    for record in event.records:
        if not record.event_name.startswith("ObjectCreated"):
            continue
        try:
            service.process_upload(record.s3.get_object.key)  # the data class unquotes the key
            processed += 1
        except Exception as exc:  # noqa: BLE001 - the other records still get processed
            logger.exception("attachment upload failed", extra={"error_type": type(exc).__name__})
            errors.append(exc)
    if errors:
        raise errors[0]
    return {"processed": processed}


def _forget(record: DynamoDBRecord, service: AttachmentService) -> None:
    if record.event_name is not DynamoDBRecordEventName.REMOVE or record.dynamodb is None:
        return
    key = record.dynamodb.keys.get("pk")
    if isinstance(key, str) and key:
        service.forget(key)


_settings = Settings.from_env()
_service = build_attachment_service(_settings)
handler = lambda_entry(_settings, lambda event, context: handle(event, _service, context))

after_start_up()
