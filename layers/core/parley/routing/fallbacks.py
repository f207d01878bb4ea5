"""The models to try, in order, for one turn: the chosen one, then its catalog `fallbacks`.

A fallback answers only when the model before it failed before its first token, so every model in
the chain must be able to take the same request: one lacking a needed capability (vision, when the
context holds images) or too small a context window is left out.
"""

from __future__ import annotations

from collections.abc import Iterable

from parley.catalog import Catalog, ModelSpec


def required_capabilities(image_count: int) -> frozenset[str]:
    return frozenset({"vision"}) if image_count > 0 else frozenset()


def fallback_chain(
    catalog: Catalog,
    model_id: str,
    *,
    required: Iterable[str] = (),
    min_context_tokens: int = 0,
) -> list[ModelSpec]:
    """``model_id`` then its direct fallbacks in catalog order, without repeats or unfit models.

    The chosen model is filtered like the rest: an empty list means no model here can take the
    request (the caller answers with an error rather than a model that would mangle it).
    Raises ``KeyError`` for an unknown ``model_id``.
    """
    first = catalog.by_id[model_id]
    needs = frozenset(required)
    chain: list[ModelSpec] = []
    seen: set[str] = set()
    for candidate_id in (first.id, *first.fallbacks):
        if candidate_id in seen:
            continue
        seen.add(candidate_id)
        spec = catalog.by_id[candidate_id]
        if needs - set(spec.capabilities) or spec.context_window < min_context_tokens:
            continue
        chain.append(spec)
    return chain
