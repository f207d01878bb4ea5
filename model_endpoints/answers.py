"""What the simulator says: answers shaped like the request, so that local mode shows the product.

A question gets prose with a list, a code request a fenced block in the language asked for, a
comparison a table, an attached document an answer built from its extracted text, an image a
description of what came with it. Each answer opens with one short plain line that reads well as a
preview. Choices come from a seeded ``random.Random``: the same prompt gives the same answer.

Nothing here says "simulator": that label travels in the message metadata, not in the text.
``model_endpoints.prompt`` reads the request (and takes Parley's untrusted-data wrapper apart, so it is
never repeated back).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from model_endpoints.code_samples import LANGUAGES, WORD, cap, code_sample
from model_endpoints.prompt import (
    ARTICLE,
    CAPABILITIES,
    CODE_ASK,
    COMPARE,
    CONTEXT_TAIL,
    CREATIVE,
    FOLLOW_UP,
    GREETING,
    HOW_ARE_YOU,
    IDEAS,
    LANGUAGE,
    POLITE,
    SENTENCE,
    STEPS,
    WHY,
    Request,
    topic_of,
)

# --- writing -------------------------------------------------------------------------------------


@dataclass(slots=True)
class Draft:
    """An answer as sections; optional ones are dropped first when the reply length is short."""

    first: str
    sections: list[tuple[str, bool]] = field(default_factory=list)  # (markdown, required)
    padding: list[str] = field(default_factory=list)

    def add(self, text: str, required: bool = False) -> None:
        self.sections.append((text, required))


def _fit(draft: Draft, target: int, count: Callable[[str], int]) -> str:
    """Join the sections; leave out optional ones past ``target`` tokens, pad up to it with prose."""
    parts = [draft.first]
    used = count(draft.first)
    for text, required in draft.sections:
        cost = count("\n\n" + text)
        if required or used + cost <= target:
            parts.append(text)
            used += cost
    extra: list[str] = []
    for sentence in draft.padding:
        if used >= target:
            break
        extra.append(sentence)
        used += count(" " + sentence)
    n = 0
    while used < target and draft.padding:  # long replies asked for: keep going, varied by position
        sentence = draft.padding[n % len(draft.padding)]
        extra.append(sentence)
        used += count(" " + sentence)
        n += 1
    if extra:
        parts.append(" ".join(extra))
    return "\n\n".join(parts)


def _padding(topic: str, rng: random.Random) -> list[str]:
    lines = [
        f"A good way into {topic} is one concrete example, worked through from start to finish.",
        "The details depend on your situation, so treat this as a starting point rather than a rule.",
        f"Most questions about {topic} come down to a trade-off between simplicity and flexibility.",
        "If you tell me more about what you are aiming for, I can make this more specific.",
        "It often helps to write down what you already know before going further.",
        "Small experiments teach more here than long reading, and they are cheap to repeat.",
        "Check the assumptions first: they are where most surprises come from.",
        "Once the basics feel familiar, the edge cases are much easier to reason about.",
    ]
    rng.shuffle(lines)
    return lines


def _bullets(rng: random.Random, items: list[str], k: int) -> str:
    return "\n".join(f"- {item}" for item in rng.sample(items, min(k, len(items))))


def _creative(req: Request, rng: random.Random, form: str) -> Draft:
    topic = re.sub(r"^(?:\w+\s+)?(?:about|on|for)\s+", "", topic_of(req.text), flags=re.I)
    if form in ("haiku", "poem", "limerick"):
        lines = {
            "haiku": [f"{cap(topic)} at dusk,",
                      rng.choice(["a quiet wind turns the page", "the light folds into the hills"]),
                      rng.choice(["and the day lets go.", "one more breath, then still."])],
            "poem": [f"I went looking for {topic},", rng.choice(["and found it where the path bends,",
                     "and found it in the smallest things,"]), rng.choice(["not loud, not far,", "patient as a tide,"]),
                     "but waiting, as it always was."],
            "limerick": [f"There once was a fan of {topic}", "who talked of it morning to night;",
                         "when asked for the gist,", "they made a long list,", "and read it by candle-light."],
        }[form]
        draft = Draft(rng.choice([f"A {form} about {topic}.", f"Here's a {form} about {topic}."]))
        draft.add("\n".join(f"*{line}*" for line in lines), required=True)
        draft.add(rng.choice([f"Want a different mood, or a longer {form}?", "I can make it funnier or more serious."]))
    else:
        draft = Draft(rng.choice([f"Here's a draft {form} about {topic}.", f"A first draft: {topic}."]))
        draft.add(f"**{cap(topic)}**\n\n" + rng.choice([
            f"It started with a simple question about {topic}, and the answer turned out to be more interesting "
            "than expected.", f"Everyone has an opinion on {topic}; here is a short, friendly take on it."]),
            required=True)
        draft.add("Tell me the audience and the tone, and I'll adjust the wording.")
    draft.padding = [
        "I kept the wording plain so that it reads well aloud.",
        "Any line can be swapped for a different image if this one does not fit.",
        f"A second version could look at {topic} from another side.",
    ]
    return draft


def _ideas(req: Request, rng: random.Random, count: int) -> Draft:
    topic = re.sub(r"^(?:\d+\s+)?(?:ideas|tips|ways|suggestions|names|reasons|examples)\s+(?:for|to|of|on)?\s*", "",
                   topic_of(req.text), flags=re.I) or "this"
    draft = Draft(rng.choice([f"{count} ideas for {topic}.", f"Here are {count} ideas for {topic}."]))
    ideas = ["**Keep it simple:** one clear theme, done well.",
             "**Make it personal:** a detail only you would think of.",
             "**Try something new:** a format nobody expects.",
             "**Go outside:** a change of place changes the mood.",
             "**Involve others:** ask two people for their favourite part.",
             "**Plan a surprise:** small, but well timed.",
             "**Set a budget first:** it makes every other choice easier.",
             "**Borrow from the past:** revisit an old tradition.",
             "**Add a challenge:** a friendly goal to aim for.",
             "**Leave room:** not every minute needs a plan."]
    chosen = [ideas[i % len(ideas)] for i in rng.sample(range(len(ideas)), min(count, len(ideas)))]
    draft.add("\n".join(f"{i}. {idea}" for i, idea in enumerate(chosen, 1)), required=True)
    draft.add("Want me to expand any of these into a plan?")
    draft.padding = _padding(topic, rng)
    return draft


def _follow_up(req: Request, rng: random.Random) -> Draft:
    """A shorter take on the previous answer: its first line and its first list or table."""
    blocks = [b for b in req.previous.split("\n\n") if b.strip()]
    listed = next((b for b in blocks[1:] if b.lstrip().startswith(("- ", "1. ", "|", "```"))), "")
    draft = Draft(rng.choice(["Sure, here's a shorter version.", "Here it is in brief."]))
    draft.add(blocks[0] if blocks else "There was no earlier answer to shorten.", required=True)
    if listed:
        draft.add(listed, required=True)
    return draft


def _general(req: Request, rng: random.Random) -> Draft:
    topic = topic_of(req.text)
    small_talk = HOW_ARE_YOU.search(req.text) and len(req.text.split()) <= 8
    if CAPABILITIES.match(req.text.strip()):
        draft = Draft("I can help with writing, explaining, coding and planning.")
        draft.add("For example, I can:\n\n" + "\n".join(f"- {x}" for x in [
            "**Explain** a topic step by step", "**Write code** in the language you name",
            "**Compare** options in a table", "**Summarise** a document you attach",
        ]), required=True)
        draft.add("What would you like to start with?", required=True)
        return draft
    if GREETING.match(req.text.strip()) or small_talk:
        draft = Draft("I'm doing well, thanks for asking! What can I help you with?" if small_talk else
                      rng.choice(["Hello! How can I help today?", "Hi there, what would you like to work on?"]))
        draft.add("A few things I can do:\n\n" + _bullets(rng, [
            "**Explain** a topic step by step", "**Write code** in the language you name",
            "**Compare** options in a table", "**Summarise** a document you attach",
            "**Brainstorm** ideas or names", "**Review** a draft and suggest edits",
        ], 4), required=True)
        draft.padding = _padding("anything new", rng)
        return draft
    if STEPS.match(POLITE.sub("", req.text.strip())):
        how = re.match(r"how\b", POLITE.sub("", req.text.strip()), re.I)
        draft = Draft(f"How to {topic}, step by step." if how else f"{cap(topic)}, step by step.")
        steps = ["**Define the goal.** Write one sentence about what done looks like.",
                 "**Gather what you need.** List the tools, inputs and people involved.",
                 "**Start small.** Try the simplest version first and check it works.",
                 "**Iterate.** Change one thing at a time and note what happened.",
                 "**Review.** Compare the result with the goal and tidy up."]
        draft.add("\n".join(f"{i}. {s}" for i, s in enumerate(steps[: rng.randint(3, 5)], 1)), required=True)
        draft.add(rng.choice(["**Tip:** keep notes as you go; they make the second time much faster.",
                              "**Common pitfall:** skipping the first step, then solving the wrong problem."]))
        draft.padding = _padding(topic, rng)
        return draft
    if WHY.match(req.text.strip()):
        first = rng.choice(["Here's the short answer.", "Good question: it comes down to a few causes."])
    else:
        first = rng.choice([f"Here's a quick overview of {topic}.", f"{cap(topic)} in a nutshell.",
                            f"Good question: {topic} has a few parts worth knowing."])
    draft = Draft(first)
    draft.add(rng.choice([
        f"In short, {topic} is easiest to understand through what it does and why it matters.",
        f"At its core, {topic} is about a few ideas that fit together.",
    ]) + " " + rng.choice([
        "Here are the main points:", "The key ideas are:", "Three things stand out:",
    ]) + "\n\n" + _bullets(rng, [
        "**What it is:** the basic idea, stated plainly.",
        "**Why it matters:** where it makes a real difference.",
        "**How it works:** the mechanism, one step at a time.",
        "**Common misconceptions:** what people often get wrong.",
        "**Where to go next:** a good follow-up question to ask.",
        "**A simple example:** the idea in an everyday setting.",
    ], 3), required=True)
    draft.add(rng.choice([
        "If you want, I can go deeper into any of these points or give a worked example.",
        "Would a short example help? I can also compare it with related ideas.",
    ]))
    draft.padding = _padding(topic, rng)
    return draft


def _code(req: Request, rng: random.Random) -> Draft:
    topic = topic_of(req.text)
    named = LANGUAGE.search(req.text)
    tag, language = LANGUAGES[named.group(1).lower()] if named else ("python", "Python")
    kind = "a query" if tag == "sql" else "a script" if tag == "bash" else "a snippet" if tag in ("html", "css") \
        else "a function"
    draft = Draft(rng.choice([f"Here's {kind} in {language} for {topic}.",
                              f"Sure, {kind} in {language} that does it."]))
    draft.add(f"```{tag}\n{code_sample(tag, topic)}\n```", required=True)
    draft.add("How it works:\n\n" + _bullets(rng, [
        "It takes the input as a list and leaves the original untouched.",
        "Empty entries are skipped, so the output only holds real values.",
        "Each value is trimmed before it is kept.",
        "It runs in linear time: one pass over the input.",
        "The names are placeholders: rename them to fit your code base.",
    ], 3), required=True)
    draft.add(rng.choice([
        "Want me to add tests, error handling or type hints?",
        "I can adapt it to your data structures if you paste an example.",
    ]))
    draft.padding = _padding(topic, rng)
    return draft


_ASPECTS = {
    "Best for": ["small projects", "large teams", "quick prototypes", "long-lived systems", "beginners", "experts"],
    "Learning curve": ["gentle", "moderate", "steep"],
    "Performance": ["good", "very good", "excellent", "adequate"],
    "Ecosystem": ["large and mature", "growing", "focused", "vast"],
    "Cost": ["free", "low", "moderate", "depends on scale"],
}


def _compare(req: Request, rng: random.Random, match: re.Match[str]) -> Draft:
    pairs = [(match.group(x), match.group(y)) for x, y in (("a", "b"), ("c", "d"), ("e", "f"))]
    a, b = next((p, q) for p, q in pairs if p and q)
    a, b = (re.sub(r"[\s?!.:,;]+$", "", s).strip() for s in (a, b))
    b = CONTEXT_TAIL.sub("", b) or b
    a, b = cap(ARTICLE.sub("", a)), cap(ARTICLE.sub("", b))
    draft = Draft(rng.choice([f"{a} vs {b}: a side-by-side comparison.", f"Comparing {a} and {b}."]))
    rows = [f"| Aspect | {a} | {b} |", "| --- | --- | --- |"]
    for aspect, values in _ASPECTS.items():
        left, right = rng.sample(values, 2)
        rows.append(f"| {aspect} | {cap(left)} | {cap(right)} |")
    draft.add("\n".join(rows), required=True)
    draft.add(f"**Bottom line:** pick {a} if {rng.choice(['you want to start quickly', 'simplicity matters most'])}, "
              f"and {b} if {rng.choice(['you need room to grow', 'control matters more than convenience'])}.",
              required=True)
    draft.padding = _padding(f"{a} and {b}", rng)
    return draft


def _document(req: Request, rng: random.Random) -> Draft:
    doc = req.documents[0]
    sentences = [s.strip() for s in SENTENCE.findall(doc.text) if len(s.strip().split()) >= 3]
    words = len(doc.text.split())
    if not sentences:
        draft = Draft(f"I couldn't find readable text in {doc.name}.")
        draft.add("It may be empty, or an image of text. Could you paste the part you need?", required=True)
        draft.padding = _padding(doc.name, rng)
        return draft
    draft = Draft(rng.choice([f"Here's a summary of {doc.name}.", f"{doc.name} in brief."]))
    keys = sentences[:3] if len(sentences) <= 3 else [sentences[0], *rng.sample(sentences[1:], 2)]
    draft.add(f"The document has about {words} words. Its main points:\n\n"
              + "\n".join(f"- {s}" for s in keys), required=True)
    question = set(w.lower() for w in WORD.findall(req.text) if len(w) > 3)
    best = max(sentences, key=lambda s: len(question & {w.lower() for w in WORD.findall(s)}))
    if question & {w.lower() for w in WORD.findall(best)}:
        draft.add(f"The passage closest to your question:\n\n> {best}", required=True)
    if len(req.documents) > 1:
        others = ", ".join(d.name for d in req.documents[1:])
        draft.add(f"You also attached {others}; ask about it and I'll go through it the same way.")
    draft.padding = _padding(doc.name, rng)
    return draft


def _image(req: Request, rng: random.Random) -> Draft:
    count = "the image" if req.images == 1 else f"the {req.images} images"
    draft = Draft(rng.choice([f"Here's what I see in {count}.", f"A look at {count} you sent."]))
    draft.add(_bullets(rng, [
        "**Composition:** one main subject, centred, with a plain background.",
        "**Colours:** a limited palette with strong contrast.",
        "**Text:** no readable text stands out.",
        "**Detail:** edges are clean, which suggests a graphic rather than a photo.",
        "**Mood:** calm and uncluttered.",
    ], 3), required=True)
    draft.add("Tell me what you'd like to know about it, and I'll focus on that.")
    draft.padding = _padding("the image", rng)
    return draft


def compose(req: Request, rng: random.Random, target: int, count: Callable[[str], int]) -> str:
    """The answer's text, about ``target`` tokens long as ``count`` measures them."""
    if req.documents:
        draft = _document(req, rng)
    elif req.images:
        draft = _image(req, rng)
    elif "code" in req.model or CODE_ASK.search(req.text):
        draft = _code(req, rng)
    elif match := COMPARE.search(req.text):
        draft = _compare(req, rng, match)
    elif req.previous and FOLLOW_UP.match(req.text.strip()):
        draft = _follow_up(req, rng)
    elif form := CREATIVE.search(req.text):
        draft = _creative(req, rng, form.group("form").lower())
    elif ideas := IDEAS.search(req.text):
        draft = _ideas(req, rng, min(10, max(2, int(ideas.group("n") or 5))))
    else:
        draft = _general(req, rng)
    return _fit(draft, target, count)
