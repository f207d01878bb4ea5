"""The one place that knows pynamodb's internals: binding item templates to tables, raw updates,
transactions and their failed conditions, and the schema the CDK app deploys.

Item models are written once, at module level, as *templates* (typed attributes, no table). An app
binds them at start-up to the table names of its settings: :func:`bind` makes a subclass with the
app's ``Meta``. Several apps may live in one process (the tests do), so a binding shares nothing
mutable with another: pynamodb keeps a polymorphic family's class registry on its
``DiscriminatorAttribute`` instance, so each bound root gets its own (:func:`bind_root`) and its kinds
register there (:func:`bind_kind`); indexes are copied per class by pynamodb itself (each copy points
at its own model), and each class caches its own connection, checked against its table name.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from botocore.exceptions import ClientError
from pynamodb.attributes import Attribute, DiscriminatorAttribute, TTLAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action, Update
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from parley.storage.direct import DirectClient

M = TypeVar("M", bound=Model)
T = TypeVar("T")

CONDITION_FAILED = "ConditionalCheckFailedException"


# -- binding ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """Where an app's tables are: the region, and DynamoDB Local's address in local mode."""

    region: str
    host: str | None = None


def table_meta(table_name: str, endpoint: Endpoint) -> type:
    """A pynamodb ``Meta`` class for one table (names and endpoints are never fixed at import time)."""
    attrs: dict[str, Any] = {
        "table_name": table_name,
        "region": endpoint.region,
        "billing_mode": "PAY_PER_REQUEST",
        "max_retry_attempts": 5,
        # Every table of an endpoint shares one client (see _connection_of): one pool for all of them,
        # as wide as the threads that may call at once.
        "max_pool_connections": 64,
    }
    if endpoint.host:
        attrs["host"] = endpoint.host
    return type("Meta", (), attrs)


def nullable(attribute: Attribute[T]) -> Attribute[T | None]:
    """``attribute`` with ``null=True``, typed so that reading it may give None (pynamodb's own types
    say a nullable attribute is never None)."""
    attribute.null = True
    return attribute  # type: ignore[return-value]  # the same object; only its static type widens


def bind(template: type[M], table_name: str, endpoint: Endpoint) -> type[M]:
    """A single-kind template bound to a table: a subclass with its own ``Meta``."""
    return _subclass(template, (template,), table_meta(table_name, endpoint), None)


def bind_root(template: type[M], table_name: str, endpoint: Endpoint) -> type[M]:
    """The root of a polymorphic family bound to a table, with a discriminator of its own: the
    template's registry (shared by every binding) is never consulted for this binding's items."""
    name, attr = _discriminator_of(template)
    fresh = DiscriminatorAttribute(attr_name=attr.attr_name)
    return _subclass(template, (template,), table_meta(table_name, endpoint), None, {name: fresh})


def bind_kind(template: type[M], root: type[Model]) -> type[M]:
    """A kind of a family (a subclass of the root template) bound under ``root`` (from
    :func:`bind_root`): it is a ``template`` to the type checker and to ``isinstance``, and stores and
    loads through ``root``'s table and discriminator."""
    _, attr = _discriminator_of(template)
    value = attr.get_discriminator(template)
    if value is None:
        raise ValueError(f"{template.__name__} has no discriminator value")
    return _subclass(template, (template, root), root.Meta, value)


def _discriminator_of(template: type[Model]) -> tuple[str, DiscriminatorAttribute]:
    found = [(n, a) for n, a in template.get_attributes().items() if isinstance(a, DiscriminatorAttribute)]
    if len(found) != 1:
        raise ValueError(f"{template.__name__} needs exactly one DiscriminatorAttribute")
    return found[0]


def _subclass(template: type[M], bases: tuple[type, ...], meta: Any, discriminator: str | None,
              extra: Mapping[str, Any] | None = None) -> type[M]:
    namespace: dict[str, Any] = {"Meta": meta, "__module__": template.__module__,
                                 "_get_connection": classmethod(_connection_of), **(extra or {})}
    kwds = {"discriminator": discriminator} if discriminator is not None else {}
    bound = types.new_class(template.__name__, bases, kwds, lambda ns: ns.update(namespace))
    return bound  # new_class returns Any; it is a subclass of template


# -- one botocore client per endpoint ----------------------------------------------------------------

