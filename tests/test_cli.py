"""The parley command."""

from __future__ import annotations

import subprocess
import sys

import jwt

from parley.auth.local_jwt import ISSUER
from parley.settings import DEV_JWT_SECRET


def test_token_prints_only_a_jwt():
    out = subprocess.run(
        [sys.executable, "-m", "parley.cli", "token", "--user", "erin", "--tier", "plus"],
        capture_output=True, text=True, check=True,
    )
    token = out.stdout.strip()
    assert out.stdout.count("\n") == 1
    claims = jwt.decode(token, DEV_JWT_SECRET, algorithms=["HS256"], issuer=ISSUER)
    assert claims["sub"] == "erin" and claims["custom:tier"] == "plus"


def test_token_rejects_unknown_tier():
    out = subprocess.run([sys.executable, "-m", "parley.cli", "token", "--user", "x", "--tier", "gold"],
                         capture_output=True, text=True)
    assert out.returncode != 0
