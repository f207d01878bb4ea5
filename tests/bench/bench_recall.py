"""Recall benchmark (not collected by pytest): ``python -m tests.bench.bench_recall``.

Synthetic 200-turn conversations, each with 20 facts planted in random user turns ("my locker code
is 4821") among filler turns, then one question per fact at the end ("what is my locker code?").
For each question the context builder builds the turn's context for a model with an 8K window and
a summary covering all but the last 12 messages; the figure is the share of questions whose
fact's value is present in the built context, with recall (``recall_token_budget``) and with the
summary only. The synthetic summary holds no fact (the local simulator cannot summarize), so the
"summary only" figure counts facts still in the recent window: a lower bound for a real summary,
which keeps some facts but not reliably twenty per conversation.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from parley.catalog import load_catalog  # noqa: E402
from parley.context.builder import build_context  # noqa: E402
from parley.conversations.model import (
    Message,  # noqa: E402
    Summary,  # noqa: E402
)
from parley.ids import new_id  # noqa: E402
from parley.settings import Settings  # noqa: E402
from parley.tokens import count_tokens  # noqa: E402
from tests.bench.bench_coldstore import text  # noqa: E402

FACTS = [
    ("My locker code at the gym is {v}.", "What is my locker code at the gym?", "4821"),
    ("My sister's name is {v}.", "What is my sister's name?", "Ottilie"),
    ("My favourite colour is {v}.", "What is my favourite colour?", "teal"),
    ("My car's licence plate is {v}.", "What is my car's licence plate?", "KX-52-PQ"),
    ("I was born in the town of {v}.", "Which town was I born in?", "Vinhais"),
    ("My dentist appointment is on {v}.", "When is my dentist appointment?", "March 14"),
    ("My cat is called {v}.", "What is my cat called?", "Biscuit"),
    ("The wifi password at my office is {v}.", "What is the wifi password at my office?", "pelican77"),
    ("My employee number is {v}.", "What is my employee number?", "E-30918"),
    ("I am allergic to {v}.", "What am I allergic to?", "hazelnuts"),
    ("My passport expires in {v}.", "When does my passport expire?", "2031"),
    ("My landlord's phone number is {v}.", "What is my landlord's phone number?", "555-0142"),
    ("My bike lock combination is {v}.", "What is my bike lock combination?", "9-3-7"),
    ("My favourite author is {v}.", "Who is my favourite author?", "Saramago"),
    ("My flight to Oslo leaves from gate {v}.", "Which gate does my flight to Oslo leave from?", "B17"),
    ("My blood type is {v}.", "What is my blood type?", "AB negative"),
    ("My grandmother's recipe uses {v} as the secret spice.", "What is the secret spice in my grandmother's recipe?",
     "cardamom"),
    ("My running shoe size is {v}.", "What is my running shoe size?", "43.5"),
    ("The project deadline was moved to {v}.", "When was the project deadline moved to?", "June 2"),
    ("My bank branch is on {v}.", "Which street is my bank branch on?", "Rua Augusta"),
]
WINDOW, MAX_OUTPUT, KEEP_RECENT = 8192, 1024, 12


def conversation(rng: random.Random, turns: int) -> tuple[list[Message], dict[int, int]]:
    """Messages root first, and {fact index: position of its message}."""
    cid, parent, messages = new_id(), None, []
    slots = sorted(rng.sample(range(turns - 8), len(FACTS)))
    planted = dict(zip(slots, range(len(FACTS)), strict=True))
    where: dict[int, int] = {}
    for turn in range(turns):
        for role in ("user", "assistant"):
            if role == "user" and turn in planted:
                fact = planted[turn]
                content = f"{text(rng, rng.randint(10, 40))} {FACTS[fact][0].format(v=FACTS[fact][2])}"
                where[fact] = len(messages)
            else:
                content = text(rng, rng.randint(40, 110) if role == "user" else rng.randint(80, 180))
            mid = new_id()
            messages.append(Message(mid, cid, parent, role, content, 0, tokens=count_tokens(content)))  # type: ignore[arg-type]
            parent = mid
    return messages, where


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args(argv or [])
    settings = Settings()
    spec = load_catalog().models[0].model_copy(update={"context_window": WINDOW, "max_output": MAX_OUTPUT})
    system = settings.default_system_prompt
    rng = random.Random(2026)
    found = {"summary only": 0, "summary + recall": 0}
    asked, timings, history_tokens = 0, [], []
    for _ in range(args.conversations):
        messages, where = conversation(rng, args.turns)
        history_tokens.append(sum(m.tokens for m in messages))
        summary_text = text(rng, 400)
        for fact, (_, question, value) in enumerate(FACTS):
            q = Message(new_id(), messages[0].conversation_id, messages[-1].message_id, "user", question, 0,
                        tokens=count_tokens(question))
            history = [*messages, q]
            summary = Summary(history[-1 - KEEP_RECENT].message_id, summary_text, count_tokens(summary_text),
                              len(history) - 1 - KEEP_RECENT)
            asked += 1
            for label, budget in (("summary only", 0), ("summary + recall", settings.recall_token_budget)):
                started = time.perf_counter()
                built = build_context(system_prompt=system, system_tokens=count_tokens(system), history=history,
                                      spec=spec, max_output=MAX_OUTPUT, summary=summary, recall_budget=budget)
                if budget:
                    timings.append((time.perf_counter() - started) * 1000)
                if any(value in str(m.content) for m in built.messages):
                    found[label] += 1
            assert where[fact] < len(messages)
    print(f"{args.conversations} conversations of {args.turns} turns (~{statistics.mean(history_tokens):,.0f} tokens "
          f"each), {len(FACTS)} facts each, {asked} questions; window {WINDOW:,} tokens, summary + last "
          f"{KEEP_RECENT} messages, recall budget {settings.recall_token_budget} tokens")
    for label, n in found.items():
        print(f"  facts present in the built context, {label}: {n}/{asked} = {100 * n / asked:.1f} %")
    print(f"  context build with recall: p50 {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
