"""What a function may do to the tables and the data bucket: named IAM action sets and key prefixes.

Pure Python (no CDK import). ``functions.py`` gives each function a ``TableGrant`` and a
``BucketGrant`` built from these; ``data.py`` turns them into policy statements. The key prefixes
are the data layer's own (imported where the data layer exports them), so the grants, the bucket's
lifecycle rules and the S3 trigger cannot drift from what the code writes.

Data bucket layout:

* ``conversations/<conversation id>/<message id>``: message contents too large for an item;
* ``temporary/conversations/...``: the same for temporary chats, expired by a lifecycle rule;
* ``cold/<user>/<conversation id>.json.gz``: archived (cold) conversations, and the job's cursor;
* ``uploads/<attachment id>``: browser uploads (presigned POST), deleted once processed;
* ``attachments/<attachment id>/...``: what processing derived (extracted text, chunks, images).
"""

from __future__ import annotations

from collections.abc import Mapping

from parley.attachments.uploads import OBJECTS_PREFIX, UPLOADS_PREFIX
from parley.conversations.repository import TEMPORARY_BLOB_PREFIX
from parley.settings import Settings

CONVERSATIONS_PREFIX = "conversations/"
#: The cold store's prefix (``Settings.coldstore_prefix``, set by the CDK app from this value).
COLD_PREFIX: str = Settings.model_fields["coldstore_prefix"].default
ATTACHMENTS_PREFIX = OBJECTS_PREFIX
TEMPORARY_PREFIX = TEMPORARY_BLOB_PREFIX
__all__ = ["ATTACHMENTS_PREFIX", "COLD_PREFIX", "CONVERSATIONS_PREFIX", "TEMPORARY_PREFIX", "UPLOADS_PREFIX"]

# -- DynamoDB -------------------------------------------------------------------------------------

GET_ITEM = "dynamodb:GetItem"
BATCH_GET = "dynamodb:BatchGetItem"
QUERY = "dynamodb:Query"
SCAN = "dynamodb:Scan"
CONDITION_CHECK = "dynamodb:ConditionCheckItem"
DESCRIBE = "dynamodb:DescribeTable"
PUT_ITEM = "dynamodb:PutItem"
UPDATE_ITEM = "dynamodb:UpdateItem"
DELETE_ITEM = "dynamodb:DeleteItem"
BATCH_WRITE = "dynamodb:BatchWriteItem"

#: Reads by key and index (transactions are authorized per item action: ConditionCheckItem, ...).
READ: tuple[str, ...] = (GET_ITEM, BATCH_GET, QUERY, CONDITION_CHECK, DESCRIBE)
READ_WRITE: tuple[str, ...] = (*READ, PUT_ITEM, UPDATE_ITEM, DELETE_ITEM, BATCH_WRITE)
#: The cold-storage job: scan for idle conversations, mark them (UpdateItem), read a partition
#: (Query), delete the archived items in guarded transactions (DeleteItem + ConditionCheckItem),
#: put items back when it finishes a crashed restore (BatchWriteItem).
COLDSTORE_JOB: tuple[str, ...] = (SCAN, QUERY, GET_ITEM, UPDATE_ITEM, BATCH_WRITE, DELETE_ITEM, CONDITION_CHECK)
#: The authorizer looks a key up by id and records when it was last used; nothing else.
AUTHORIZER_KEYS: tuple[str, ...] = (GET_ITEM, UPDATE_ITEM)
#: What a grant carries over to the tables' named indexes: Query only (no function scans an index).
INDEX_ACTIONS = frozenset({QUERY})

#: One action set for every table, or ``{Settings table field: action set}`` for only those.
TableGrant = tuple[str, ...] | Mapping[str, tuple[str, ...]]

# -- S3 -------------------------------------------------------------------------------------------

GET = "s3:GetObject"  # also HeadObject
PUT = "s3:PutObject"
DELETE = "s3:DeleteObject"  # also DeleteObjects (per key)

#: ``{key prefix: object actions}``. Any bucket access also gets ``s3:ListBucket`` on the bucket:
#: without it S3 answers 403 instead of 404 for a missing key, and the code tells "not there yet"
#: (an upload, an archive already restored) from a real error by that 404.
BucketGrant = Mapping[str, tuple[str, ...]]

#: Restoring a cold conversation (read, then delete the archive by ETag) and exporting one.
COLD_RESTORE: BucketGrant = {COLD_PREFIX: (GET, DELETE)}
#: Reading attachments into a turn; deleting them with their conversation or when found expired.
ATTACHMENT_USE: BucketGrant = {ATTACHMENTS_PREFIX: (GET, DELETE), UPLOADS_PREFIX: (DELETE,)}
#: Message contents offloaded to S3: written by the chat path, deleted with the conversation.
CONTENT_READ_WRITE: BucketGrant = {CONVERSATIONS_PREFIX: (GET, PUT, DELETE), TEMPORARY_PREFIX: (GET, PUT, DELETE)}


def merge(*grants: BucketGrant) -> dict[str, tuple[str, ...]]:
    """Union of bucket grants, prefix by prefix (actions kept in first-seen order)."""
    out: dict[str, tuple[str, ...]] = {}
    for grant in grants:
        for prefix, actions in grant.items():
            out[prefix] = tuple(dict.fromkeys((*out.get(prefix, ()), *actions)))
    return out


def api_bucket_grant() -> dict[str, tuple[str, ...]]:
    """The buffered API: conversations, restores and exports, attachments, and presigned uploads
    (a presigned POST is only valid if its signer may PutObject on the key)."""
    return merge(CONTENT_READ_WRITE, COLD_RESTORE, ATTACHMENT_USE, {UPLOADS_PREFIX: (PUT,)})


def chat_bucket_grant() -> dict[str, tuple[str, ...]]:
    """The streaming chat path: like the API without presigning uploads."""
    return merge(CONTENT_READ_WRITE, COLD_RESTORE, ATTACHMENT_USE)


def attachments_bucket_grant() -> dict[str, tuple[str, ...]]:
    """Attachment processing: read and delete the upload, write (and on expiry delete) what it derived."""
    return {UPLOADS_PREFIX: (GET, DELETE), ATTACHMENTS_PREFIX: (GET, PUT, DELETE)}


def coldstore_bucket_grant() -> dict[str, tuple[str, ...]]:
    """The cold-storage job: write, verify (read back) and on conflict delete archives; its cursor."""
    return {COLD_PREFIX: (GET, PUT, DELETE)}


def workflows_bucket_grant() -> dict[str, tuple[str, ...]]:
    """Workflow tasks read conversations (long messages live in S3) and write only to DynamoDB."""
    return {CONVERSATIONS_PREFIX: (GET,), TEMPORARY_PREFIX: (GET,)}
