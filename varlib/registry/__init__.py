"""The registry of model versions, split by concern:

- versions.py: ModelRegistry: publish (create-only objects, manifest last), load (verified), list, delete;
- index.py: each model's index.json (compare-and-swap updates, merging reindex, signing and freshness);
- locks.py: the advisory publish lock (fail fast; never what keeps a release intact).
"""

from varlib.registry.index import INDEX_FILE
from varlib.registry.locks import LOCK_FILE
from varlib.registry.versions import (
    SIGNING_KEY_ENV,
    ModelRegistry,
    PublishReceipt,
    ReindexReport,
    next_release,
    version_prefix,
)

__all__ = [
    "INDEX_FILE",
    "LOCK_FILE",
    "SIGNING_KEY_ENV",
    "ModelRegistry",
    "PublishReceipt",
    "ReindexReport",
    "next_release",
    "version_prefix",
]
