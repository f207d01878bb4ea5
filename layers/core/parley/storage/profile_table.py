"""The profiles table: what a user keeps about themselves across conversations.

One partition per user (``pk`` = user id): ``sk = "I"`` holds their custom instructions,
``sk = "M#<ulid>"`` one memory each, so one Query lists a user's memories in creation order and
nothing of one user is ever reachable from another's key.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import DiscriminatorAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from parley.storage.dynamo import Endpoint, bind_kind, bind_root, nullable

INSTRUCTIONS_SK = "I"
MEMORY_SK_PREFIX = "M#"


def memory_sk(memory_id: str) -> str:
    return f"{MEMORY_SK_PREFIX}{memory_id}"


class ProfileItem(Model):
    pk = UnicodeAttribute(hash_key=True)  # the user id
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()


class InstructionsModel(ProfileItem, discriminator="instructions"):
    about_me = UnicodeAttribute(default="")
    how_to_respond = UnicodeAttribute(default="")
    #: How the model sees each field when screening flagged or neutralized it (as for messages).
    model_text = JSONAttribute(null=True)
    #: Token count of the rendered instructions, computed once when they are written.
    tokens = NumberAttribute(default=0)
    updated_at = NumberAttribute()


class MemoryModel(ProfileItem, discriminator="memory"):
    memory_id = UnicodeAttribute()
    content = UnicodeAttribute()
    tokens = NumberAttribute(default=0)
    created_at = NumberAttribute()
    model_text = nullable(UnicodeAttribute())
    #: Where a memory proposed from a message came from (None when added directly).
    source_conversation_id = nullable(UnicodeAttribute())
    source_message_id = nullable(UnicodeAttribute())


@dataclass(frozen=True)
class ProfileTable:
    item: type[ProfileItem]
    instructions: type[InstructionsModel]
    memory: type[MemoryModel]


def build_profile_table(table_name: str, region: str, host: str | None) -> ProfileTable:
    root = bind_root(ProfileItem, table_name, Endpoint(region, host))
    return ProfileTable(item=root, instructions=bind_kind(InstructionsModel, root), memory=bind_kind(MemoryModel, root))
