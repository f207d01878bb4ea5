"""Character classes shared by the request schema and the code that cleans what it admits.

They are written out rather than as ``\\s``: Python, pydantic (Rust regex) and JSON Schema
(ECMAScript) each mean slightly different characters by ``\\s``, and the published schema must admit
exactly what the server accepts.
"""

from __future__ import annotations

#: Removed from display text: C0/C1 controls other than whitespace, DEL, invisible format characters.
INVISIBLE = ("\\x00-\\x08\\x0e-\\x1b\\x7f-\\x84\\x86-\\x9f"
             "\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff")
#: Every character Python's ``str.split()`` and ``str.strip()`` treat as whitespace.
SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
#: A string with something other than whitespace (patterns search; they are not anchored).
NOT_BLANK = f"[^{SPACE}]"
#: A string with something visible once invisible characters are removed.
VISIBLE = f"[^{INVISIBLE}{SPACE}]"
