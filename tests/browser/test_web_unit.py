"""The web client's own unit tests (Vitest: SSE parsing, error wording, branch logic), run by pytest
so that `make test` covers them."""

from __future__ import annotations

import subprocess

import pytest

from tests.browser.harness import WEB


def test_vitest_suite_passes() -> None:
    vitest = WEB / "node_modules" / ".bin" / "vitest"
    if not vitest.is_file():
        pytest.fail("web/node_modules is missing: run `make web` (npm ci from web/package-lock.json)",
                    pytrace=False)
    result = subprocess.run(
        [str(vitest), "run", "--reporter=dot"], cwd=WEB, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert " passed" in result.stdout, result.stdout[-2000:]
