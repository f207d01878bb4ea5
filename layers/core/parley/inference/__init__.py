"""Model invocation behind one small interface (SageMaker, OpenAI-compatible HTTP, simulator)."""
