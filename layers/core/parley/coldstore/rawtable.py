"""The conversations table as raw DynamoDB items (low-level client).

The cold store moves every item of a partition whatever its kind, so it works below the pynamodb
models: keys and attribute values as DynamoDB sends them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from botocore.exceptions import ClientError

from parley.coldstore.codec import RawItem

BATCH_WRITE_MAX = 25
#: TransactWriteItems takes at most 100 actions: one guard plus this many deletes.
TX_DELETES_MAX = 99
_CONFLICT_RETRIES = 6


class ConditionFailed(Exception):
    """A conditional write whose condition did not hold."""


def key_of(item: RawItem) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _pause(attempt: int) -> None:
    time.sleep(min(0.5, 0.02 * 2**attempt) * (0.5 + random.random()))


@dataclass
class Expr:
    """Placeholders for one expression: ``#n`` for names, ``:v`` for values."""

    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    def n(self, attr: str) -> str:
        for placeholder, name in self.names.items():
            if name == attr:
                return placeholder
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attr
        return placeholder

    def v(self, value: dict[str, Any]) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.names:
            out["ExpressionAttributeNames"] = dict(self.names)
        if self.values:
            out["ExpressionAttributeValues"] = dict(self.values)
        return out


def made(source: Any) -> Any:
    """A boto3 client, given ready-made or as the function that makes it (boto3 clients are not
    callable). Making it on first use keeps it off the Lambda init path of requests that never
    touch a cold conversation."""
    return source() if callable(source) else source


class RawTable:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client_source = client
        self.name = table_name

    @cached_property
    def client(self) -> Any:
        return made(self._client_source)

    def get(self, pk: str, sk: str) -> RawItem | None:
        response = self.client.get_item(TableName=self.name, Key=_key(pk, sk), ConsistentRead=True)
        item: RawItem | None = response.get("Item")
        return item

    def partition(self, pk: str, *, keys_only: bool = False) -> list[RawItem]:
        """Every item of a partition, from a consistent (paginated) Query."""
        params: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": True,
        }
        if keys_only:
            params["ProjectionExpression"] = "pk, sk"
        items: list[RawItem] = []
        while True:
            page = self.client.query(**params)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def update(
        self, pk: str, sk: str, expr: Expr, *, update: str, condition: str, return_new: bool = False
    ) -> RawItem | None:
        """A conditional UpdateItem; ``ConditionFailed`` when the condition does not hold."""
        params: dict[str, Any] = {
            "TableName": self.name,
            "Key": _key(pk, sk),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            **expr.params(),
        }
        if return_new:
            params["ReturnValues"] = "ALL_NEW"
        for attempt in range(_CONFLICT_RETRIES):
            try:
                attributes: RawItem | None = self.client.update_item(**params).get("Attributes")
                return attributes
            except ClientError as exc:
                code = _code(exc)
                if code == "ConditionalCheckFailedException":
                    raise ConditionFailed(condition) from exc
                # A transaction holding the item (the archiver's guarded deletes): wait it out.
                if code != "TransactionConflictException" or attempt == _CONFLICT_RETRIES - 1:
                    raise
                _pause(attempt)
        raise AssertionError("unreachable")

    def put_all(self, items: Sequence[RawItem], parallelism: int = 1) -> None:
        """BatchWriteItem in chunks of 25 (unconditional), retrying unprocessed items."""
        chunks = [items[i : i + BATCH_WRITE_MAX] for i in range(0, len(items), BATCH_WRITE_MAX)]
        if parallelism > 1 and len(chunks) > 1:
            with ThreadPoolExecutor(max_workers=min(parallelism, len(chunks))) as pool:
                list(pool.map(self._put_chunk, chunks))
        else:
            for chunk in chunks:
                self._put_chunk(chunk)

    def _put_chunk(self, chunk: Sequence[RawItem]) -> None:
        requests: dict[str, Any] = {self.name: [{"PutRequest": {"Item": item}} for item in chunk]}
        for attempt in range(10):
            left = self.client.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
            if not left:
                return
            requests = left
            _pause(attempt)
        raise RuntimeError("batch write left items unprocessed after retries")

    def delete_all(self, keys: Iterable[tuple[str, str]]) -> None:
        """Unconditional batch deletes (cleaning up after a conversation that was deleted)."""
        keys = list(keys)
        for i in range(0, len(keys), BATCH_WRITE_MAX):
            requests: dict[str, Any] = {
                self.name: [{"DeleteRequest": {"Key": _key(pk, sk)}} for pk, sk in keys[i : i + BATCH_WRITE_MAX]]
            }
            for attempt in range(10):
                left = self.client.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
                if not left:
                    break
                requests = left
                _pause(attempt)
            else:
                raise RuntimeError("batch delete left items unprocessed after retries")

    def delete_guarded(
        self, keys: Sequence[tuple[str, str]], guard_key: tuple[str, str], guard: Expr, condition: str
    ) -> Iterator[int]:
        """Delete ``keys`` in transactions, each one also checking ``condition`` on ``guard_key``.

        Yields after each transaction (the number deleted so far). Raises ``ConditionFailed`` as soon
        as the guard no longer holds: nothing of that transaction is deleted.
        """
        done = 0
        for i in range(0, len(keys), TX_DELETES_MAX):
            chunk = keys[i : i + TX_DELETES_MAX]
            actions: list[dict[str, Any]] = [
                {
                    "ConditionCheck": {
                        "TableName": self.name,
                        "Key": _key(*guard_key),
                        "ConditionExpression": condition,
                        **guard.params(),
                    }
                }
            ]
            actions += [{"Delete": {"TableName": self.name, "Key": _key(pk, sk)}} for pk, sk in chunk]
            self._transact(actions)
            done += len(chunk)
            yield done

    def _transact(self, actions: list[dict[str, Any]]) -> None:
        for attempt in range(_CONFLICT_RETRIES):
            try:
                self.client.transact_write_items(TransactItems=actions)
                return
            except ClientError as exc:
                if _code(exc) != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in reasons:
                    raise ConditionFailed("transaction guard") from exc
                if "TransactionConflict" not in reasons or attempt == _CONFLICT_RETRIES - 1:
                    raise
                _pause(attempt)

    def scan_page(
        self, expr: Expr, *, filter: str, projection: Sequence[str], limit: int, start: dict[str, Any] | None
    ) -> tuple[list[RawItem], dict[str, Any] | None]:
        params: dict[str, Any] = {
            "TableName": self.name,
            "FilterExpression": filter,
            "ProjectionExpression": ", ".join(expr.n(a) for a in projection),
            "Limit": limit,
        }
        params.update(expr.params())
        if start:
            params["ExclusiveStartKey"] = start
        page = self.client.scan(**params)
        return page.get("Items", []), page.get("LastEvaluatedKey")
