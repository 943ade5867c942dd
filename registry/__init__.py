"""The Grimoire: spell manifests, schemas, module storage and the catalog.

Depends on `runtime` (to compile a module when it is registered) and on nothing else of the
platform.
"""

from registry.blobs import BlobStore, LocalBlobStore, TreeCache, pack_tree
from registry.catalog import (
    RegistrationError,
    SpellSource,
    VersionConflict,
    find_version,
    list_latest,
    register,
)
from registry.manifest import Manifest, ManifestError, tool_name
from registry.models import Spell, SpellVersion
from registry.schemas import InputValidators

__all__ = [
    "BlobStore",
    "InputValidators",
    "LocalBlobStore",
    "Manifest",
    "ManifestError",
    "RegistrationError",
    "Spell",
    "SpellSource",
    "SpellVersion",
    "TreeCache",
    "VersionConflict",
    "find_version",
    "list_latest",
    "pack_tree",
    "register",
    "tool_name",
]
