"""Warm DynamoDB Local's JVM in the background once the app is up.

A fresh DynamoDB Local runs its first few hundred requests in the JVM's interpreter while the JIT
compiles its request path: measured here, a conditional UpdateItem costs 11-15 ms of CPU at first
and about 1 ms once compiled, and it takes some 150 requests to get there. Without this, the first
minute of use pays that (about 1.2 s of CPU in all) inside the user's turns: the first messages after
``parley dev`` are the slowest. The warm-up sends the kinds of request the app sends (conditional
updates returning the new item, conditional puts, queries newest first, transactions, gets) to a
scratch table of its own, never to a table that holds data, and deletes that table at the end.

With ``-XX:CompileThresholdScaling`` (see ``servers.py``) about 40 rounds of five requests are
enough; that is ~1.3 s of CPU spent right after start-up instead of during the first turns.
"""

from __future__ import annotations

import threading
from typing import Any

from parley.observability import logger

#: Not a name the app uses for any table (theirs all start with the stack's prefix and a dash).
TABLE = "parley.jvm-warmup"
ROUNDS = 40


def start_warm_up(endpoint: str, *, access_key: str, secret_key: str, rounds: int = ROUNDS) -> threading.Thread:
    """Warm DynamoDB Local at ``endpoint`` in a daemon thread (returned, for tests to join)."""
    thread = threading.Thread(target=warm_up, args=(endpoint, access_key, secret_key, rounds),
                              name="parley-dynamodb-warmup", daemon=True)
    thread.start()
    return thread


def warm_up(endpoint: str, access_key: str, secret_key: str, rounds: int = ROUNDS) -> int:
    """Send ``rounds`` rounds of requests; returns how many were sent. Never raises: the warm-up is an
    optimisation, and the servers may be stopping under it."""
    import boto3
    from botocore.config import Config

    sent = 0
    try:
        client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                              config=Config(retries={"max_attempts": 1}))
        _create_table(client)
        for i in range(rounds):
            for request in _round(i):
                request(client)
                sent += 1
        client.delete_table(TableName=TABLE)
    except Exception as exc:  # the servers are stopping under it
        logger.info("DynamoDB Local warm-up ended early after %d requests: %s", sent, type(exc).__name__)
    return sent


def _create_table(client: Any) -> None:
    def create() -> None:
        client.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}])

    try:
        create()
    except client.exceptions.ResourceInUseException:  # left by a run killed during its warm-up
        client.delete_table(TableName=TABLE)
        create()


_KEY = {"pk": {"S": "user"}, "sk": {"S": "LEDGER"}}
_ONE = {":one": {"N": "1"}, ":limit": {"N": "1000000000"}}
#: As the usage ledger's admission asks: a counter under a limit, or not there yet.
_UNDER_LIMIT = "(attribute_not_exists(#h) OR #h < :limit) AND (attribute_not_exists(#t) OR #t < :limit)"


def _round(i: int) -> tuple[Any, ...]:
    sk = {"S": f"m#{i:06d}"}

    def update(client: Any) -> None:
        client.update_item(
            TableName=TABLE, Key=_KEY, UpdateExpression="ADD #h :one", ReturnValues="ALL_NEW",
            ConditionExpression=_UNDER_LIMIT, ExpressionAttributeNames={"#h": "h", "#t": "t"},
            ExpressionAttributeValues=_ONE)

    def put(client: Any) -> None:
        client.put_item(TableName=TABLE, Item={"pk": {"S": "conversation"}, "sk": sk, "text": {"S": "warm " * 40}},
                        ConditionExpression="attribute_not_exists(pk)")

    def query(client: Any) -> None:
        client.query(TableName=TABLE, KeyConditionExpression="pk = :p AND begins_with(sk, :m)",
                     ExpressionAttributeValues={":p": {"S": "conversation"}, ":m": {"S": "m#"}},
                     ScanIndexForward=False, Limit=20)

    def transact(client: Any) -> None:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "turn"}, "sk": sk, "text": {"S": "warm"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {"TableName": TABLE, "Key": _KEY, "UpdateExpression": "ADD #n :one",
                        "ExpressionAttributeNames": {"#n": "n"}, "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        ])

    def get(client: Any) -> None:
        client.get_item(TableName=TABLE, Key=_KEY)

    return update, put, query, transact, get
