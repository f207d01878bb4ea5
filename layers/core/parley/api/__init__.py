"""HTTP layer: schemas, dependencies, error rendering and routes (thin: they call use cases)."""
