"""The test suite's wall time (issue 15 asks for it before and after each change of local mode).

Not part of the default `make bench` (it is the suite itself, minutes long): run it with
``python tests/bench/run.py suite``. Prints the wall time, the tests that ran and pytest's verdict.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    summary = [line for line in result.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    print(f"test suite: {wall:.0f} s wall, exit {result.returncode}: {summary[-1] if summary else 'no summary'}")


if __name__ == "__main__":
    main()
