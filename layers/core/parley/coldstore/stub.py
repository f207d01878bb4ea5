"""The conversation item as a cold stub, and the states a move between hot and cold goes through.

The conversation item (``sk = "C"``) never leaves DynamoDB, nor do its member items (``U#``).
While cold it keeps what the list shows (title, preview, last update, model, archived flag and the
``by_user`` index keys); the rest of its attributes travel in the archive and come back on restore.

``cold_state`` (with ``cold_token``, the owner of the step, and ``cold_state_at``) says what is
under way; each step is a conditional update that only its owner can make:

    hot ──(a) archiving──(d) cold+deleting──(f) cold          (the archiver)
    cold ──claim: cold+restoring──flip: hot+cleanup──hot      (the restorer)

A state older than its staleness bound is a crash: the job's recovery (or, for a restore, the next
access) takes it over with a new token.
"""

from __future__ import annotations

from urllib.parse import quote

from parley.coldstore.codec import RawItem
from parley.coldstore.rawtable import Expr
from parley.storage.tables import CONVERSATION_SK

SK = CONVERSATION_SK

COLD = "cold"
COLD_KEY = "cold_key"
STATE = "cold_state"
TOKEN = "cold_token"
STATE_AT = "cold_state_at"
CONTROL = frozenset({COLD, COLD_KEY, STATE, TOKEN, STATE_AT})

ARCHIVING = "archiving"
DELETING = "deleting"
RESTORING = "restoring"
CLEANUP = "cleanup"

#: What a stub keeps: the keys, the pynamodb discriminator, and what a list row and its index need.
KEEP = frozenset({
    "pk", "sk", "kind", "user_id", "title", "title_source", "model", "created_at", "updated_at",
    "preview", "archived", "list_pk", "list_sk",
})


def object_key(prefix: str, user_id: str, conversation_id: str) -> str:
    # User ids never contain "/" once quoted, so a user's archives stay under one folder.
    return f"{prefix}{quote(user_id, safe='')}/{conversation_id}.json.gz"


def s(item: RawItem | None, name: str) -> str | None:
    value = (item or {}).get(name)
    return None if value is None else value.get("S")


def n(item: RawItem | None, name: str) -> int | None:
    value = (item or {}).get(name)
    return None if value is None or "N" not in value else int(value["N"])


def is_cold(item: RawItem | None) -> bool:
    return bool((item or {}).get(COLD, {}).get("BOOL"))


def without_control(item: RawItem) -> RawItem:
    return {k: v for k, v in item.items() if k not in CONTROL}


def bulky(item: RawItem) -> RawItem:
    """The attributes a stub sheds (restored from the archive)."""
    return {k: v for k, v in item.items() if k not in KEEP and k not in CONTROL}


def held(ex: Expr, token: str, state: str) -> str:
    """The condition that a step is still ours: our token, in the state we left it."""
    return f"{ex.n(TOKEN)} = {ex.v({'S': token})} AND {ex.n(STATE)} = {ex.v({'S': state})}"


def release(ex: Expr) -> str:
    """The update that ends a step."""
    return f"REMOVE {ex.n(STATE)}, {ex.n(TOKEN)}, {ex.n(STATE_AT)}"
