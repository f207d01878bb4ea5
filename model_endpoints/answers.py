"""What the simulator says: answers shaped like the request, so that local mode shows the product.

A question gets prose with a list, a code request a fenced block in the language asked for, a
comparison a table, an attached document an answer built from its extracted text, an image a
description of what came with it. Each answer opens with one short plain line that reads well as a
preview. Choices come from a seeded ``random.Random``: the same prompt gives the same answer.

Nothing here says "simulator": that label travels in the message metadata, not in the text.
Attached documents arrive inside Parley's untrusted-data wrapper; it is taken apart here and never
repeated back.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from model_endpoints.code_samples import LANGUAGES, WORD, cap, code_sample

# --- reading the request -------------------------------------------------------------------------

_WRAPPED = re.compile(
    r"The block between <<<BEGIN UNTRUSTED DATA (?P<id>[0-9A-Fa-f]+)>>> and [^\n]*\n"
    r"<<<BEGIN UNTRUSTED DATA (?P=id)>>>\n(?P<body>.*?)\n<<<END UNTRUSTED DATA (?P=id)>>>\n"
    r"\(End of untrusted data from [^\n]*\)",
    re.S,
)
_DOCUMENT = re.compile(
    r'Attached file (?P<name>"(?:[^"\\]|\\.)*") \([^)\n]*\)\.\n(?:[^\n]*\n)*?'
    r"(?:The block between <<<BEGIN UNTRUSTED DATA (?P<id>[0-9A-Fa-f]+)>>> and [^\n]*\n"
    r"<<<BEGIN UNTRUSTED DATA (?P=id)>>>\n(?P<body>.*?)\n<<<END UNTRUSTED DATA (?P=id)>>>\n"
    r"\(End of untrusted data from [^\n]*\)|No content of this file is included\.)",
    re.S,
)
_EXCERPT_LABEL = re.compile(r"^\[(?:excerpt [^\]]*|\.\.\.)\]$", re.M)
_FENCE_LINE = re.compile(r"^(`{3,}|~{3,})[\w+#.-]*$", re.M)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")

_POLITE = re.compile(
    r"^(?:(?:hi|hello|hey)(?: there)?[,!.]\s+)?(?:please[,]?\s+)?(?:(?:can|could|would|will) you\s+)?"
    r"(?:please\s+)?",
    re.I,
)
_ASK = re.compile(
    r"^(?:tell me (?:about|more about)|tell me|explain(?: to me)?|describe|summari[sz]e|what (?:is|are|was|were)|"
    r"what's|who (?:is|was)|how (?:does|do|did|can|should)(?: i| we| you)?|how to|why (?:is|are|does|do)|"
    r"give me|show me|help me(?: with)?|i need|i want|write(?: me)?|create|implement|make|generate|list|"
    r"compare|suggest|recommend)\s+",
    re.I,
)
_ARTICLE = re.compile(r"^(?:a|an|the|some|me)\s+", re.I)
# "a Python function that reverses a string" -> "reverses a string"
_CODE_NOUN = re.compile(r"^(?:[\w+#]+\s+)?(?:function|script|program|class|method|snippet|query|one-liner)s?"
                        r"(?:\s+(?:that|which|to|for|in [\w+#]+))+\s+", re.I)
_CONTEXT_TAIL = re.compile(r"\s+(?:for|in|when|on)\s+.*$", re.I)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|thanks|thank you)\b[\s!.,?]*(?:there)?[\s!.]*$", re.I
)
_HOW_ARE_YOU = re.compile(r"\bhow are you\b|\bhow's it going\b", re.I)
_COMPARE = re.compile(
    r"\bcompare\s+(?P<a>.+?)\s+(?:and|with|to|vs\.?|versus)\s+(?P<b>.+)"
    r"|\bdifferences? between\s+(?P<c>.+?)\s+and\s+(?P<d>.+)"
    r"|(?P<e>[\w .+#-]{1,40}?)\s+(?:vs\.?|versus)\s+(?P<f>[\w .+#-]{1,40})",
    re.I,
)
_CODE_ASK = re.compile(
    r"\b(?:function|code|script|snippet|class|method|program|regex|query|implement|algorithm|one-liner|"
    r"endpoint|unit tests?)\b|```",
    re.I,
)
_STEPS = re.compile(r"^(?:how (?:do|can|should) (?:i|we)|how to|steps?\b|list|ideas?|tips?)\b", re.I)

_LANGUAGE = re.compile(r"(?<![\w+#])(" + "|".join(re.escape(k) for k in sorted(LANGUAGES, key=len, reverse=True))
                       + r")(?![\w+#])", re.I)


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    text: str


@dataclass(slots=True)
class Request:
    """The parts of the last user turn an answer is shaped by."""

    text: str
    model: str
    images: int = 0
    documents: list[Document] = field(default_factory=list)


def read_request(content: str, model: str, images: int = 0) -> Request:
    """Split a user turn into the person's own words and the documents Parley attached to it."""
    documents: list[Document] = []

    def take(match: re.Match[str]) -> str:
        body = _FENCE_LINE.sub("", _EXCERPT_LABEL.sub("", match.group("body") or "")).strip()
        try:
            name = str(json.loads(match.group("name")))
        except ValueError:
            name = match.group("name").strip('"')
        documents.append(Document(name, body))
        return ""

    own = _DOCUMENT.sub(take, content)
    # Anything else wrapped (a flagged message passed as data) keeps its text, never its markers.
    own = _WRAPPED.sub(lambda m: m.group("body"), own).strip()
    return Request(own, model, images, documents)


