"""System prompt leak detection over a streamed answer.

Two tests, both on words (case-folded, punctuation and markdown ignored):
- verbatim: any run of ``window_words`` consecutive prompt words appears in the answer (for a prompt
  shorter than that, the whole prompt, if it has at least ``min_words``);
- near-verbatim: at least ``shingle_fraction`` of the prompt's ``shingle_words``-word shingles
  appear in the answer (catches a prompt reproduced with small edits), for prompts of at least
  ``fraction_min_words`` words (a short prompt's shingles recur in ordinary self-introductions).
Canary strings (random markers placed in the prompt) leak when they appear at all.

Incremental: each word is examined once, as soon as the next character shows it is complete.
Paraphrase and translation are not caught: that needs a model (see :class:`~.output.TextModerator`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from dataclasses import dataclass

_WORD = re.compile(r"\w+")
_TRAILING_WORD = re.compile(r"\w+$")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True, slots=True)
class Leak:
    rule: str
    #: Offset in the answer where the leaked text starts (everything before it may be kept).
    start: int


class PromptLeakDetector:
    def __init__(
        self,
        system_prompt: str,
        *,
        window_words: int = 12,
        min_words: int = 6,
        shingle_words: int = 5,
        shingle_fraction: float = 0.6,
        fraction_min_words: int = 20,
        canaries: tuple[str, ...] = (),
    ) -> None:
        words = _WORD.findall(_norm(system_prompt))
        self._n = min(window_words, len(words)) if len(words) >= min_words else 0
        self._windows = {tuple(words[i:i + self._n]) for i in range(len(words) - self._n + 1)} if self._n else set()
        self._k = shingle_words
        self._shingles = ({tuple(words[i:i + self._k]) for i in range(len(words) - self._k + 1)}
                          if len(words) >= fraction_min_words else set())
        self._needed = max(1, int(shingle_fraction * len(self._shingles) + 0.999)) if self._shingles else 0
        self._matched: dict[tuple[str, ...], int] = {}
        self._canaries = tuple(_norm(c) for c in canaries if c)
        self._canary_tail = max((len(c) for c in self._canaries), default=0)
        # A word that starts no window (no shingle) needs no tuple built: most words of an answer.
        self._window_starts = {w[0] for w in self._windows}
        self._shingle_starts = {s[0] for s in self._shingles}
        span = max(self._n, self._k)
        # The last words and where each starts, apart: a window is then one tuple() per word.
        self._recent: deque[str] = deque(maxlen=span)
        self._recent_at: deque[int] = deque(maxlen=span)
        self._pending = ""
        self._pending_at = 0
        self._consumed = 0
        self._canary_buf = ""
        self.leak: Leak | None = None

    @property
    def active(self) -> bool:
        return bool(self._windows or self._shingles or self._canaries)

    def feed(self, delta: str) -> Leak | None:
        if self.leak is not None or not self.active or not delta:
            return self.leak
        offset = self._consumed
        self._consumed += len(delta)
        if self._canaries and self._check_canaries(delta, offset):
            return self.leak
        text = self._pending + delta
        base = self._pending_at if self._pending else offset
        tail = _TRAILING_WORD.search(text)
        if tail is not None:
            # The last word may go on in the next delta.
            self._pending, self._pending_at = tail.group(0), base + tail.start()
            text = text[:tail.start()]
        else:
            self._pending = ""
        self._words(text, base)
        return self.leak

    def finish(self) -> Leak | None:
        if self.leak is None and self._pending:
            pending, at = self._pending, self._pending_at
            self._pending = ""
            self._words(pending, at)
        return self.leak

    def _check_canaries(self, delta: str, offset: int) -> bool:
        buf = self._canary_buf + _norm(delta)
        for canary in self._canaries:
            at = buf.find(canary)
            if at >= 0:
                self.leak = Leak("system_prompt_leak.canary", max(0, offset - len(self._canary_buf) + at))
                return True
        self._canary_buf = buf[-self._canary_tail:]
        return False

    def _words(self, text: str, base: int) -> None:
        n, k, recent, recent_at = self._n, self._k, self._recent, self._recent_at
        for m in _WORD.finditer(_norm(text) if not text.isascii() else text.lower()):
            recent.append(m.group(0))
            recent_at.append(base + m.start())
            count = len(recent)
            if n and count >= n and recent[count - n] in self._window_starts:
                words = tuple(recent)
                if (words[count - n:] if count > n else words) in self._windows:
                    self.leak = Leak("system_prompt_leak.verbatim_window", recent_at[count - n])
                    return
            if self._shingles and count >= k and recent[count - k] in self._shingle_starts:
                shingle = tuple(recent)[count - k:]
                if shingle in self._shingles and shingle not in self._matched:
                    self._matched[shingle] = recent_at[count - k]
                    if len(self._matched) >= self._needed:
                        self.leak = Leak("system_prompt_leak.shingle_overlap", min(self._matched.values()))
                        return
