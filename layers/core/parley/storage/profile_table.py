"""The profiles table: what a user keeps about themselves across conversations.

One partition per user (``pk`` = user id): ``sk = "I"`` holds their custom instructions,
``sk = "M#<ulid>"`` one memory each, so one Query lists a user's memories in creation order and
nothing of one user is ever reachable from another's key.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import DiscriminatorAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from parley.storage.models import model_meta

INSTRUCTIONS_SK = "I"
MEMORY_SK_PREFIX = "M#"


def memory_sk(memory_id: str) -> str:
    return f"{MEMORY_SK_PREFIX}{memory_id}"


@dataclass(frozen=True)
class ProfileTable:
    item: type[Model]
    instructions: type[Model]
    memory: type[Model]


def build_profile_table(table_name: str, region: str, host: str | None) -> ProfileTable:
    class ProfileItem(Model):
        Meta = model_meta(table_name, region, host)

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
        model_text = UnicodeAttribute(null=True)
        #: Where a memory proposed from a message came from (None when added directly).
        source_conversation_id = UnicodeAttribute(null=True)
        source_message_id = UnicodeAttribute(null=True)

    return ProfileTable(item=ProfileItem, instructions=InstructionsModel, memory=MemoryModel)
