"""The asynchronous paths into the functions, each backed by a dead-letter queue with an alarm.

* S3 ``ObjectCreated`` under ``uploads/`` -> ``attachments`` (an asynchronous invoke: Lambda retries
  twice, then the event goes to the on-failure destination);
* the attachments table's stream (TTL removals) -> ``attachments`` (a poller: the function reports
  which records failed and only those are retried, three times, batches bisected, then the failed
  batch's description goes to the on-failure queue);
* the daily schedule -> ``coldstore`` (EventBridge retries delivery, then its own dead-letter queue;
  a run that fails after delivery goes to the function's on-failure destination).

Without these, an event that exhausts its retries is dropped silently. ``Observability`` alarms on
any message in these queues.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs

from infra_cdk.access import COLD_PREFIX, UPLOADS_PREFIX
from infra_cdk.data import Data
from infra_cdk.functions import ParleyFunction
from infra_cdk.nag import acknowledge

#: The cold-storage job runs daily at this UTC time: cron(17 3 * * ? *).
COLDSTORE_SCHEDULE = events.Schedule.cron(minute="17", hour="3")
ASYNC_RETRIES = 2


def dead_letter_queue(stack: Stack, construct_id: str) -> sqs.Queue:
    queue = sqs.Queue(stack, construct_id, encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                      retention_period=Duration.days(14))
    acknowledge(queue, "AwsSolutions-SQS3", "This queue is itself a dead-letter queue (a Lambda on-failure "
                                            "destination or EventBridge DLQ), alarmed on its depth.")
    return queue


def add_triggers(stack: Stack, data: Data, functions: dict[str, ParleyFunction],
                 primary: bool = True) -> dict[str, sqs.Queue]:
    """Wire the triggers of the functions present; the dead-letter queues by name.

    ``primary``: False in the other regions of a multi-region deployment, which process their own
    uploads but neither read the tables' streams (their tables are replicas, whose stream CDK cannot
    name) nor archive conversations (one region archives, into one bucket, so two jobs never race
    for the same global table items).
    """
    queues: dict[str, sqs.Queue] = {}
    attachments = functions.get("attachments")
    if attachments is not None:
        uploads = queues["attachments-uploads"] = dead_letter_queue(stack, "AttachmentsUploadsDlq")
        attachments.function.configure_async_invoke(
            retry_attempts=ASYNC_RETRIES, on_failure=destinations.SqsDestination(uploads))
        # Uploads land under uploads/ (presigned POST); derived files go elsewhere, so processing
        # never triggers itself.
        data.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.LambdaDestination(attachments.function),
            s3.NotificationKeyFilter(prefix=UPLOADS_PREFIX),
        )
        if primary:
            stream_dlq = queues["attachments-expiry"] = dead_letter_queue(stack, "AttachmentsExpiryDlq")
            # TTL expiry of never-sent uploads: DynamoDB's own deletes (REMOVE by the service
            # principal), not the app's, so the function deletes the objects the record pointed to.
            attachments.function.add_event_source(sources.DynamoEventSource(
                data.tables["table_attachments"], starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100, retry_attempts=3, bisect_batch_on_error=True, report_batch_item_failures=True,
                on_failure=sources.SqsDlq(stream_dlq),
                filters=[lambda_.FilterCriteria.filter({
                    "eventName": lambda_.FilterRule.is_equal("REMOVE"),
                    "userIdentity": {"type": lambda_.FilterRule.is_equal("Service"),
                                     "principalId": lambda_.FilterRule.is_equal("dynamodb.amazonaws.com")}})]))
    coldstore = functions.get("coldstore")
    if coldstore is not None and primary:
        dlq = queues["coldstore"] = dead_letter_queue(stack, "ColdstoreDlq")
        coldstore.function.configure_async_invoke(
            retry_attempts=ASYNC_RETRIES, on_failure=destinations.SqsDestination(dlq))
        events.Rule(stack, "ColdstoreSchedule", schedule=COLDSTORE_SCHEDULE,
                    description=f"Parley: move idle conversations to cold storage (s3 {COLD_PREFIX})",
                    targets=[targets.LambdaFunction(coldstore.function, retry_attempts=2, dead_letter_queue=dlq)])
    return queues
