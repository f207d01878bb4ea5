"""Text folding for matching: the views the rules run on, and the obfuscation signals seen on the way.

Rules are written once, against lower-case ASCII English. Everything an attacker can do to a phrase
so that a human or a model still reads it while a naive filter does not (full-width or mathematical
letters, Cyrillic and Greek look-alikes, accents, zero-width or bidi controls, leetspeak, letters
spaced apart) is undone here, so that the same rules catch the disguised phrase. The folded views
are for matching only: nothing here changes what the model receives.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Format and control characters a reader does not see: zero-width, bidi overrides and isolates,
# word joiners, variation selectors, the Hangul fillers, the BOM, and the Unicode tag block
# (which can spell invisible ASCII, "ASCII smuggling").
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]"
)
# An invisible character wedged between two letters: benign text puts ZWJ/ZWNJ inside words only
# in scripts that need them (Persian, Indic, emoji sequences), never between Latin letters.
_INVISIBLE_IN_WORD = re.compile(
    "[a-zA-Z][\u00ad\u034f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+[a-zA-Z]"
)
_TAGS = re.compile("[\U000e0020-\U000e007e]+")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

# Look-alikes that NFKD leaves alone (a hand-kept subset of Unicode's confusables.txt for the
# scripts attackers use to spell English: Cyrillic, Greek, Armenian, Latin small capitals and IPA).
_CONFUSABLES: dict[int, str] = {
    ord(k): v
    for k, v in {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k",
        "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "ѕ": "s", "т": "t", "у": "y", "х": "x",
        "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ь": "b", "ү": "y", "ɡ": "g", "ց": "g",
        # Greek
        "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ϲ": "c", "ϳ": "j", "ζ": "z", "μ": "u", "ω": "w",
        # Armenian
        "օ": "o", "ս": "u", "հ": "h", "ո": "n", "ք": "q", "զ": "q",
        # Latin small capitals, IPA and dotless letters
        "ı": "i", "ȷ": "j", "ɑ": "a", "ɩ": "i", "ɪ": "i", "ʟ": "l", "ɴ": "n", "ʀ": "r", "ᴀ": "a",
        "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ᴊ": "j", "ᴋ": "k", "ᴍ": "m",
        "ᴏ": "o", "ᴘ": "p", "ǫ": "q", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y",
        "ᴢ": "z", "ℓ": "l", "ø": "o", "đ": "d", "ħ": "h", "ł": "l", "ŧ": "t",
    }.items()
}
_CYR_GREEK = re.compile("[\u0370-\u03ff\u0400-\u052f\u0530-\u058f]")
# A word that mixes Latin letters with Cyrillic/Greek/Armenian ones: a homoglyph disguise (real
# Russian or Greek words are written in one script).
_MIXED_WORD = re.compile(
    "(?=[\\w\u0300-\u036f]*[a-zA-Z])(?=[\\w\u0300-\u036f]*[\u0370-\u03ff\u0400-\u052f\u0530-\u058f])"
    "[\\w\u0300-\u036f]+"
)

# Leetspeak: undone only inside words that mix letters with digits or symbols, so that ordinary
# numbers ("version 3.10", "2024") stay numbers. Punctuation around a word is kept as it is.
_WORD_EDGES = re.compile(r"^([^a-z0-9@$]*)(.*?)([.,;:?!)\]}\"'`]*)$", re.DOTALL)
_LEET_I = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                         "9": "g", "@": "a", "$": "s", "!": "i", "|": "l", "2": "z", "6": "g"})
_LEET_L = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                         "9": "g", "@": "a", "$": "s", "!": "i", "|": "l", "2": "z", "6": "g"})
_LEET_BIGRAM = re.compile(r"[a-z][0-9@$]|[0-9@$][a-z]")
_NOT_HEX = re.compile(r"[g-z@$]")
_WHOLE_TEXT_MAX = 4096
# Letters spaced or punctuated apart with one repeated separator: "i g n o r e", "i.g.n.o.r.e".
_SPACED = re.compile(r"\b[a-z]([ .*_\-])[a-z](?:\1[a-z]){2,}\b")

_ROT13 = str.maketrans(
    "abcdefghijklmnopqrstuvwxyz", "nopqrstuvwxyzabcdefghijklm"
)


@dataclass(frozen=True, slots=True)
class Folded:
    """A text folded for matching, with what the folding had to undo."""

    #: Lower-case, NFKD without accents, look-alikes mapped to ASCII, invisible characters removed,
    #: runs of spaces collapsed (newlines kept: some rules look at line starts).
    text: str
    #: Lower-case with spaces collapsed and nothing else: matching here means no disguise was needed.
    plain: str
    invisible_in_words: int
    mixed_script_words: int
    #: ASCII spelled with invisible Unicode tag characters, decoded ("" when there is none).
    tag_text: str


def _collapse(text: str) -> str:
    # Per line str.split() is several times faster than a regex substitution on long documents.
    return "\n".join(joined for line in text.split("\n") if (joined := " ".join(line.split())))


def fold(text: str) -> Folded:
    """Fold ``text`` into the view the rules match on."""
    if text.isascii():
        # The common case, and all the unicode work below is the identity on ASCII.
        lowered = _collapse(text.lower())
        return Folded(lowered, lowered, 0, 0, "")
    plain = _collapse(text.lower())
    tags = _TAGS.findall(text)
    tag_text = "".join(chr(ord(c) - 0xE0000) for run in tags for c in run)
    invisible_in_words = len(_INVISIBLE_IN_WORD.findall(text))
    mixed = 0
    if _CYR_GREEK.search(text):
        mixed = sum(1 for word in _MIXED_WORD.findall(text) if not word.isdigit())
    folded = _INVISIBLE.sub("", text)
    folded = unicodedata.normalize("NFKD", folded)
    folded = _COMBINING.sub("", folded).lower().translate(_CONFUSABLES)
    return Folded(_collapse(folded), plain, invisible_in_words, mixed, tag_text)


def _lines_with(pattern: re.Pattern[str], text: str) -> str:
    """On a long text, only the lines where ``pattern`` occurs (the rest cannot change)."""
    if len(text) <= _WHOLE_TEXT_MAX:
        return text
    return "\n".join(line for line in text.split("\n") if pattern.search(line))


def _leet_word(word: str) -> bool:
    # Real leetspeak mixes letters and digits inside one short word. Hashes, ids and hex dumps are
    # long or use only the letters a-f, and are left alone.
    return (len(word) <= 24 and _LEET_BIGRAM.search(word) is not None
            and _NOT_HEX.search(word) is not None)


def leet_views(text: str) -> tuple[str, ...]:
    """The folded text with leetspeak undone (two readings of ``1``: ``i`` and ``l``), or ()."""
    if not _LEET_BIGRAM.search(text):
        return ()
    if len(text) > _WHOLE_TEXT_MAX:
        text = "\n".join(line for line in text.split("\n")
                         if _LEET_BIGRAM.search(line) and any(_leet_word(w) for w in line.split(" ")))
    as_i, as_l, changed = [], [], False
    for line in text.split("\n"):
        words_i, words_l = line.split(" "), line.split(" ")
        for n, word in enumerate(words_i):
            if not _leet_word(word):
                continue
            m = _WORD_EDGES.match(word)
            assert m is not None  # every group may be empty: the pattern matches any string
            lead, core, trail = m.group(1), m.group(2), m.group(3)
            if not core or core.isdigit():
                continue
            words_i[n] = lead + core.translate(_LEET_I) + trail
            words_l[n] = lead + core.translate(_LEET_L) + trail
            changed = True
        as_i.append(" ".join(words_i))
        as_l.append(" ".join(words_l))
    if not changed:
        return ()
    view_i, view_l = "\n".join(as_i), "\n".join(as_l)
    return (view_i,) if view_i == view_l else (view_i, view_l)


def spaced_view(text: str) -> str | None:
    """The folded text with letter-by-letter spacing joined up, or None when there is none."""
    if not _SPACED.search(text):
        return None
    text = _lines_with(_SPACED, text)
    return _SPACED.sub(lambda m: m.group(0).replace(m.group(1), ""), text)


def rot13(text: str) -> str:
    return text.translate(_ROT13)
