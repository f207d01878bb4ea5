"""The fallback chain of a turn: the chosen model, then its catalog fallbacks, filtered by need."""

from __future__ import annotations

import pytest

from parley.catalog import Catalog, load_catalog
from parley.routing import fallback_chain, required_capabilities, route

CATALOG = load_catalog()


def ids(chain) -> list[str]:
    return [m.id for m in chain]


def model(id_: str, tier: str, *, caps: tuple[str, ...] = ("chat",), fallbacks: tuple[str, ...] = (),
          window: int = 32_768) -> dict[str, object]:
    return {
        "id": id_, "name": id_, "tier": tier, "context_window": window, "max_output": 1024,
        "price_in_per_1k": 0.001, "price_out_per_1k": 0.002, "capabilities": list(caps),
        "fallbacks": list(fallbacks), "backend": {"endpoint": id_},
    }


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("parley-code", ["parley-code", "parley-smart", "parley-fast"]),
        ("parley-smart", ["parley-smart", "parley-fast"]),
        ("parley-fast", ["parley-fast", "parley-smart"]),
        ("parley-vision", ["parley-vision"]),
    ],
)
def test_chain_is_the_model_then_its_fallbacks_in_order(model_id: str, expected: list[str]) -> None:
    assert ids(fallback_chain(CATALOG, model_id)) == expected


def test_no_repeats_even_when_the_catalog_lists_some() -> None:
    catalog = Catalog.model_validate({"models": [
        model("a", "fast", fallbacks=("b", "a", "c", "b")),
        model("b", "smart"),
        model("c", "code"),
    ]})
    assert ids(fallback_chain(catalog, "a")) == ["a", "b", "c"]


def test_models_lacking_a_needed_capability_are_skipped() -> None:
    catalog = Catalog.model_validate({"models": [
        model("v1", "vision", caps=("chat", "vision"), fallbacks=("t", "v2")),
        model("t", "smart"),
        model("v2", "fast", caps=("chat", "vision")),
    ]})
    assert ids(fallback_chain(catalog, "v1")) == ["v1", "t", "v2"]
    assert ids(fallback_chain(catalog, "v1", required=required_capabilities(2))) == ["v1", "v2"]


def test_a_chosen_model_that_cannot_take_the_request_leaves_an_empty_chain() -> None:
    assert fallback_chain(CATALOG, "parley-smart", required={"vision"}) == []


def test_models_with_too_small_a_window_are_skipped() -> None:
    chain = fallback_chain(CATALOG, "parley-code", min_context_tokens=40_000)
    assert ids(chain) == ["parley-smart", "parley-fast"]


def test_required_capabilities() -> None:
    assert required_capabilities(0) == frozenset()
    assert required_capabilities(1) == frozenset({"vision"})


def test_unknown_model_raises() -> None:
    with pytest.raises(KeyError):
        fallback_chain(CATALOG, "no-such-model")


def test_routed_image_turn_gets_only_vision_capable_fallbacks() -> None:
    decision = route("what breed is this?", image_count=1, catalog=CATALOG)
    chain = fallback_chain(CATALOG, decision.model_id, required=required_capabilities(1))
    assert chain and all(m.vision for m in chain)
    assert chain[0].id == decision.model_id
