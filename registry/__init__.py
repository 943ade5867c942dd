"""The Grimoire: canonical packages, manifests, schemas, SBOMs, signatures, blob storage and
the catalog of spell versions.

Depends on `runtime` (to compile a module and check a policy when a spell is published) and on
nothing else of the platform.
"""

from registry.blobs import BlobCorrupt, BlobStore, LocalBlobStore, ObjectBlobStore, TreeCache
from registry.catalog import (
    CatalogError,
    CheckedVersion,
    RegistrationError,
    SpellSource,
    add_signer,
    check,
    find_version,
    list_latest,
    record,
    rescan_catalog,
    set_status,
    signer_identities,
    versions_of,
    yank,
)
from registry.manifest import Manifest, ManifestError, tool_name
from registry.models import MakerNotification, SignerIdentityRecord, Spell, SpellVersion
from registry.package import Package, PackageError, PackageLimits, pack_directory, pack_files, unpack
from registry.sbom import Sbom, SbomError, read_sbom
from registry.schemas import InputValidators
from registry.signing import Provenance, SignatureError, SignerIdentity, verifier_for
from registry.supply_chain import RescanReport, import_osv

__all__ = [
    "BlobCorrupt",
    "BlobStore",
    "CatalogError",
    "CheckedVersion",
    "InputValidators",
    "LocalBlobStore",
    "MakerNotification",
    "Manifest",
    "ManifestError",
    "ObjectBlobStore",
    "Package",
    "PackageError",
    "PackageLimits",
    "Provenance",
    "RegistrationError",
    "RescanReport",
    "Sbom",
    "SbomError",
    "SignatureError",
    "SignerIdentity",
    "SignerIdentityRecord",
    "Spell",
    "SpellSource",
    "SpellVersion",
    "TreeCache",
    "add_signer",
    "check",
    "find_version",
    "import_osv",
    "list_latest",
    "pack_directory",
    "pack_files",
    "read_sbom",
    "record",
    "rescan_catalog",
    "set_status",
    "signer_identities",
    "tool_name",
    "unpack",
    "verifier_for",
    "versions_of",
    "yank",
]
