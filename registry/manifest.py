"""`manifest.toml`: what a spell is, how it runs, and what it costs."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from runtime.policy import SCRATCH_GUEST_PATH, PolicyError, check_domain, check_env_name, guest_path_for

MICROS_PER_USD = 1_000_000
# No platform may let a spell charge more per cast: every amount stays far inside 64 bits.
MAX_PRICE_USD = Decimal(1_000_000)
# Reverse-DNS; segments cannot contain "_", so the tool name (dots → "_") is collision-free.
# The first segment starts with a letter; later ones may start with a digit (json.schema.2020.v2).
KEY_PATTERN = r"^[a-z][a-z0-9-]{0,30}(\.[a-z0-9][a-z0-9-]{0,30}){1,5}$"
# semver.org's recommended expression.
SEMVER_PATTERN = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
MAX_KEY_LENGTH = 64
# A price written as a string: ASCII digits, one point, an exponent at most ("0.001", "1e-3");
# Python's Decimal would also read other scripts' digits ("٣") and underscores ("1_000").
PRICE_TEXT = re.compile(r"([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
# Unicode's Bidi_Control characters: they reorder how the text around them is shown, so a name
# or description could read otherwise than it is (Trojan Source, CVE-2021-42574).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# What an HTML parser takes for the start of a tag, a comment or a declaration.
_MARKUP = re.compile(r"<[A-Za-z/!?]")
# An author is often written "Name <e-mail>", as package.json and Cargo.toml write them.
_AUTHOR_EMAIL = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")
# The MCP server's own tools (spells_search, budget_status, …) take these prefixes.
RESERVED_KEY_PREFIXES = ("spells.", "budget.")


class ManifestError(ValueError):
    """The manifest is not valid; `problems` names each field and what is wrong with it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def plain_text(value: str, *, multiline: bool = False) -> str:
    """`value`, if it is text that shows as it reads: no bidirectional controls, no control
    characters (tabs and line breaks only where `multiline`), no HTML, not blank. The dashboard,
    MCP clients, terminals and any page that shows it all show the same words (and still escape
    them, as they do any text)."""
    if not value.strip():
        raise ValueError("is blank")
    for char in value:
        if char in BIDI_CONTROLS:
            raise ValueError(
                f"contains U+{ord(char):04X} ({unicodedata.name(char)}), a bidirectional control that "
                "makes text show otherwise than it reads: remove it"
            )
        kind = unicodedata.category(char)
        if (kind == "Cc" and not (multiline and char in "\t\n\r")) or (
            kind in ("Zl", "Zp") and not multiline
        ):
            raise ValueError(f"contains the control character U+{ord(char):04X}: remove it")
    tag = _MARKUP.search(value)
    if tag is not None:
        raise ValueError(
            f"is plain text, never HTML: {value[tag.start() : tag.start() + 12]!r} would be read as a "
            "tag (write a space after '<', or say it in words)"
        )
    return value


class SpellSection(_Section):
    key: Annotated[str, Field(pattern=KEY_PATTERN, max_length=MAX_KEY_LENGTH)]

    @field_validator("key")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value.startswith(RESERVED_KEY_PREFIXES):
            raise ValueError(
                f"keys starting with {' or '.join(RESERVED_KEY_PREFIXES)} are reserved for the platform"
            )
        return value

    name: Annotated[str, Field(min_length=1, max_length=80)]
    version: Annotated[str, Field(pattern=SEMVER_PATTERN, max_length=64)]
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    author: Annotated[str, Field(min_length=1, max_length=200)]
    license: Annotated[str, Field(min_length=1, max_length=200)]
    homepage: str | None = None
    icon: str | None = None

    @field_validator("name")
    @classmethod
    def _one_line_of_plain_text(cls, value: str) -> str:
        return plain_text(value)

    @field_validator("author")
    @classmethod
    def _plain_text_with_emails(cls, value: str) -> str:
        plain_text(_AUTHOR_EMAIL.sub("", value) or "-")
        return value

    @field_validator("description")
    @classmethod
    def _plain_text(cls, value: str) -> str:
        return plain_text(value, multiline=True)


