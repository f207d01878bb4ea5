"""The API keys table's item models (see ``parley.auth.api_keys``). One table holds two kinds of
item, keyed by ``pk`` alone: ``K#<key id>`` a key (the ``by_user`` index lists a user's keys in
creation order) and ``U#<user id>`` the count of a user's keys."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import DiscriminatorAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from parley.storage.dynamo import Endpoint, bind_kind, bind_root, nullable

BY_USER_INDEX = "by_user"


class ByUserIndex(GlobalSecondaryIndex["ApiKeyModel"]):  # type: ignore[no-untyped-call]  # Index.__init_subclass__ is unannotated
    class Meta:
        index_name = BY_USER_INDEX
        projection = AllProjection()

    owner = UnicodeAttribute(hash_key=True)
    created_sk = UnicodeAttribute(range_key=True)


class ApiKeyItem(Model):
    pk = UnicodeAttribute(hash_key=True)
    kind = DiscriminatorAttribute()


class ApiKeyModel(ApiKeyItem, discriminator="key"):
    key_id = UnicodeAttribute()
    #: The user id; only key items carry it, so the index lists keys and nothing else.
    owner = UnicodeAttribute()
    created_sk = UnicodeAttribute()  # "<created_at, 15 digits>#<key id>"
    name = UnicodeAttribute()
    prefix = UnicodeAttribute()
    secret_hash = UnicodeAttribute()  # sha256 of the whole key; the key itself is never stored
    tier = UnicodeAttribute()
    created_at = NumberAttribute()
    last_used_at = nullable(NumberAttribute())
    by_user = ByUserIndex()


class KeyOwnerModel(ApiKeyItem, discriminator="owner"):
    key_count = NumberAttribute(default=0)


@dataclass(frozen=True)
class ApiKeysTable:
    item: type[ApiKeyItem]
    key: type[ApiKeyModel]
    owner: type[KeyOwnerModel]
    by_user: ByUserIndex


def build_api_keys_table(table_name: str, region: str, host: str | None) -> ApiKeysTable:
    """Model classes bound to one table, built per app so that no name is fixed at import time."""
    root = bind_root(ApiKeyItem, table_name, Endpoint(region, host))
    key = bind_kind(ApiKeyModel, root)
    return ApiKeysTable(item=root, key=key, owner=bind_kind(KeyOwnerModel, root), by_user=key.by_user)
