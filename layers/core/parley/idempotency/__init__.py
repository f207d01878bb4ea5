"""Idempotency-Key handling: a retried request never creates a second conversation or message."""
