"""Routing benchmark: accuracy on the labelled prompts, cost against always-smart, and latency.

Run: ``.venv/bin/python tests/bench/bench_routing.py``. Not collected by pytest (no ``test_`` prefix).

The labelled set (tests/data/routing_prompts.jsonl) was written in batches; ``batch`` says which.
Batches 1-6 informed the router's cues and weights (their ``dev`` rows directly, the rest by
inspection as the design was revised), so their accuracy is optimistic. Batch 7 was written after
the router was frozen and never used to change it: its figures are the honest estimate of how the
router does on prompts it has not seen.

Cost assumptions (printed with the figures):
- input tokens per prompt: the default system prompt + the prompt (tiktoken cl100k) + 4 tokens of chat
  template per message, + IMAGE_TOKENS per image (Qwen2.5-VL spends one token per 28x28 patch: a
  ~900x900 photo is ~1,000 tokens);
- output tokens: OUTPUT_TOKENS per answer whatever the model (the brief's 300); a second run uses a
  length per labelled tier, since proofs and code run longer than lookups;
- "always smart": every text prompt on the smart model; image prompts stay on the vision model,
  since the smart model cannot read images (so routing gets no credit for them);
- response cache: every prompt is a first turn; REPEAT_SHARE of the first-turn questions that have no
  attachment (only those can use the shared cache) are exact repeats answered from the cache at no
  model cost. 25% sits in the middle of the 20-30% that public chat services report for exact
  first-turn repeats (the seed design assumes 40%); it is an assumption, not a measurement, so the
  saving is also printed for 0-40%. "Uniform" spreads repeats evenly over the eligible prompts;
  "cheapest-first" puts them on the prompts that are cheapest to answer (short lookups, which are
  the ones that repeat most), a lower bound on what the cache saves. Cache storage cost is ignored.
- the labelled set is a third smart prompts and a fifth code, far more than a public chat service
  sees, which understates what routing saves. The figures are therefore repeated with each labelled
  tier reweighted to PRODUCTION_MIX: code 5% follows "How People Use ChatGPT" (Chatterji et al., NBER
  w34255, 2025: 4.2% of messages are programming); vision 5%, smart 30% and fast 60% are assumptions
  (most traffic is practical guidance, information seeking and editing of the user's own text).
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from parley.catalog import Catalog, ModelTier, load_catalog
from parley.routing import RouteDecision, route
from parley.settings import Settings
from parley.tokens import PER_MESSAGE_OVERHEAD, count_tokens

DATA = Path(__file__).resolve().parents[1] / "data" / "routing_prompts.jsonl"
TIERS: tuple[ModelTier, ...] = ("fast", "smart", "code", "vision")
HOLDOUT_BATCH = 7
IMAGE_TOKENS = 1_000
OUTPUT_TOKENS = 300
OUTPUT_TOKENS_BY_LABEL: dict[str, int] = {"fast": 200, "smart": 600, "code": 500, "vision": 250}
REPEAT_SHARE = 0.25
PRODUCTION_MIX: dict[str, float] = {"fast": 0.60, "smart": 0.30, "code": 0.05, "vision": 0.05}
SMART_TO_FAST_GOAL = 0.05
SAVING_GOAL = 0.50


@dataclass(frozen=True)
class Row:
    prompt: str
    tier: ModelTier
    images: int
    split: str
    batch: int


@dataclass(frozen=True)
class Routed:
    row: Row
    decision: RouteDecision


def load_rows(path: Path = DATA) -> list[Row]:
    rows = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            rows.append(Row(d["prompt"], d["tier"], d["images"], d["split"], d.get("batch", 0)))
    return rows


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def accuracy(routed: list[Routed]) -> float:
    return sum(r.decision.tier == r.row.tier for r in routed) / len(routed) if routed else float("nan")


def smart_to_fast(routed: list[Routed]) -> tuple[int, int]:
    smart = [r for r in routed if r.row.tier == "smart"]
    return sum(r.decision.tier == "fast" for r in smart), len(smart)


def print_confusion(title: str, routed: list[Routed]) -> None:
    counts = Counter((r.row.tier, r.decision.tier) for r in routed)
    print(f"\n{title} (rows: label, columns: routed)")
    print("          " + "".join(f"{t:>8}" for t in TIERS))
    for label in TIERS:
        print(f"  {label:<8}" + "".join(f"{counts[(label, t)]:>8}" for t in TIERS))


def print_accuracy(routed: list[Routed]) -> None:
    print("== Accuracy ==")
    groups = [
        ("all", routed),
        ("dev split", [r for r in routed if r.row.split == "dev"]),
        ("test split", [r for r in routed if r.row.split == "test"]),
        (f"batch {HOLDOUT_BATCH} (post-freeze holdout)", [r for r in routed if r.row.batch == HOLDOUT_BATCH]),
    ]
    for name, group in groups:
        leaked, smart = smart_to_fast(group)
        share = leaked / smart if smart else 0.0
        print(f"  {name:<32} n={len(group):>4}  accuracy {_pct(accuracy(group))}   "
              f"smart->fast {leaked}/{smart} = {_pct(share)} (goal <= {_pct(SMART_TO_FAST_GOAL).strip()})")
    by_batch = sorted({r.row.batch for r in routed})
    print("  by batch: " + ", ".join(
        f"{b}: {_pct(accuracy([r for r in routed if r.row.batch == b])).strip()}" for b in by_batch))
    print_confusion("Confusion, all", routed)
    print_confusion("Confusion, test split", [r for r in routed if r.row.split == "test"])
    print_confusion(f"Confusion, batch {HOLDOUT_BATCH}", [r for r in routed if r.row.batch == HOLDOUT_BATCH])


def input_tokens(row: Row, system_tokens: int) -> int:
    return system_tokens + count_tokens(row.prompt) + 2 * PER_MESSAGE_OVERHEAD + IMAGE_TOKENS * row.images


def costs(
    routed: list[Routed], catalog: Catalog, output_for: dict[str, int] | None,
) -> tuple[list[float], list[float]]:
    """Per prompt: (cost with routing, cost always-smart)."""
    system_tokens = count_tokens(Settings().default_system_prompt)
    smart, vision = catalog.for_tier("smart"), catalog.for_tier("vision")
    with_routing, always_smart = [], []
    for r in routed:
        tin = input_tokens(r.row, system_tokens)
        tout = output_for[r.row.tier] if output_for else OUTPUT_TOKENS
        with_routing.append(catalog.by_id[r.decision.model_id].cost(tin, tout))
        always_smart.append((vision if r.row.images else smart).cost(tin, tout))
    return with_routing, always_smart


def mix_weights(routed: list[Routed], mix: dict[str, float] | None) -> list[float]:
    """Weight per prompt: 1 each, or so that each labelled tier carries its share of ``mix``."""
    if mix is None:
        return [1.0] * len(routed)
    counts = Counter(r.row.tier for r in routed)
    return [mix[r.row.tier] * len(routed) / counts[r.row.tier] for r in routed]


def cached_cost(
    routed: list[Routed], per_prompt: list[float], weights: list[float], share: float, cheapest_first: bool,
) -> float:
    """Cost when ``share`` of the (weighted) cache-eligible prompts are answered from the cache."""
    total = sum(c * w for c, w in zip(per_prompt, weights, strict=True))
    eligible = sorted((per_prompt[i], weights[i]) for i, r in enumerate(routed) if r.row.images == 0)
    if not cheapest_first:
        return total - share * sum(c * w for c, w in eligible)
    budget = share * sum(w for _, w in eligible)
    saved = 0.0
    for cost, weight in eligible:
        take = min(weight, budget)
        saved += cost * take
        budget -= take
        if budget <= 0:
            break
    return total - saved


def print_costs(routed: list[Routed], catalog: Catalog) -> None:
    print("\n== Cost (US$ per prompt set, one answer per prompt) ==")
    print(f"  assumptions: system prompt + prompt tokens + {2 * PER_MESSAGE_OVERHEAD} template tokens in, "
          f"{IMAGE_TOKENS} tokens per image; always-smart keeps image prompts on the vision model")
    counts = Counter(r.row.tier for r in routed)
    print("  labelled mix: " + ", ".join(f"{t} {counts[t]}" for t in TIERS))
    assumed = ", ".join(f"{t} {int(100 * PRODUCTION_MIX[t])}%" for t in TIERS)
    print(f"  production-like mix (assumed): {assumed}")
    scenarios = [
        ("labelled mix", None, None),
        ("labelled mix, output tokens by tier", None, OUTPUT_TOKENS_BY_LABEL),
        ("production-like mix", PRODUCTION_MIX, None),
        ("production-like mix, output tokens by tier", PRODUCTION_MIX, OUTPUT_TOKENS_BY_LABEL),
    ]
    print(f"  output tokens: {OUTPUT_TOKENS} per answer, or by labelled tier {OUTPUT_TOKENS_BY_LABEL}")
    for name, mix, output_for in scenarios:
        with_routing, always_smart = costs(routed, catalog, output_for)
        weights = mix_weights(routed, mix)
        base = sum(c * w for c, w in zip(always_smart, weights, strict=True))
        routed_total = sum(c * w for c, w in zip(with_routing, weights, strict=True))
        print(f"\n  [{name}]")
        print(f"  always smart  ${base:7.4f}")
        print(f"  routing       ${routed_total:7.4f}   saving {_pct(1 - routed_total / base)}")
        for share in (0.10, 0.20, REPEAT_SHARE, 0.30, 0.40):
            uniform = cached_cost(routed, with_routing, weights, share, cheapest_first=False)
            cheapest = cached_cost(routed, with_routing, weights, share, cheapest_first=True)
            mark = "  <- assumed" if share == REPEAT_SHARE else ""
            print(f"  + cache, {int(share * 100):>2}% repeats: saving uniform {_pct(1 - uniform / base)}, "
                  f"cheapest-first {_pct(1 - cheapest / base)}{mark}")
        uniform = 1 - cached_cost(routed, with_routing, weights, REPEAT_SHARE, cheapest_first=False) / base
        cheapest = 1 - cached_cost(routed, with_routing, weights, REPEAT_SHARE, cheapest_first=True) / base
        print(f"  goal >= {_pct(SAVING_GOAL).strip()} with {int(REPEAT_SHARE * 100)}% repeats: "
              f"uniform {'met' if uniform >= SAVING_GOAL else 'NOT met'}, "
              f"cheapest-first {'met' if cheapest >= SAVING_GOAL else 'NOT met'}")


def print_latency(rows: list[Row], catalog: Catalog, rounds: int = 5) -> None:
    print("\n== Routing latency (route(), one call at a time, this machine) ==")
    timings: list[float] = []
    for _ in range(rounds):
        for row in rows:
            start = time.perf_counter_ns()
            route(row.prompt, image_count=row.images, catalog=catalog)
            timings.append((time.perf_counter_ns() - start) / 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[min(len(timings) - 1, int(0.99 * len(timings)))]
    chars = statistics.median(len(r.prompt) for r in rows)
    print(f"  labelled prompts (median {chars:.0f} chars), {len(timings)} calls: "
          f"p50 {p50:7.1f} us   p99 {p99:7.1f} us   max {timings[-1]:7.1f} us")
    paragraph = "The committee reviewed the budget, compared three proposals and asked why costs rose. "
    for size in (500, 2_000, 20_000, 200_000):
        text = (paragraph * (size // len(paragraph) + 1))[:size] + "\nWhat do you think?"
        best = min(_time_once(text, catalog) for _ in range(rounds))
        print(f"  one prompt of {size:>7,} chars: best of {rounds} {best:9.1f} us")


def _time_once(text: str, catalog: Catalog) -> float:
    start = time.perf_counter_ns()
    route(text, catalog=catalog)
    return (time.perf_counter_ns() - start) / 1000


def main() -> None:
    catalog = load_catalog()
    rows = load_rows()
    routed = [Routed(r, route(r.prompt, image_count=r.images, catalog=catalog)) for r in rows]
    print(f"Routing benchmark: {len(rows)} labelled prompts from {DATA.name}")
    print_accuracy(routed)
    print_costs(routed, catalog)
    print_latency(rows, catalog)


if __name__ == "__main__":
    main()
