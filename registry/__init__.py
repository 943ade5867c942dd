"""The Grimoire: spell manifests, schemas, module storage and the catalog.

Depends on `runtime` (to compile a module when it is registered) and on nothing else of the
platform.
"""

from registry.blobs import BlobStore, LocalBlobStore, TreeCache
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
from registry.package import Package, PackageError, PackageLimits, pack_directory, pack_files, unpack
from registry.schemas import InputValidators

__all__ = [
    "BlobStore",
    "InputValidators",
    "LocalBlobStore",
    "Manifest",
    "ManifestError",
    "Package",
    "PackageError",
    "PackageLimits",
    "RegistrationError",
    "Spell",
    "SpellSource",
    "SpellVersion",
    "TreeCache",
    "VersionConflict",
    "find_version",
    "list_latest",
    "pack_directory",
    "pack_files",
    "register",
    "tool_name",
    "unpack",
]
