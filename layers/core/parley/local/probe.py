"""The HTTP client behind the local servers' readiness probes (plain HTTP on loopback)."""

from __future__ import annotations

import functools

import httpx


@functools.cache
def loopback_client() -> httpx.Client:
    """One client for every probe of the process. httpx builds a TLS context for each client it makes,
    loading the CA bundle (~65 ms of CPU here, against a probe's ~1 ms), and a start polls ~20 times;
    these URLs are plain HTTP, and no proxy from the environment applies to loopback."""
    return httpx.Client(verify=False, trust_env=False, timeout=1.0)  # noqa: S501 - never TLS: loopback HTTP only
