from .blobs import (
    BlobCorrupt as BlobCorrupt,
    BlobStore as BlobStore,
    LocalBlobStore as LocalBlobStore,
    ObjectBlobStore as ObjectBlobStore,
    TreeCache as TreeCache,
)
from .catalog import (
    CatalogError as CatalogError,
    CheckedVersion as CheckedVersion,
    RegistrationError as RegistrationError,
    SpellSource as SpellSource,
    add_signer as add_signer,
    check as check,
    find_version as find_version,
    list_latest as list_latest,
    record as record,
    rescan_catalog as rescan_catalog,
    set_status as set_status,
    signer_identities as signer_identities,
    transfer_namespace as transfer_namespace,
    versions_of as versions_of,
    yank as yank,
)
from .manifest import (
    Manifest as Manifest,
    ManifestError as ManifestError,
    namespace_of as namespace_of,
    tool_name as tool_name,
)
from .models import (
    MakerNotification as MakerNotification,
    Namespace as Namespace,
    SignerIdentityRecord as SignerIdentityRecord,
    Spell as Spell,
    SpellVersion as SpellVersion,
)
from .package import (
    Package as Package,
    PackageError as PackageError,
    PackageLimits as PackageLimits,
    pack_directory as pack_directory,
    pack_files as pack_files,
    unpack as unpack,
)
from .sbom import Sbom as Sbom, SbomError as SbomError, read_sbom as read_sbom
from .schemas import InputValidators as InputValidators
from .signing import (
    Provenance as Provenance,
    SignatureError as SignatureError,
    SignerIdentity as SignerIdentity,
    verifier_for as verifier_for,
)
from .supply_chain import (
    RescanReport as RescanReport,
    import_osv as import_osv,
    replace_ecosystem as replace_ecosystem,
)
