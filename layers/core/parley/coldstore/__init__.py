"""Hot and cold storage: idle conversations move to S3 and come back on first access."""

from parley.coldstore.config import ColdStoreConfig
from parley.coldstore.context import ColdArchiveError
from parley.coldstore.job import RunReport
from parley.coldstore.store import ColdStore, build_coldstore

__all__ = ["ColdArchiveError", "ColdStore", "ColdStoreConfig", "RunReport", "build_coldstore"]
