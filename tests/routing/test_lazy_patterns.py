"""The router's pattern table is compiled at the first routed message, not while a function starts."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import parley.routing.features as f
from parley.lazy_re import LazyPattern
lazy = [v for v in vars(f).values() if isinstance(v, LazyPattern)]
assert len(lazy) >= 10, len(lazy)
assert all(p._compiled is None for p in lazy)
f.extract("how do I write a python function to sort a list?")
assert any(p._compiled is not None for p in lazy)
"""


def test_importing_the_features_compiles_no_pattern():
    subprocess.run([sys.executable, "-c", CHECK], check=True)