_PYNAMODB_CONNECTION = Model.__dict__["_get_connection"].__func__
_clients: dict[tuple[object, ...], Any] = {}
_clients_lock = threading.Lock()


def _connection_of(model: type[Model]) -> Any:
    """pynamodb's cached connection of ``model``, given the client its endpoint shares.

    Left to itself pynamodb gives each model class a botocore session and client of its own: ~80 ms of
    CPU each (the service model's JSON parsed again per session), paid by the first request that
    touches each table, in every Lambda instance and at every local start. botocore clients are
    thread-safe, and every bound table of an endpoint is configured alike.
    """
    table = _PYNAMODB_CONNECTION(model)
    share_client(table.connection)
    return table


def share_client(connection: Connection) -> None:
    """Give ``connection`` (unless it has one) the client of its endpoint and configuration, created
    once per process."""
    if connection._client is not None:
        return
    key = (connection.region, connection.host, connection._max_retry_attempts_exception,
           connection._max_pool_connections, connection._connect_timeout_seconds, connection._read_timeout_seconds)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            # Built by pynamodb, with its own settings; its item calls take the short way (direct.py).
            client = _clients[key] = DirectClient(connection.client)
        connection._client = client  # type: ignore[assignment]  # a botocore client to pynamodb (it delegates)


def table_name(model: type[Model]) -> str:
    return model.Meta.table_name


def endpoint_of(model: type[Model]) -> Endpoint:
    return Endpoint(model.Meta.region or "", getattr(model.Meta, "host", None))


# -- conditions ------------------------------------------------------------------------------------


def is_condition_failure(exc: Exception) -> bool:
    """Whether a pynamodb write failed on its condition (as opposed to any other error)."""
    return getattr(exc, "cause_response_code", None) == CONDITION_FAILED


class ConditionFailed(Exception):
    """A raw update's condition failed; ``old`` is the item as it was (plain values)."""

    def __init__(self, old: dict[str, Any]) -> None:
        super().__init__("condition failed")
        self.old = old


# -- raw items (attributes that are not model fields, such as the ledger's per-period counters) -----


def update_raw(model: type[Model], key: Mapping[str, str], actions: Sequence[Action], condition: Condition | None,
               return_values: Literal["ALL_NEW", "NONE"]) -> dict[str, Any]:
    """UpdateItem through botocore with pynamodb's expression serializers: pynamodb's own
    update_item cannot ask for the old item when a condition fails (ConditionFailed.old has it).
    Returns the new item's attributes (numbers as floats) when ``return_values`` is ALL_NEW."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    kwargs: dict[str, Any] = {
        "TableName": model.Meta.table_name,
        "Key": {name: {"S": value} for name, value in key.items()},
        "UpdateExpression": Update(*actions).serialize(names, values),
        "ReturnValues": return_values,
    }
    if condition is not None:
        kwargs["ConditionExpression"] = condition.serialize(names, values)
        kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    kwargs["ExpressionAttributeNames"] = {v: k for k, v in names.items()}
    if values:
        kwargs["ExpressionAttributeValues"] = values
    try:
        response = _client(model)._make_api_call("UpdateItem", kwargs)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == CONDITION_FAILED:
            raise ConditionFailed(_plain(exc.response.get("Item", {}))) from exc  # type: ignore[arg-type]
        raise
    return _plain(response.get("Attributes", {}))


def get_raw(model: type[Model], key: Mapping[str, str]) -> dict[str, Any]:
    """A consistent GetItem of every attribute, model field or not (empty when there is no item)."""
    response = _client(model)._make_api_call("GetItem", {
        "TableName": model.Meta.table_name,
        "Key": {name: {"S": value} for name, value in key.items()},
        "ConsistentRead": True,
    })
    return _plain(response.get("Item", {}))


def _client(model: type[Model]) -> Any:
    # The model's own cached connection and its botocore client (pynamodb has no public accessor).
    return model._get_connection().connection.client


def _plain(attrs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, typed in attrs.items():
        ((kind, value),) = typed.items()
        out[name] = float(value) if kind == "N" else value
    return out


# -- transactions ----------------------------------------------------------------------------------

WriteKind = Literal["check", "delete", "put", "update"]


@dataclass(frozen=True)
class FailedWrite:
    """A write of a cancelled transaction whose condition failed."""

    kind: WriteKind
    table_name: str
    #: The item's key, plain strings (``{"pk": ..., "sk": ...}``).
    key: dict[str, str]


class ConditionsFailed(Exception):
    """A transaction was cancelled because of its writes' conditions (``failed``, never empty)."""

    def __init__(self, failed: list[FailedWrite]) -> None:
        super().__init__(f"transaction cancelled: {len(failed)} condition(s) failed")
        self.failed = failed

    def any(self, kind: WriteKind, table: str | None = None) -> bool:
        return any(f.kind == kind and (table is None or f.table_name == table) for f in self.failed)


