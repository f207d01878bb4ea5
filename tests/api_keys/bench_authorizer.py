"""Authorizer benchmarks (not collected by pytest): ``python -m tests.api_keys.bench_authorizer``.

Prints: the cold import of the authorizer's entry module (in a fresh interpreter), the time to
verify a Cognito-style RS256 JWT with a cached JWKS, and the time to check an API key against
DynamoDB Local on loopback (real DynamoDB adds its network round trip instead).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def _ms(samples: list[float]) -> str:
    samples = sorted(samples)
    return f"median {statistics.median(samples) * 1000:.3f} ms, p95 {samples[int(len(samples) * 0.95)] * 1000:.3f} ms"


def cold_import() -> None:
    code = ("import time; t = time.perf_counter(); import parley.auth.lambda_authorizer; "
            "print(time.perf_counter() - t)")
    runs = [float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(3)]
    print(f"cold import of parley.auth.lambda_authorizer: min {min(runs) * 1000:.0f} ms over 3 runs")


def jwt_verify(n: int = 500) -> None:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    from parley.auth.lambda_authorizer import build_lambda_authorizer

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = {**jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "k", "use": "sig"}
    pool, client = "us-east-1_Bench", "client"
    now = int(time.time())
    claims = {"sub": "u", "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{pool}", "aud": client,
              "token_use": "id", "exp": now + 600}
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k"})
    authorizer = build_lambda_authorizer(keys=None, user_pool_id=pool, client_ids=(client,),
                                         fetch=lambda url: {"keys": [public]})
    event = {"type": "TOKEN", "authorizationToken": f"Bearer {token}",
             "methodArn": "arn:aws:execute-api:us-east-1:1:api/prod/GET/x"}
    authorizer(event)
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        authorizer(event)
        samples.append(time.perf_counter() - t)
    print(f"JWT decision (RS256, cached JWKS), {n} runs: {_ms(samples)}")


def api_key_check(n: int = 300) -> None:
    from parley.auth.api_keys import ApiKeyRepository
    from parley.auth.identity import Identity
    from parley.local import servers
    from parley.storage.api_keys_table import build_api_keys_table
    from tests.bench.servers import scratch_servers

    with scratch_servers():
        endpoint = servers.ensure_running().dynamodb
        servers.use_local_credentials()
        table = build_api_keys_table("bench-keys", "us-east-1", endpoint)
        table.item.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
        repo = ApiKeyRepository(table)
        key = repo.create(Identity("bench-user"), "bench").key
        repo.authenticate(key)
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            repo.authenticate(key)
            samples.append(time.perf_counter() - t)
    print(f"API key check (GetItem on DynamoDB Local + sha256 + compare), {n} runs: {_ms(samples)}")


def main() -> None:
    from parley.observability import logger

    logger.setLevel("WARNING")  # one log line per decision would dominate the figures
    cold_import()
    jwt_verify()
    api_key_check()


if __name__ == "__main__":
    main()