class PolicySection(_Section):
    """What the spell may touch. The default grants nothing."""

    # Package directories, each seen read-only at a fixed guest path: "./resources" → /resources.
    fs_read: list[str] = []
    # ["/scratch"] grants a fresh writable /scratch per cast whose files become artifacts.
    fs_write: list[str] = []
    # Domains reachable over https (subdomains included) through the network host import.
    net_allow: list[str] = []
    # Variables set from the maker's secrets of the same name; nothing else of the host.
    env_vars: list[str] = []

    @field_validator("fs_read")
    @classmethod
    def _package_dirs(cls, value: list[str]) -> list[str]:
        guests = [_policy(guest_path_for, entry) for entry in value]
        if len(set(guests)) != len(guests):
            raise ValueError("lists the same directory twice")
        return value

    @field_validator("fs_write")
    @classmethod
    def _scratch_only(cls, value: list[str]) -> list[str]:
        for entry in value:
            if entry.strip().removeprefix(".").rstrip("/") != SCRATCH_GUEST_PATH:
                raise ValueError(f'{entry!r}: the only writable place is "/scratch"')
        return value

    @field_validator("net_allow")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        return sorted({_policy(check_domain, entry) for entry in value})

    @field_validator("env_vars")
    @classmethod
    def _env_names(cls, value: list[str]) -> list[str]:
        return [_policy(check_env_name, entry) for entry in value]

    @property
    def read_dirs(self) -> dict[str, str]:
        """Package directory (without "./") → guest path."""
        return {entry.strip().removeprefix("./").rstrip("/"): guest_path_for(entry) for entry in self.fs_read}


def _policy(check: Any, entry: str) -> str:
    try:
        result: str = check(entry)
    except PolicyError as exc:
        raise ValueError(str(exc)) from None
    return result


class RuntimeSection(_Section):
    entry: str = "spell.wasm"
    language: str | None = None
    target: Literal["wasm32-wasi", "wasm32-wasip1"] = "wasm32-wasi"
    timeout_ms: Annotated[int, Field(gt=0, le=600_000)] = 5_000
    max_memory_mb: Annotated[int, Field(gt=0, le=4096)] = 64
    max_output_mb: Annotated[int, Field(gt=0, le=1024)] = 1
    # The sandbox fixes the clocks and the random source from the cast id, so the same input
    # always gives the same output bytes and any cast can be replayed (runtime/sandbox.py).
    deterministic: bool = False
    policy: PolicySection = PolicySection()

    @model_validator(mode="after")
    def _deterministic_offline(self) -> RuntimeSection:
        if self.deterministic and self.policy.net_allow:
            raise ValueError("a deterministic spell cannot reach the network: remove policy.net_allow")
        return self


class IoSection(_Section):
    input_format: Literal["json"] = "json"
    # "content": the spell writes a content document (text, images, audio, documents):
    # registry/content.py.
    output_format: Literal["json", "content"] = "json"
    # The input schema's file, as `input_schema` (the seed's name) or `schema`.
    schema_file: Annotated[str, Field(validation_alias=AliasChoices("input_schema", "schema"))] = (
        "schema.json"
    )
    output_schema: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_name_for_the_schema(cls, data: Any) -> Any:
        if isinstance(data, dict) and "input_schema" in data and "schema" in data:
            raise ValueError("name the input schema once: input_schema or schema, not both")
        return data


class PricingSection(_Section):
    # A fixed price per cast. "per_call" is the same model under the name earlier manifests used.
    model: Literal["flat"] = "flat"
    price_usd: Decimal
    currency: Literal["USD"] = "USD"

    @field_validator("model", mode="before")
    @classmethod
    def _one_model(cls, value: Any) -> Any:
        return "flat" if value == "per_call" else value

    @field_validator("price_usd", mode="before")
    @classmethod
    def _exact(cls, value: Any) -> Decimal:
        if isinstance(value, float):
            raise ValueError('write the price as a string or exact decimal, e.g. price_usd = "0.001"')
        try:
            price = Decimal(str(value))
        except InvalidOperation:
            raise ValueError("not a decimal number") from None
        if not price.is_finite() or price < 0:
            raise ValueError("must be a finite, non-negative amount")
        if isinstance(value, str) and not PRICE_TEXT.fullmatch(value):
            raise ValueError(
                f'{value[:40]!r}: write the price with the digits 0-9 and one ".", e.g. "0.001" '
                "(no other digits, underscores or spaces)"
            )
        if price > MAX_PRICE_USD:
            raise ValueError(f"must be at most {MAX_PRICE_USD} USD per cast")
        if (price * MICROS_PER_USD) != (price * MICROS_PER_USD).to_integral_value():
            raise ValueError("must be a whole number of micro-USD (at most 6 decimal places)")
        return price

    @property
    def price_micros(self) -> int:
        return int(self.price_usd * MICROS_PER_USD)


# What `sbom_format` may declare: a format, or a format at a version (registry/sbom.py reads
# SPDX 2.2-2.3 and CycloneDX 1.2-1.7 JSON).
SBOM_FORMAT_PATTERN = r"^(spdx|cyclonedx)(-\d+\.\d+)?(-json)?$"


