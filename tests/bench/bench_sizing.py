"""GPU memory per catalog model: weights, KV cache at its context, headroom on its instance."""

from __future__ import annotations

from model_endpoints.serving import served_models
from model_endpoints.sizing import check
from parley.catalog import load_catalog


def main() -> None:
    for spec in served_models(load_catalog().models):
        sizing = check(spec)
        assert spec.serving is not None
        print(f"{sizing.line()}  ({spec.serving.full_context_sequences} x {spec.serving.max_model_len} tokens)")


if __name__ == "__main__":
    main()
