"""The deployed tables are exactly what the data layer describes (keys, attributes, indexes, TTL)."""

from __future__ import annotations

from typing import Any

from infra_cdk.data import table_definitions
from parley.settings import Settings
from parley.storage.schema import describe, table_models


def _by_name(items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return {item[key]: item for item in items}


def _table_for_env(synth, env_var: str) -> dict[str, Any]:
    """Follow the api function's PARLEY_TABLE_* variable to the table resource it names."""
    ref = synth.env("api")[env_var]
    return synth.resources[ref["Ref"]]


def test_every_table_model_is_deployed_once(synth) -> None:
    models = table_models(Settings())
    tables = synth.of_type("AWS::DynamoDB::GlobalTable")
    assert len(tables) == len(models) == len(table_definitions())


def test_tables_match_the_data_layer_exactly(synth) -> None:
    for definition in table_definitions():
        expected = definition.description
        props = _table_for_env(synth, definition.env_var)["Properties"]

        assert sorted(props["KeySchema"], key=lambda k: k["KeyType"]) == sorted(
            expected["key_schema"], key=lambda k: k["KeyType"]
        ), definition.settings_field
        assert _by_name(props["AttributeDefinitions"], "AttributeName") == _by_name(
            expected["attribute_definitions"], "AttributeName"
        ), definition.settings_field

        deployed_gsis = _by_name(props.get("GlobalSecondaryIndexes", []), "IndexName")
        expected_gsis = _by_name(expected["global_secondary_indexes"], "IndexName")
        assert deployed_gsis.keys() == expected_gsis.keys(), definition.settings_field
        for name, gsi in expected_gsis.items():
            assert sorted(deployed_gsis[name]["KeySchema"], key=lambda k: k["KeyType"]) == sorted(
                gsi["KeySchema"], key=lambda k: k["KeyType"]
            )
            assert deployed_gsis[name]["Projection"] == gsi["Projection"]

        ttl = props.get("TimeToLiveSpecification")
        if expected["ttl_attribute"]:
            assert ttl == {"AttributeName": expected["ttl_attribute"], "Enabled": True}
        else:
            assert ttl is None


def test_table_names_reach_the_settings_of_every_function(synth) -> None:
    table_fields = [f for f in Settings.model_fields if f.startswith("table_")]
    bound = {d.settings_field for d in table_definitions()}
    assert bound <= set(table_fields)
    for name in synth.function_ids():
        env = synth.env(name)
        for definition in table_definitions():
            assert "Ref" in env[definition.env_var], (name, definition.env_var)
        # Settings.from_env reads exactly these names.
        assert all(Settings.model_fields.get(k.removeprefix("PARLEY_").lower()) is not None
                   for k in env if k.startswith("PARLEY_TABLE_"))


def test_tables_are_durable_and_encrypted(synth) -> None:
    for logical_id, table in synth.of_type("AWS::DynamoDB::GlobalTable").items():
        props = table["Properties"]
        assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain", logical_id
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
        (replica,) = props["Replicas"]
        assert replica["DeletionProtectionEnabled"] is True
        assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_describe_of_each_model_is_what_was_compared(synth) -> None:
    # Guards the test above against comparing a table with itself: the descriptions come from the
    # pynamodb models, not from the template.
    names = {describe(m)["table_name"] for m in table_models(Settings())}
    assert names == {getattr(Settings(), d.settings_field) for d in table_definitions()}


def test_only_the_attachments_table_has_a_stream_and_it_carries_keys_only(synth) -> None:
    streams = {}
    for field, table in synth.stack.data.tables.items():
        spec = synth.resources[synth.logical_id(table)]["Properties"].get("StreamSpecification")
        if spec:
            streams[field] = spec["StreamViewType"]
    # The attachments function needs only the expired record's key to delete its objects.
    assert streams == {"table_attachments": "KEYS_ONLY"}


def test_profiles_table_is_deployed_and_only_the_request_paths_may_use_it(synth) -> None:
    """Custom instructions and memories (one partition per user): read and written by the api and
    chat functions, never by the authorizer, the attachments or the cold-store function."""
    table = synth.stack.data.tables["table_profiles"]
    arn = synth.arn(table)
    props = synth.resources[synth.logical_id(table)]["Properties"]
    assert sorted((k["AttributeName"], k["KeyType"]) for k in props["KeySchema"]) == [("pk", "HASH"), ("sk", "RANGE")]
    for name in ("api", "chat"):
        actions = {a for a, r in synth.granted(name) if r.startswith(arn)}
        assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem"} <= actions, name
    for name in ("authorizer", "attachments", "coldstore"):
        assert not {a for a, r in synth.granted(name) if r.startswith(arn)}, name