class Transaction:
    """One TransactWriteItems, committed when the ``with`` block ends without an error.

    A cancellation by failed conditions raises :class:`ConditionsFailed` naming those writes; any other
    failure propagates as pynamodb raised it.
    """

    def __init__(self, connection: Connection) -> None:
        self._tx = TransactWrite(connection=connection)

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc_type is not None:
            return
        try:
            self._tx.__exit__(None, None, None)  # type: ignore[no-untyped-call]  # pynamodb leaves it unannotated
        except TransactWriteError as error:
            failed = self._failed(error)
            if failed:
                raise ConditionsFailed(failed) from error
            raise

    def save(self, item: Model, condition: Condition | None = None) -> None:
        self._tx.save(item, condition=condition)

    def update(self, item: Model, actions: Sequence[Action], condition: Condition | None = None) -> None:
        self._tx.update(item, actions=list(actions), condition=condition)

    def delete(self, item: Model, condition: Condition | None = None) -> None:
        self._tx.delete(item, condition=condition)

    def condition_check(self, model: type[Model], hash_key: str, range_key: str | None = None, *,
                        condition: Condition) -> None:
        self._tx.condition_check(model, hash_key, range_key, condition=condition)

    def _failed(self, error: TransactWriteError) -> list[FailedWrite]:
        # DynamoDB reports reasons by position, and pynamodb sends a transaction's operations grouped by
        # kind (checks, deletes, puts, updates) whatever the order of the calls: match them up that way.
        tx = self._tx
        groups: list[tuple[WriteKind, list[dict[str, Any]]]] = [
            ("check", tx._condition_check_items), ("delete", tx._delete_items),
            ("put", tx._put_items), ("update", tx._update_items),
        ]
        operations = [(kind, op) for kind, ops in groups for op in ops]
        failed: list[FailedWrite] = []
        for (kind, op), reason in zip(operations, error.cancellation_reasons or [], strict=False):
            if reason is not None and reason.code == "ConditionalCheckFailed":
                raw_key = op.get("Key") or _key_of_put(op)
                key = {name: str(next(iter(value.values()))) for name, value in raw_key.items()}
                failed.append(FailedWrite(kind, op.get("TableName", ""), key))
        return failed


def _key_of_put(op: Mapping[str, Any]) -> dict[str, Any]:
    # A put carries the whole item, not its key: the key attributes are the pk/sk of every Parley table.
    item: dict[str, Any] = op.get("Item") or {}
    return {name: item[name] for name in ("pk", "sk") if name in item}


class Transactions:
    """Makes transactions on the tables of one endpoint (one botocore client for all of them)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self._connection = Connection(region=endpoint.region, host=endpoint.host)

    def __call__(self) -> Transaction:
        share_client(self._connection)
        return Transaction(self._connection)


# -- schema ----------------------------------------------------------------------------------------


def describe(model: type[Model]) -> dict[str, Any]:
    """Key schema, attribute definitions, indexes and TTL as CloudFormation-shaped values."""
    schema = model._get_schema()  # pynamodb's own description of keys and indexes
    ttl = [name for name, attr in model.get_attributes().items() if isinstance(attr, TTLAttribute)]
    return {
        "table_name": model.Meta.table_name,
        "attribute_definitions": list(schema["attribute_definitions"]),
        "key_schema": list(schema["key_schema"]),
        "global_secondary_indexes": [
            {"IndexName": i["index_name"], "KeySchema": list(i["key_schema"]), "Projection": dict(i["projection"])}
            for i in schema.get("global_secondary_indexes", [])
        ],
        "ttl_attribute": ttl[0] if ttl else None,
    }


def create_table(model: type[Model]) -> None:
    """Create the model's table unless it exists (pynamodb's create_table also turns on its TTL)."""
    if not model.exists():
        model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
