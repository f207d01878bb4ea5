"""Which models may answer a turn: the routed or requested one, then its fallbacks."""

from __future__ import annotations

from collections.abc import Callable

from parley.catalog import AUTO, Catalog, ModelSpec
from parley.errors import ValidationFailed
from parley.inference.base import InferenceRequest
from parley.routing import NoCapableModel, RouteDecision, fallback_chain, required_capabilities, route


class ModelChooser:
    def __init__(self, catalog: Catalog, router: Callable[..., RouteDecision] = route) -> None:
        self.catalog = catalog
        self._route = router

    def check_requested(self, model: str | None) -> str | None:
        """A model named by the request, refused before anything is counted when it is unknown."""
        if model is not None and not self.catalog.is_known(model):
            raise ValidationFailed(f"unknown model '{model}'; see GET /models", code="unknown_model", param="model")
        return model

    def chain(
        self, model_id: str, text: str, *, image_count: int, context_tokens: int, previous_tier: str | None = None
    ) -> tuple[list[ModelSpec], str | None]:
        """The routed (``auto``) or requested model, then its fallbacks, keeping only models that can
        take the turn (vision for images); with the routing reason."""
        reason = None
        if model_id == AUTO:
            try:
                decision = self._route(text, image_count=image_count, context_tokens=context_tokens,
                                       catalog=self.catalog, previous_tier=previous_tier)
            except NoCapableModel as exc:
                raise ValidationFailed(str(exc), code="no_capable_model") from exc
            model_id, reason = decision.model_id, decision.reason
        elif self.catalog.get(model_id) is None:
            raise ValidationFailed(f"unknown model '{model_id}'", code="unknown_model")
        chain = fallback_chain(self.catalog, model_id, required=required_capabilities(image_count))
        if not chain:
            raise ValidationFailed(
                f"model '{model_id}' cannot take this message" + (" (it has images)" if image_count else ""),
                code="no_capable_model",
            )
        return chain, reason

    def answering(self, chain: list[ModelSpec], cached_model: str | None) -> list[ModelSpec]:
        """The chain a turn runs: a cache hit is answered as the model that first gave it."""
        if cached_model is None:
            return chain
        return [self.catalog.by_id.get(cached_model, chain[0])]


def worst_case_cost(chain: list[ModelSpec], request: InferenceRequest) -> float:
    """What a turn may cost at most: its whole output budget at the priciest model that may answer."""
    return max(spec.cost(request.context_tokens, request.params.max_tokens) for spec in chain)
