"""Parley core library: the domain, its ports and the one FastAPI application.

Installed locally by ``pyproject.toml`` and shipped unchanged as the Lambda layer.
"""

__version__ = "0.1.0"
