"""Item templates bound twice in one process (two apps, two table names) never cross: each binding
writes and reads its own table, and a polymorphic query returns that binding's own classes."""

from __future__ import annotations

import uuid

import pytest
from pynamodb.exceptions import DoesNotExist

from parley.storage.dynamo import ConditionsFailed, Endpoint, Transactions, create_table, describe
from parley.storage.profile_table import build_profile_table
from parley.storage.tables import (
    CONVERSATION_SK,
    ConversationModel,
    ConversationTable,
    MessageModel,
    build_conversation_table,
    list_pk,
    list_sk,
    message_sk,
)


@pytest.fixture(scope="module")
def two(local_endpoints) -> tuple[ConversationTable, ConversationTable]:
    host = local_endpoints["dynamodb_endpoint"]
    suffix = uuid.uuid4().hex[:8]
    a = build_conversation_table(f"bind-a-{suffix}", "us-east-1", host)
    b = build_conversation_table(f"bind-b-{suffix}", "us-east-1", host)
    for table in (a, b):
        create_table(table.item)
    return a, b


def _conversation(t: ConversationTable, cid: str, user: str) -> ConversationModel:
    item = t.conversation(cid, CONVERSATION_SK)
    item.user_id, item.model, item.created_at, item.updated_at = user, "m", 1, 1
    item.list_pk, item.list_sk = list_pk(user, False), list_sk(1, cid)
    return item


def test_the_classes_of_two_bindings_share_nothing_mutable(two):
    a, b = two
    assert a.item.Meta.table_name != b.item.Meta.table_name
    assert a.conversation is not b.conversation and issubclass(a.conversation, ConversationModel)
    assert a.item.kind is not b.item.kind  # each family its own discriminator registry
    assert a.by_user._model is a.conversation and b.by_user._model is b.conversation
    assert a.member.by_user._model is a.member
    assert describe(a.item)["table_name"] == a.item.Meta.table_name
    assert [i["IndexName"] for i in describe(b.item)["global_secondary_indexes"]] == ["by_user"]


def test_a_write_in_one_binding_is_absent_from_the_other(two):
    a, b = two
    cid, user = uuid.uuid4().hex, "u-" + uuid.uuid4().hex
    _conversation(a, cid, user).save()
    message = a.message(cid, message_sk("m1"))
    message.message_id, message.role, message.created_at, message.content = "m1", "user", 2, "hi"
    message.save()

    assert a.conversation.get(cid, CONVERSATION_SK).user_id == user
    with pytest.raises(DoesNotExist):
        b.conversation.get(cid, CONVERSATION_SK)
    assert list(b.item.query(cid)) == []
    assert list(b.by_user.query(list_pk(user, False))) == []
    assert [c.pk for c in a.by_user.query(list_pk(user, False))] == [cid]


def test_a_polymorphic_query_returns_the_bindings_own_classes(two):
    a, b = two
    cid, user = uuid.uuid4().hex, "u-" + uuid.uuid4().hex
    for t in (a, b):
        _conversation(t, cid, user).save()
        message = t.message(cid, message_sk("m1"))
        message.message_id, message.role, message.created_at = "m1", "user", 2
        message.save()
    for t in (a, b):
        items = list(t.item.query(cid, consistent_read=True))
        assert [type(i) for i in items] == [t.conversation, t.message]
        assert isinstance(items[1], MessageModel)


def test_a_failed_condition_names_the_write_and_its_table(two):
    a, _ = two
    cid, user = uuid.uuid4().hex, "u-" + uuid.uuid4().hex
    _conversation(a, cid, user).save()
    transaction = Transactions(Endpoint("us-east-1", a.item.Meta.host))
    with pytest.raises(ConditionsFailed) as failed, transaction() as tx:
        tx.save(_conversation(a, cid, user), condition=a.conversation.pk.does_not_exist())
    (write,) = failed.value.failed
    assert (write.kind, write.table_name, write.key) == ("put", a.item.Meta.table_name,
                                                         {"pk": cid, "sk": CONVERSATION_SK})


def test_two_profile_bindings_keep_their_kinds_apart(local_endpoints):
    host = local_endpoints["dynamodb_endpoint"]
    a = build_profile_table("profiles-a", "us-east-1", host)
    b = build_profile_table("profiles-b", "us-east-1", host)
    assert a.item.kind is not b.item.kind
    assert a.memory.Meta.table_name == "profiles-a" and b.memory.Meta.table_name == "profiles-b"


def test_every_table_of_an_endpoint_shares_one_client(two, local_endpoints):
    # One botocore client per endpoint, not one per model class (each costs ~80 ms to build).
    a, b = two
    clients = {id(model._get_connection().connection.client)
               for model in (a.item, a.conversation, a.message, a.member, b.item, b.conversation)}
    assert len(clients) == 1
    profile = build_profile_table(f"bind-p-{uuid.uuid4().hex[:8]}", "us-east-1", local_endpoints["dynamodb_endpoint"])
    assert profile.item._get_connection().connection.client is a.item._get_connection().connection.client
    elsewhere = build_conversation_table("bind-elsewhere", "eu-west-1", "http://127.0.0.1:9")
    assert elsewhere.item._get_connection().connection.client is not a.item._get_connection().connection.client
