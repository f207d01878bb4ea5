"""Building what the model sees: system prompt, summaries, history within the token budget."""
