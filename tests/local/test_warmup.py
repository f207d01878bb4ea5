"""The JVM warm-up of DynamoDB Local: it sends what it says, to its own table only, and never fails."""

from __future__ import annotations

import boto3

from parley.local import servers, warmup


def _client(endpoint: str):
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=servers.ACCESS_KEY, aws_secret_access_key=servers.SECRET_KEY)


def test_the_warm_up_sends_every_kind_of_request_and_leaves_no_table(local_endpoints: dict[str, str]) -> None:
    endpoint = local_endpoints["dynamodb_endpoint"]
    before = set(_client(endpoint).list_tables()["TableNames"])
    sent = warmup.warm_up(endpoint, servers.ACCESS_KEY, servers.SECRET_KEY, rounds=3)
    assert sent == 3 * 5
    after = set(_client(endpoint).list_tables()["TableNames"])
    assert warmup.TABLE not in after and after == before


def test_a_table_left_by_a_killed_warm_up_is_replaced(local_endpoints: dict[str, str]) -> None:
    endpoint = local_endpoints["dynamodb_endpoint"]
    assert warmup.warm_up(endpoint, servers.ACCESS_KEY, servers.SECRET_KEY, rounds=0) == 0
    client = _client(endpoint)
    warmup._create_table(client)  # as a run killed half-way leaves it: items and all
    client.put_item(TableName=warmup.TABLE, Item={"pk": {"S": "conversation"}, "sk": {"S": "m#000000"}})
    assert warmup.warm_up(endpoint, servers.ACCESS_KEY, servers.SECRET_KEY, rounds=2) == 10
    assert warmup.TABLE not in client.list_tables()["TableNames"]


def test_a_server_that_is_gone_ends_the_warm_up_quietly() -> None:
    port = servers.free_ports(1)[0]
    thread = warmup.start_warm_up(f"http://127.0.0.1:{port}", access_key="a", secret_key="b", rounds=5)
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert warmup.warm_up(f"http://127.0.0.1:{port}", "a", "b", rounds=5) == 0
