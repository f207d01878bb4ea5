"""The archive format and the DynamoDB item-size rules, on their own."""

from __future__ import annotations

import gzip

import pytest

from parley.coldstore.codec import ArchiveCorrupt, manifest_of, pack, unpack
from parley.coldstore.sizing import item_size, number_size, value_size

ITEMS = [
    {"pk": {"S": "c1"}, "sk": {"S": "C"}, "title": {"S": "Café ☕"}, "n": {"N": "1795877959703"}},
    {"pk": {"S": "c1"}, "sk": {"S": "M#1"}, "b": {"B": b"\x00\xffraw"}, "bs": {"BS": [b"a", b"\x01"]},
     "m": {"M": {"l": {"L": [{"S": "x"}, {"N": "2.5"}, {"NULL": True}, {"BOOL": False}]}, "ss": {"SS": ["p", "q"]}}}},
]


def test_round_trip_keeps_every_type():
    body, manifest = pack("c1", "u1", ITEMS, 123)
    archive = unpack(body)
    assert archive.items == ITEMS
    assert (archive.conversation_id, archive.user_id, archive.archived_at) == ("c1", "u1", 123)
    assert archive.manifest == manifest == manifest_of(ITEMS)
    assert manifest.item_count == 2


def test_same_content_same_bytes_and_hash_whatever_the_key_order():
    reordered = [dict(reversed(list(item.items()))) for item in ITEMS]
    assert pack("c1", "u1", ITEMS, 1) == pack("c1", "u1", reordered, 1)


def test_tampering_is_detected():
    body, _ = pack("c1", "u1", ITEMS, 1)
    text = gzip.decompress(body).decode()
    for bad in (text.replace("Café", "Cafe"), text.rsplit("\n", 2)[0] + "\n", text.replace("parley.cold/1", "x/9")):
        with pytest.raises(ArchiveCorrupt):
            unpack(gzip.compress(bad.encode()))
    with pytest.raises(ArchiveCorrupt):
        unpack(b"not gzip at all")
    with pytest.raises(ArchiveCorrupt):
        unpack(gzip.compress(b""))


@pytest.mark.parametrize(("number", "size"), [
    ("0", 2), ("7", 2), ("12", 2), ("123", 3), ("12345", 4), ("1000", 2), ("-12.5", 3), ("0.001", 2),
    ("1795877959703", 8), ("1E+5", 2),
])
def test_number_sizes(number, size):
    assert number_size(number) == size


def test_value_and_item_sizes_follow_the_documented_rules():
    assert value_size({"S": "Café"}) == 5  # UTF-8 bytes
    assert value_size({"B": b"\x00\x01\x02"}) == 3
    assert value_size({"BOOL": True}) == value_size({"NULL": True}) == 1
    assert value_size({"L": [{"S": "ab"}, {"N": "1"}]}) == 3 + (1 + 2) + (1 + 2)
    assert value_size({"M": {"k": {"S": "v"}}}) == 3 + 1 + 1 + 1
    assert value_size({"SS": ["ab", "c"]}) == 3
    assert item_size({"pk": {"S": "abc"}, "sk": {"S": "C"}}) == (2 + 3) + (2 + 1)


def test_config_reads_coldstore_settings_when_they_exist():
    from parley.coldstore.config import ColdStoreConfig
    from parley.settings import Settings

    assert ColdStoreConfig.from_settings(Settings()) == ColdStoreConfig()

    class WithColdStore(Settings):
        coldstore_idle_days: float = 7
        coldstore_prefix: str = "archive/"
        coldstore_kms_key_id: str | None = None

    config = ColdStoreConfig.from_settings(WithColdStore())
    assert (config.idle_days, config.prefix, config.kms_key_id) == (7, "archive/", None)
    assert config.idle_ms == 7 * 86_400_000