def topic_of(text: str) -> str:
    """The subject of a request in a few words ("Tell me about rivers?" -> "rivers")."""
    first = next((line.strip() for line in text.splitlines() if line.strip() and not line.startswith("```")), "")
    first = re.split(r"(?<=[.?!])\s", first, maxsplit=1)[0]
    subject = _ARTICLE.sub("", _ASK.sub("", _POLITE.sub("", first), count=1), count=1)
    subject = _CODE_NOUN.sub("", subject, count=1)
    subject = re.sub(r"[\s?!.:,;]+$", "", subject)
    subject = re.sub(r"\s*,?\s*please$", "", subject, flags=re.I)
    words = subject.split()
    if len(words) > 8:
        subject = " ".join(words[:8])
    return subject or "your question"


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


def _general(req: Request, rng: random.Random) -> Draft:
    topic = topic_of(req.text)
    small_talk = _HOW_ARE_YOU.search(req.text) and len(req.text.split()) <= 8
    if _GREETING.match(req.text.strip()) or small_talk:
        draft = Draft("I'm doing well, thanks for asking! What can I help you with?" if small_talk else
                      rng.choice(["Hello! How can I help today?", "Hi there, what would you like to work on?"]))
        draft.add("A few things I can do:\n\n" + _bullets(rng, [
            "**Explain** a topic step by step", "**Write code** in the language you name",
            "**Compare** options in a table", "**Summarise** a document you attach",
            "**Brainstorm** ideas or names", "**Review** a draft and suggest edits",
        ], 4), required=True)
        draft.padding = _padding("anything new", rng)
        return draft
    if _STEPS.match(_POLITE.sub("", req.text.strip())):
        how = re.match(r"how\b", _POLITE.sub("", req.text.strip()), re.I)
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
    draft = Draft(rng.choice([f"Here's a quick overview of {topic}.", f"{cap(topic)} in a nutshell.",
                              f"Good question: {topic} has a few parts worth knowing."]))
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
    named = _LANGUAGE.search(req.text)
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
    b = _CONTEXT_TAIL.sub("", b) or b
    a, b = cap(_ARTICLE.sub("", a)), cap(_ARTICLE.sub("", b))
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
    sentences = [s.strip() for s in _SENTENCE.findall(doc.text) if len(s.strip().split()) >= 3]
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
    elif "code" in req.model or _CODE_ASK.search(req.text):
        draft = _code(req, rng)
    elif match := _COMPARE.search(req.text):
        draft = _compare(req, rng, match)
    else:
        draft = _general(req, rng)
    return _fit(draft, target, count)
