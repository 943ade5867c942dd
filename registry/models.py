"""Catalog tables: a spell and its immutable versions."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Table, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Spell(SQLModel, table=True):
    __tablename__ = "spells"

    key: str = Field(primary_key=True, max_length=64)
    maker_id: str = Field(max_length=64, index=True)
    latest_version: str = Field(max_length=64)
    # active | suspended
    status: str = Field(default="active", max_length=16)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class SpellVersion(SQLModel, table=True):
    __tablename__ = "spell_versions"
    __table_args__ = (UniqueConstraint("spell_key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    spell_key: str = Field(foreign_key="spells.key", max_length=64, index=True)
    version: str = Field(max_length=64)
    name: str = Field(max_length=80)
    description: str
    manifest: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    input_schema: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    output_schema: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # A data: URI of the package's icon (registry/icons.py), if it has one.
    icon: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    module_digest: str = Field(max_length=64)
    # Guest path → digest of the packed directory the spell may read there (see blobs.pack_tree).
    resources: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    price_micros: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The canonical package as published (what was signed), and its Sigstore bundle.
    package_digest: str = Field(max_length=64)
    bundle_digest: str | None = Field(default=None, max_length=64)
    # Signer identity, issuer, Rekor entry and matched signer; None when unsigned.
    provenance: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # {"format", "components": [{name, version, purl, license}]} from the validated SBOM.
    sbom: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # False for spells registered without a signature (dev mode only); shown wherever they are.
    signed: bool = False
    yanked: bool = False
    # Known vulnerabilities of its dependencies at the last scan (registry.vulns.Finding dicts).
    vulnerabilities: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    scanned_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    licence_warnings: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    # A blocking finding appeared after publishing: delisted at this time unless fixed before.
    delist_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    delisted: bool = False
    published_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Namespace(SQLModel, table=True):
    """A namespace of spell keys (registry.manifest.namespace_of) and the maker who owns it: the
    first to publish a key in it, or whom an operator gave it to. Only its owner may publish new
    keys in it."""

    __tablename__ = "namespaces"

    name: str = Field(primary_key=True, max_length=64)
    maker_id: str = Field(max_length=64, index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def table_of(model: Any) -> Table:
    """The Core table of a model, for statements built once and run many times."""
    table: Table = model.__table__
    return table


class SignerIdentityRecord(SQLModel, table=True):
    """Who may sign a maker's spells: claims the signing certificate must carry."""

    __tablename__ = "signer_identities"

    id: int | None = Field(default=None, primary_key=True)
    maker_id: str = Field(max_length=64, index=True)
    identity: str = Field(max_length=500)
    issuer: str = Field(max_length=500)
    repository: str | None = Field(default=None, max_length=200)
    workflow_ref: str | None = Field(default=None, max_length=200)
    trigger: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class OsvRecord(SQLModel, table=True):
    """An OSV vulnerability record, filed under each (ecosystem, package) it affects."""

    __tablename__ = "osv_records"

    id: str = Field(primary_key=True, max_length=100)
    ecosystem: str = Field(primary_key=True, max_length=32)
    name: str = Field(primary_key=True, max_length=300)
    modified: str | None = Field(default=None, max_length=40)
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class MakerNotification(SQLModel, table=True):
    """Something a maker must act on, e.g. a new critical vulnerability in a published version."""

    __tablename__ = "maker_notifications"

    id: int | None = Field(default=None, primary_key=True)
    maker_id: str = Field(max_length=64, index=True)
    spell_key: str = Field(max_length=64)
    version: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    message: str
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
