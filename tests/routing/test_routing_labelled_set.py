"""The labelled prompt set is well formed, and the router keeps its accuracy on it.

These are behavioural floors, not timing checks. Figures and the cost comparison come from
tests/bench/bench_routing.py.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from parley.catalog import load_catalog
from parley.routing import route

DATA = Path(__file__).resolve().parents[1] / "data" / "routing_prompts.jsonl"
TIERS = {"fast", "smart", "code", "vision"}
#: Written after the router was frozen; see tests/bench/bench_routing.py.
HOLDOUT_BATCH = 7
CATALOG = load_catalog()
ROWS = [json.loads(line) for line in DATA.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def routed() -> list[tuple[dict, str]]:
    return [(r, route(r["prompt"], image_count=r["images"], catalog=CATALOG).tier) for r in ROWS]


def test_set_is_well_formed() -> None:
    assert len(ROWS) >= 120
    for r in ROWS:
        assert set(r) >= {"prompt", "tier", "images", "split"}
        assert isinstance(r["prompt"], str)
        assert r["tier"] in TIERS
        assert r["split"] in {"dev", "test"}
        assert isinstance(r["images"], int) and r["images"] >= 0
        assert (r["images"] > 0) == (r["tier"] == "vision")
    assert len({r["prompt"] for r in ROWS if r["images"] == 0}) == sum(r["images"] == 0 for r in ROWS)


def test_splits_cover_every_tier_and_dev_is_about_a_third() -> None:
    dev_share = sum(r["split"] == "dev" for r in ROWS) / len(ROWS)
    assert 0.30 <= dev_share <= 0.40
    for split in ("dev", "test"):
        assert {r["tier"] for r in ROWS if r["split"] == split} == TIERS


def _accuracy(pairs: list[tuple[dict, str]]) -> float:
    return sum(r["tier"] == tier for r, tier in pairs) / len(pairs)


def _smart_to_fast(pairs: list[tuple[dict, str]]) -> float:
    smart = [tier for r, tier in pairs if r["tier"] == "smart"]
    return smart.count("fast") / len(smart)


def test_accuracy_floor_on_test_split(routed: list[tuple[dict, str]]) -> None:
    test = [(r, t) for r, t in routed if r["split"] == "test"]
    assert _accuracy(test) >= 0.90
    assert _smart_to_fast(test) <= 0.05


def test_accuracy_floor_on_post_freeze_holdout(routed: list[tuple[dict, str]]) -> None:
    holdout = [(r, t) for r, t in routed if r.get("batch") == HOLDOUT_BATCH]
    assert len(holdout) >= 50
    assert _accuracy(holdout) >= 0.85


def test_every_tier_is_predicted_for_most_of_its_prompts(routed: list[tuple[dict, str]]) -> None:
    by_tier = Counter(r["tier"] for r, _ in routed)
    right = Counter(r["tier"] for r, t in routed if r["tier"] == t)
    for tier in TIERS:
        assert right[tier] / by_tier[tier] >= 0.85, tier
