"""The response cache: answers keyed by everything that determines them, with a TTL."""
