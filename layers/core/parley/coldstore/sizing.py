"""DynamoDB item sizes by the documented rules (what storage and capacity are billed on).

An item's size is the sum over its attributes of the name's UTF-8 length plus the value's size:
strings their UTF-8 length, binary their byte length, numbers one byte per two significant digits
plus one, booleans and nulls one byte, lists and maps 3 bytes plus one per element plus the
elements (map keys counted like names), sets the sum of their members. Storage adds 100 bytes of
overhead per item, in the table and in every index the item is projected into.
"""

from __future__ import annotations

from typing import Any

STORAGE_OVERHEAD = 100


def number_size(text: str) -> int:
    """One byte per two significant digits (leading and trailing zeros trimmed), plus one."""
    mantissa = text.lstrip("+-").lower().split("e")[0]
    digits = mantissa.replace(".", "").strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        return number_size(inner)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(x.encode("utf-8")) for x in inner)
    if kind == "NS":
        return sum(number_size(x) for x in inner)
    if kind == "BS":
        return sum(len(x) for x in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + value_size(v) for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: dict[str, dict[str, Any]]) -> int:
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())
