"""Data: the DynamoDB tables (derived from the pynamodb models), the data bucket, the log bucket.

Tables are never written by hand here: ``parley.storage.schema.table_models`` lists every model
that owns a table and ``describe`` gives its keys, attribute definitions, indexes and TTL, so a
table added to the data layer is deployed by the next synth with no change in this file. Each
model is bound to a ``Settings.table_*`` field; the function environment carries the deployed
name as ``PARLEY_TABLE_<FIELD>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Annotations, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra_cdk.access import COLD_PREFIX, INDEX_ACTIONS, TEMPORARY_PREFIX, UPLOADS_PREFIX, BucketGrant, TableGrant
from infra_cdk.nag import acknowledge
from infra_cdk.parameters import Parameters
from parley.settings import Settings
from parley.storage.schema import describe, table_models

ATTRIBUTE_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER,
                   "B": dynamodb.AttributeType.BINARY}
PROJECTIONS = {"ALL": dynamodb.ProjectionType.ALL, "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
               "INCLUDE": dynamodb.ProjectionType.INCLUDE}
#: Tables with a DynamoDB stream, and what its records carry. The attachments table's stream feeds
#: the attachments function its TTL removals (the expired upload's objects are then deleted).
STREAMS = {"table_attachments": dynamodb.StreamViewType.KEYS_ONLY}
#: Glacier Instant Retrieval (and Standard-IA) bill every object as at least 128 KB, and each
#: transition costs a request: smaller archives (and the job's cursor file) stay in Standard.
COLD_MIN_TRANSITION_BYTES = 128 * 1024
#: Days after which S3 deletes a temporary chat's offloaded contents (the chat's own 30, plus one).
TEMPORARY_CONTENTS_DAYS = 31


def secure_bucket(scope: Construct, construct_id: str, **props: Any) -> s3.Bucket:
    """A bucket with Parley's defaults: S3-managed encryption, TLS only, no public access, no ACLs
    (a caller may still choose an object ownership that allows ACLs, as CloudFront logging needs)."""
    defaults: dict[str, Any] = {
        "encryption": s3.BucketEncryption.S3_MANAGED,
        "enforce_ssl": True,
        "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
        "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    }
    return s3.Bucket(scope, construct_id, **{**defaults, **props})


@dataclass(frozen=True)
class TableDefinition:
    """One table as the data layer describes it, and the Settings field that names it."""

    settings_field: str
    description: dict[str, Any]

    @property
    def env_var(self) -> str:
        return f"PARLEY_{self.settings_field.upper()}"

    @property
    def construct_id(self) -> str:
        return "".join(part.capitalize() for part in self.settings_field.removeprefix("table_").split("_")) + "Table"


def table_definitions() -> list[TableDefinition]:
    """Every table the data layer owns, matched to its ``Settings.table_*`` field.

    Each table field gets a unique placeholder name; the name a model is bound to tells which
    field it belongs to.
    """
    fields = [name for name in Settings.model_fields if name.startswith("table_")]
    placeholders = {name: f"parley-cdk-{name}" for name in fields}
    by_placeholder = {v: k for k, v in placeholders.items()}
    definitions: list[TableDefinition] = []
    for model in table_models(Settings(**placeholders)):  # type: ignore[arg-type]
        desc = describe(model)
        name = desc["table_name"]
        if name not in by_placeholder:
            raise ValueError(f"table model {model.__name__} is bound to {name!r}, not to a Settings.table_* field")
        definitions.append(TableDefinition(by_placeholder[name], desc))
    return definitions


def _attribute(desc: dict[str, Any], name: str) -> dynamodb.Attribute:
    types = {a["AttributeName"]: a["AttributeType"] for a in desc["attribute_definitions"]}
    return dynamodb.Attribute(name=name, type=ATTRIBUTE_TYPES[types[name]])


def _keys(key_schema: list[dict[str, str]]) -> tuple[str, str | None]:
    hash_key = next(k["AttributeName"] for k in key_schema if k["KeyType"] == "HASH")
    range_key = next((k["AttributeName"] for k in key_schema if k["KeyType"] == "RANGE"), None)
    return hash_key, range_key


def _table(scope: Construct, definition: TableDefinition, replica_regions: list[str]) -> dynamodb.TableV2:
    desc = definition.description
    hash_key, range_key = _keys(desc["key_schema"])
    indexes = []
    for gsi in desc["global_secondary_indexes"]:
        gsi_hash, gsi_range = _keys(gsi["KeySchema"])
        projection = gsi.get("Projection", {"ProjectionType": "ALL"})
        indexes.append(
            dynamodb.GlobalSecondaryIndexPropsV2(
                index_name=gsi["IndexName"],
                partition_key=_attribute(desc, gsi_hash),
                sort_key=_attribute(desc, gsi_range) if gsi_range else None,
                projection_type=PROJECTIONS[projection["ProjectionType"]],
                non_key_attributes=projection.get("NonKeyAttributes"),
            )
        )
    return dynamodb.TableV2(
        scope,
        definition.construct_id,
        partition_key=_attribute(desc, hash_key),
        sort_key=_attribute(desc, range_key) if range_key else None,
        global_secondary_indexes=indexes or None,
        time_to_live_attribute=desc["ttl_attribute"],
        dynamo_stream=STREAMS.get(definition.settings_field),
        billing=dynamodb.Billing.on_demand(),
        encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        deletion_protection=True,
        removal_policy=RemovalPolicy.RETAIN,
        # Global table replicas (regions parameter); PITR and deletion protection apply to each.
        replicas=[dynamodb.ReplicaTableProps(region=r) for r in replica_regions] or None,
    )


def log_buckets(scope: Construct, params: Parameters) -> tuple[s3.Bucket, s3.Bucket]:
    """(S3 server access logs, CloudFront standard logs), both expiring after N days.

    Two buckets because CloudFront's standard logging needs ACLs while S3 server access logging
    is granted by bucket policy on an ACL-less bucket; the CloudFront one logs into the other.
    """
    expire = [s3.LifecycleRule(expiration=Duration.days(params.data.access_logs_expire_days))]
    access = secure_bucket(
        scope,
        "AccessLogs",
        lifecycle_rules=expire,
        removal_policy=RemovalPolicy.RETAIN,
    )
    cdn = secure_bucket(
        scope,
        "CdnLogs",
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
        server_access_logs_bucket=access,
        server_access_logs_prefix="cdn-logs-bucket/",
        lifecycle_rules=expire,
        removal_policy=RemovalPolicy.RETAIN,
    )
    return access, cdn


class Data(Construct):
    """The tables and the data bucket. ``primary``: the primary region's Data (this stack is a replica
    region): the tables are its global tables' local replicas; the bucket is this region's own."""

    def __init__(self, scope: Construct, construct_id: str, *, params: Parameters, web_origins: list[str],
                 log_bucket: s3.IBucket, primary: Data | None = None) -> None:
        super().__init__(scope, construct_id)
        self.definitions = table_definitions()
        region = Stack.of(self).region
        self.tables: dict[str, dynamodb.ITableV2] = (
            {field: table.replica(region) for field, table in primary.tables.items()}  # type: ignore[attr-defined]
            if primary is not None else
            {d.settings_field: _table(self, d, params.replica_regions) for d in self.definitions})
        self._index_names = {
            d.settings_field: [g["IndexName"] for g in d.description["global_secondary_indexes"]]
            for d in self.definitions
        }

        data = params.data
        lifecycle_rules = [
            s3.LifecycleRule(
                id="abort-incomplete-multipart",
                abort_incomplete_multipart_upload_after=Duration.days(data.abort_multipart_days),
            ),
            s3.LifecycleRule(
                id="expire-orphan-uploads",
                prefix=UPLOADS_PREFIX,
                expiration=Duration.days(data.uploads_expire_days),
            ),
            # A temporary chat expires 30 days after it began: its items by TTL, its contents here.
            s3.LifecycleRule(
                id="expire-temporary-contents",
                prefix=TEMPORARY_PREFIX,
                expiration=Duration.days(TEMPORARY_CONTENTS_DAYS),
            ),
            # Never an expiration on cold/: an archive is the only copy of a conversation.
            s3.LifecycleRule(
                id="cold-transition",
                prefix=COLD_PREFIX,
                # Strictly greater than: objects of 128 KB and more.
                object_size_greater_than=COLD_MIN_TRANSITION_BYTES - 1,
                transitions=[
                    s3.Transition(
                        storage_class=getattr(s3.StorageClass, data.cold_storage_class),
                        transition_after=Duration.days(data.cold_transition_days),
                    )
                ],
            ),
            # Versioning keeps an overwritten or deleted object (an archive is the only copy of a
            # conversation) for this many days, then lets it go.
            s3.LifecycleRule(
                id="expire-noncurrent-versions",
                noncurrent_version_expiration=Duration.days(data.noncurrent_expire_days),
            ),
        ]
        self.bucket = secure_bucket(
            self,
            "DataBucket",
            server_access_logs_bucket=log_bucket,
            server_access_logs_prefix="data-bucket/",
            cors=[
                s3.CorsRule(
                    # Browsers upload attachments straight to S3 with a presigned POST (the API
                    # serves everything else; nothing is read from the bucket cross-origin).
                    allowed_methods=[s3.HttpMethods.POST],
                    allowed_origins=web_origins,
                    allowed_headers=["*"],
                    exposed_headers=["ETag"],
                    max_age=3000,
                )
            ],
            lifecycle_rules=lifecycle_rules,
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # CloudFormation types ObjectSizeGreaterThan as a string of digits; CDK renders a number.
        cold_index = next(i for i, rule in enumerate(lifecycle_rules) if rule.id == "cold-transition")
        self.bucket.node.default_child.add_property_override(  # type: ignore[union-attr]
            f"LifecycleConfiguration.Rules.{cold_index}.ObjectSizeGreaterThan", str(COLD_MIN_TRANSITION_BYTES - 1)
        )

    def environment(self) -> dict[str, str]:
        env = {d.env_var: self.tables[d.settings_field].table_name for d in self.definitions}
        env["PARLEY_BUCKET_DATA"] = self.bucket.bucket_name
        env["PARLEY_COLDSTORE_PREFIX"] = COLD_PREFIX
        return env

    def grant_tables(self, grantee: iam.IGrantable, grant: TableGrant) -> None:
        """Exactly ``grant``'s actions on its tables, and Query on their named indexes (no index
        wildcard) where the grant has Query.

        A field whose table the data layer does not have yet grants nothing, with a warning.
        """
        levels = {field: grant for field in self.tables} if isinstance(grant, tuple) else dict(grant)
        by_actions: dict[tuple[str, ...], list[str]] = {}
        for field, actions in levels.items():
            if not actions:
                continue
            table = self.tables.get(field)
            if table is None:
                Annotations.of(grantee.grant_principal).add_warning_v2(  # type: ignore[arg-type]
                    "parley:missing-table", f"no table for {field} yet: nothing granted on it")
                continue
            by_actions.setdefault(tuple(actions), []).append(table.table_arn)
            index_actions = tuple(a for a in actions if a in INDEX_ACTIONS)
            if index_actions and self._index_names[field]:
                by_actions.setdefault(index_actions, []).extend(
                    f"{table.table_arn}/index/{name}" for name in self._index_names[field])
        for actions, resources in by_actions.items():
            grantee.grant_principal.add_to_principal_policy(
                iam.PolicyStatement(actions=list(actions), resources=resources))

    def grant_bucket(self, grantee: iam.IGrantable, grant: BucketGrant) -> None:
        """Object actions per key prefix, and ListBucket on the bucket when there is any."""
        if not grant:
            return
        principal = grantee.grant_principal
        by_actions: dict[tuple[str, ...], list[str]] = {}
        for prefix, actions in grant.items():
            by_actions.setdefault(tuple(actions), []).append(prefix)
        for actions, prefixes in by_actions.items():
            principal.add_to_principal_policy(iam.PolicyStatement(
                actions=list(actions), resources=[self.bucket.arn_for_objects(f"{p}*") for p in prefixes]))
        principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn])
        )
        for prefix in grant:
            acknowledge(
                principal,  # type: ignore[arg-type]
                f"AwsSolutions-IAM5[Resource::<{self._bucket_logical_ref()}.Arn>/{prefix}*]",
                "Object keys under this prefix are created at run time (per conversation, message, user or "
                "upload id); access is limited to the one prefix of this one bucket.",
            )

    def _bucket_logical_ref(self) -> str:
        return Stack.of(self).get_logical_id(self.bucket.node.default_child)  # type: ignore[arg-type]
