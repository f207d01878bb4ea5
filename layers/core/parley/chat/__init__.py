"""Chat turns: sending, regenerating, streaming, stopping."""