class SupplyChainSection(_Section):
    """Where the SBOM is, and what the maker declares of the package's supply chain. A declared
    SBOM format is checked against the SBOM at publish; the rest is shown to casters."""

    sbom: str = "sbom.spdx.json"
    sbom_format: Annotated[str | None, Field(pattern=SBOM_FORMAT_PATTERN)] = None
    signature: Literal["sigstore"] | None = None
    provenance: Annotated[str | None, Field(max_length=200)] = None
    slsa_level: Annotated[int | None, Field(ge=0, le=4)] = None
    reproducible: bool | None = None
    source: Annotated[str | None, Field(max_length=500)] = None

    def declared_format_matches(self, actual: str) -> bool:
        """Whether `actual` ("spdx-2.3", "cyclonedx-1.6") is the declared format, if any."""
        if self.sbom_format is None:
            return True
        declared = self.sbom_format.removesuffix("-json")
        return actual == declared or actual.split("-")[0] == declared


class MetadataSection(_Section):
    tags: list[Annotated[str, Field(max_length=32)]] = []
    category: str | None = None
    repository: str | None = None
    # Text, or the URL of the maker's changelog.
    changelog: Annotated[str | None, Field(max_length=20_000)] = None
    # The seed's manifest keeps these here; earlier ones keep them in [spell]. Either is read.
    homepage: str | None = None
    icon: str | None = None


class Manifest(_Section):
    spell: SpellSection
    runtime: RuntimeSection = RuntimeSection()
    io: IoSection = IoSection()
    pricing: PricingSection
    supply_chain: SupplyChainSection = SupplyChainSection()
    metadata: MetadataSection = MetadataSection()

    @model_validator(mode="after")
    def _homepage_and_icon_once(self) -> Manifest:
        for name in ("homepage", "icon"):
            if getattr(self.spell, name) is not None and getattr(self.metadata, name) is not None:
                raise ValueError(f"give {name} once: in [spell] or in [metadata], not both")
        return self

    @property
    def homepage(self) -> str | None:
        return self.spell.homepage or self.metadata.homepage

    @property
    def icon(self) -> str | None:
        return self.spell.icon or self.metadata.icon

    @classmethod
    def from_toml(cls, text: str) -> Manifest:
        try:
            # Floats are read as Decimal so a price is never rounded through binary floating point.
            data = tomllib.loads(text, parse_float=Decimal)
        except tomllib.TOMLDecodeError as exc:
            raise ManifestError([f"manifest.toml is not valid TOML: {exc}"]) from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ManifestError([_describe(err) for err in exc.errors()]) from None

    @property
    def tool_name(self) -> str:
        return tool_name(self.spell.key)


def tool_name(key: str) -> str:
    """The MCP tool name of a spell: its key with dots as underscores (keys contain no "_")."""
    return key.replace(".", "_")


def _describe(err: Any) -> str:
    where = ".".join(str(part) for part in err["loc"]) or "manifest"
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "string_pattern_mismatch" and err["loc"][-1] == "key":
        message = "must be reverse-DNS in lower case, e.g. com.acme.resize"
    elif err["type"] == "string_pattern_mismatch" and err["loc"][-1] == "version":
        message = "must be a SemVer version, e.g. 1.2.0"
    return f"{where}: {message}"


def namespace_of(key: str) -> str:
    """The namespace a key is published in, which its first publisher owns: the domain the key
    names, reversed and without its last segment (the spell's own name), cut to its registrable
    part by the Public Suffix List, as a domain's owner owns everything below it.

    com.acme.resize and com.acme.image.resize are in com.acme; io.github.alice.tool in
    io.github.alice (github.io is a public suffix, as co.uk is). A key whose domain has no
    registrable part (acme.tool, io.github.tool) is a namespace of its own, so nobody can own a
    whole suffix (com, io.github).
    """
    domain = ".".join(reversed(key.split(".")[:-1]))
    registrable = _public_suffixes().privatesuffix(domain)
    return ".".join(reversed(registrable.split("."))) if registrable else key


@cache
def _public_suffixes() -> Any:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def is_namespace(name: str) -> bool:
    """Whether `name` is a namespace that keys can be published in (com.acme, not com or
    com.acme.image, which is inside com.acme)."""
    return key_is_valid(name) and namespace_of(f"{name}.x") == name


def key_is_valid(key: str) -> bool:
    return len(key) <= MAX_KEY_LENGTH and re.fullmatch(KEY_PATTERN, key) is not None
