"""Reading a simulated request: the person's own words, the documents Parley attached, the topic.

Attached documents arrive inside Parley's untrusted-data wrapper (``parley.safety.untrusted``); it is
taken apart here, so an answer can quote the document and never the wrapper.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from model_endpoints.code_samples import LANGUAGES

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
SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")

POLITE = re.compile(
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
ARTICLE = re.compile(r"^(?:a|an|the|some|me)\s+", re.I)
# "a Python function that reverses a string" -> "reverses a string"
_CODE_NOUN = re.compile(r"^(?:[\w+#]+\s+)?(?:function|script|program|class|method|snippet|query|one-liner)s?"
                        r"(?:\s+(?:that|which|to|for|in [\w+#]+))+\s+", re.I)
CONTEXT_TAIL = re.compile(r"\s+(?:for|in|when|on)\s+.*$", re.I)
GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|thanks|thank you)\b[\s!.,?]*(?:there)?[\s!.]*$", re.I
)
HOW_ARE_YOU = re.compile(r"\bhow are you\b|\bhow's it going\b", re.I)
COMPARE = re.compile(
    r"\bcompare\s+(?P<a>.+?)\s+(?:and|with|to|vs\.?|versus)\s+(?P<b>.+)"
    r"|\bdifferences? between\s+(?P<c>.+?)\s+and\s+(?P<d>.+)"
    r"|(?P<e>[\w .+#-]{1,40}?)\s+(?:vs\.?|versus)\s+(?P<f>[\w .+#-]{1,40})",
    re.I,
)
CODE_ASK = re.compile(
    r"\b(?:function|code|script|snippet|class|method|program|regex|query|implement|algorithm|one-liner|"
    r"endpoint|unit tests?)\b|```",
    re.I,
)
CAPABILITIES = re.compile(r"^(?:what can you do|who are you|what are you|help)\b[\s?!.]*$", re.I)
CREATIVE = re.compile(r"\b(?P<form>haiku|poem|limerick|story|email|slogan|tagline)\b", re.I)
IDEAS = re.compile(r"\b(?:(?P<n>\d{1,2})\s+)?(?:ideas|tips|ways|suggestions|names|reasons|examples)\b", re.I)
WHY = re.compile(r"^why\b", re.I)
FOLLOW_UP = re.compile(r"^(?:make it|shorter|simpler|simplify|summari[sz]e (?:that|it)|tl;?dr|in short)\b", re.I)
STEPS = re.compile(r"^(?:how (?:do|can|should) (?:i|we)|how to|steps?\b)\b", re.I)

LANGUAGE = re.compile(r"(?<![\w+#])(" + "|".join(re.escape(k) for k in sorted(LANGUAGES, key=len, reverse=True))
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
    #: The answer before this turn ("make it shorter" works on it).
    previous: str = ""


def read_request(content: str, model: str, images: int = 0, previous: str = "") -> Request:
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
    return Request(own, model, images, documents, previous)


def topic_of(text: str) -> str:
    """The subject of a request in a few words ("Tell me about rivers?" -> "rivers")."""
    first = next((line.strip() for line in text.splitlines() if line.strip() and not line.startswith("```")), "")
    first = re.split(r"(?<=[.?!])\s", first, maxsplit=1)[0]
    subject = ARTICLE.sub("", _ASK.sub("", POLITE.sub("", first), count=1), count=1)
    subject = _CODE_NOUN.sub("", subject, count=1)
    subject = re.sub(r"\s+work\??$", "", subject) if re.match(r"how (?:does|do)\b", first, re.I) else subject
    subject = re.sub(r"[\s?!.:,;]+$", "", subject)
    subject = re.sub(r"\s*,?\s*(?:please|simply|briefly|quickly|in simple terms|in detail|for me)$", "", subject,
                     flags=re.I)
    words = subject.split()
    if len(words) > 8:
        subject = " ".join(words[:8])
    return subject or "your question"
