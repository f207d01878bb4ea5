"""Decisions of model `auto`: clear cases per tier, the image and long-context rules, reasons, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from parley.catalog import Catalog, load_catalog
from parley.routing import NoCapableModel, RouterConfig, route

CATALOG = load_catalog()
DATA = Path(__file__).resolve().parents[1] / "data" / "routing_prompts.jsonl"

TRACEBACK = (
    "Traceback (most recent call last):\n  File \"main.py\", line 8, in <module>\n    print(totals[key])\n"
    "KeyError: 'eu-west'\nwhat am I doing wrong?"
)


def catalog_without(*tiers: str) -> Catalog:
    kept = {m.id for m in CATALOG.models if m.tier not in tiers}
    models = tuple(
        m.model_copy(update={"fallbacks": tuple(f for f in m.fallbacks if f in kept)})
        for m in CATALOG.models
        if m.id in kept
    )
    return CATALOG.model_copy(update={"models": models})


@pytest.mark.parametrize(
    ("text", "tier"),
    [
        ("hello! how are you today?", "fast"),
        ("Who wrote Hamlet?", "fast"),
        ("Translate 'see you tomorrow' into Italian.", "fast"),
        ("Write a haiku about the sea.", "fast"),
        ("Quelle est la capitale du Japon ?", "fast"),
        ("Write a Python function that returns the n-th Fibonacci number.", "code"),
        ("```ts\nconst x: number = '1';\n```\nwhy does this not compile?", "code"),
        (TRACEBACK, "code"),
        ("How do I reverse a string in JavaScript?", "code"),
        ("Écris une fonction Python qui trie une liste de dictionnaires par date.", "code"),
        ("Prove that there are infinitely many primes.", "smart"),
        ("Solve for x: 2x^2 + 3x - 5 = 0", "smart"),
        ("Compare the trade-offs of microservices and a monolith for a team of five.", "smart"),
        ("Walk me through, step by step, how compound interest grows $5,000 at 4% over 10 years.", "smart"),
        ("请证明根号2是无理数。", "smart"),
    ],
)
def test_clear_cases(text: str, tier: str) -> None:
    decision = route(text, catalog=CATALOG)
    assert decision.tier == tier, decision
    assert decision.model_id == CATALOG.for_tier(tier).id  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "what is this?", TRACEBACK, "Prove that 17 is prime, step by step."])
@pytest.mark.parametrize("images", [1, 3])
def test_images_always_go_to_vision(text: str, images: int) -> None:
    decision = route(text, image_count=images, context_tokens=100_000, catalog=CATALOG)
    assert decision.tier == "vision"
    assert CATALOG.by_id[decision.model_id].vision
    assert decision.reason == f"vision: {images} image{'s' if images > 1 else ''} attached"


def test_long_context_goes_to_smart() -> None:
    short = "ok, and what about the second point?"
    assert route(short, context_tokens=1_000, catalog=CATALOG).tier == "fast"
    decision = route(short, context_tokens=20_000, catalog=CATALOG)
    assert decision.tier == "smart"
    assert decision.reason.startswith("smart: long context")


def test_long_context_threshold_is_configurable_and_counts_the_prompt() -> None:
    config = RouterConfig(long_context_tokens=1_000)
    assert route("thanks!", context_tokens=990, catalog=CATALOG, config=config).tier == "fast"
    assert route("thanks!", context_tokens=1_000, catalog=CATALOG, config=config).tier == "smart"
    # A pasted document longer than the threshold is long context by itself.
    assert route("word " * 1_000, catalog=CATALOG, config=config).tier == "smart"


def test_summarising_a_long_paste_stays_fast() -> None:
    article = " ".join(["The council approved the new cycle lanes after a long debate about parking."] * 40)
    decision = route(f"Summarize this article in three bullet points:\n\n{article}", catalog=CATALOG)
    assert decision.tier == "fast"
    assert "summarise" in decision.reason


def test_reasoning_asked_of_a_paste_goes_to_smart() -> None:
    study = " ".join(["We surveyed 400 workers and found productivity rose 11% when working from home."] * 5)
    text = f"Summarize this study and evaluate whether its conclusions follow from the data:\n\n{study}"
    assert route(text, catalog=CATALOG).tier == "smart"


@pytest.mark.parametrize(
    "text",
    ["", "hi", "Who wrote Hamlet?", TRACEBACK, "Prove that 2 is prime.", "word " * 5_000, "make it async"],
)
def test_reasons_are_short_and_name_the_tier(text: str) -> None:
    decision = route(text, catalog=CATALOG)
    assert decision.reason.startswith(f"{decision.tier}: ")
    assert len(decision.reason.split(": ", 1)[1]) > 0
    assert len(decision.reason) <= 80


def test_follow_up_keeps_the_previous_tier_only_without_signals_of_its_own() -> None:
    decision = route("now make it async", previous_tier="code", catalog=CATALOG)
    assert (decision.tier, decision.reason) == ("code", "code: follow-up in a code thread")
    assert route("now make it async", catalog=CATALOG).tier == "fast"
    assert route("thanks!", previous_tier="code", catalog=CATALOG).tier == "fast"
    assert route("and for n = 5?", previous_tier="smart", catalog=CATALOG).tier == "smart"
    assert route("Prove it for n = 5 too.", previous_tier="code", catalog=CATALOG).tier == "smart"


def test_scores_and_signals_are_exposed() -> None:
    decision = route("Write a SQL query that counts orders per month.", catalog=CATALOG)
    assert set(decision.scores) == {"code", "smart"}
    assert decision.scores["code"] >= 2.0
    assert "write-code request" in decision.signals


def test_missing_tier_uses_a_substitute_and_says_so() -> None:
    decision = route("Write a Python function that adds two numbers.", catalog=catalog_without("code"))
    assert decision.tier == "smart"
    assert decision.reason.endswith("(no code model; smart used)")


def test_images_without_a_vision_model_raise() -> None:
    with pytest.raises(NoCapableModel):
        route("what is this?", image_count=1, catalog=catalog_without("vision"))


def test_same_input_same_decision() -> None:
    text = "Compare PostgreSQL and DynamoDB for a multi-tenant SaaS, then write the schema in SQL."
    first = route(text, context_tokens=500, catalog=CATALOG)
    assert all(route(text, context_tokens=500, catalog=CATALOG) == first for _ in range(20))


def test_decisions_do_not_depend_on_the_process_hash_seed() -> None:
    rows = [json.loads(line) for line in DATA.read_text("utf-8").splitlines() if line.strip()]
    here = [route(r["prompt"], image_count=r["images"], catalog=CATALOG) for r in rows]
    expected = [[d.model_id, d.reason, dict(d.scores), list(d.signals)] for d in here]
    script = (
        "import json, sys\n"
        "from parley.catalog import load_catalog\n"
        "from parley.routing import route\n"
        "c = load_catalog()\n"
        "rows = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8') if l.strip()]\n"
        "ds = [route(r['prompt'], image_count=r['images'], catalog=c) for r in rows]\n"
        "print(json.dumps([[d.model_id, d.reason, dict(d.scores), list(d.signals)] for d in ds]))\n"
    )
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", script, str(DATA)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True, text=True, check=True, timeout=120,
        )
        assert json.loads(out.stdout) == expected
