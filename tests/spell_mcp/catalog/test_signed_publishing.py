"""Signed publishing end to end, outside dev mode, against a private Sigstore trust root."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from registry import SignerIdentity, add_signer, find_version, pack_directory
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.users import create_user
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform
from spell_mcp.settings import Settings
from tests import wasm_modules as wat
from tests.conftest import Database
from tests.private_sigstore import PrivateSigstore
from tests.spellbook import write_spell

ISSUER = "https://accounts.acme.example"
KEY = "com.acme.signed"


@pytest.fixture
def sigstore(tmp_path: Path) -> PrivateSigstore:
    root = tmp_path / "sigstore"
    root.mkdir()
    return PrivateSigstore(root)


@pytest.fixture
async def signed_platform(
    database: Database, tmp_path: Path, sigstore: PrivateSigstore
) -> AsyncIterator[Platform]:
    settings = Settings(
        home=tmp_path / "home", database_url=database.url, trust_root=str(sigstore.trusted_root)
    )
    opened = await Platform.open(settings)
    try:
        yield opened
    finally:
        await opened.close()


async def maker_with_signer(platform: Platform, identity: str) -> Caster:
    user = await platform.db.write(lambda session: create_user(session, "maker"))
    await platform.db.write(
        lambda session: add_signer(session, user.user_id, SignerIdentity(identity, ISSUER))
    )
    return Caster(user.user_id, None, False)


def package(tmp_path: Path) -> bytes:
    return pack_directory(write_spell(tmp_path / "spell", KEY, wat.writes('{"signed":true}')))


async def test_a_signed_package_is_published_with_its_provenance(
    signed_platform: Platform, sigstore: PrivateSigstore, tmp_path: Path
) -> None:
    maker = await maker_with_signer(signed_platform, "maker@acme.example")
    data = package(tmp_path)
    published = await signed_platform.publishing.publish(
        maker, data, sigstore.sign(data, "maker@acme.example", ISSUER)
    )
    version = published.version
    assert version.signed is True
    assert version.provenance is not None
    assert (version.provenance["identity"], version.provenance["issuer"]) == ("maker@acme.example", ISSUER)
    assert version.provenance["artifact_sha256"] == version.package_digest
    assert signed_platform.blobs.get(version.bundle_digest or "")  # the bundle is kept
    assert signed_platform.blobs.get(version.package_digest) == data  # and the package that was signed
    assert await signed_platform.db.read(lambda session: find_version(session, KEY)) is not None


@pytest.mark.parametrize("forgery", ["unregistered-signer", "package-changed-after-signing", "unsigned"])
async def test_forged_or_missing_signatures_are_refused(
    signed_platform: Platform, sigstore: PrivateSigstore, tmp_path: Path, forgery: str
) -> None:
    maker = await maker_with_signer(signed_platform, "maker@acme.example")
    data = package(tmp_path)
    bundle: bytes | None = sigstore.sign(data, "maker@acme.example", ISSUER)
    if forgery == "unregistered-signer":
        bundle = sigstore.sign(data, "intern@acme.example", ISSUER)
    elif forgery == "package-changed-after-signing":
        data = pack_directory(write_spell(tmp_path / "other", KEY, wat.writes('{"evil":true}')))
    else:
        bundle = None
    with pytest.raises(SpellError) as refused:
        await signed_platform.publishing.publish(maker, data, bundle)
    assert refused.value.code == ("signature_required" if forgery == "unsigned" else "signature_invalid")
    assert await signed_platform.db.read(lambda session: find_version(session, KEY)) is None


async def test_a_github_attestation_publishes_with_its_build_provenance(
    signed_platform: Platform, sigstore: PrivateSigstore, tmp_path: Path
) -> None:
    workflow = "https://github.com/acme/signed/.github/workflows/publish.yml@refs/tags/v1.0.0"
    maker = await maker_with_signer(signed_platform, workflow)
    data = package(tmp_path)
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "spell.tar", "digest": {"sha256": hashlib.sha256(data).hexdigest()}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "externalParameters": {
                    "workflow": {
                        "repository": "https://github.com/acme/signed",
                        "path": ".github/workflows/publish.yml",
                    }
                },
                "resolvedDependencies": [{"digest": {"gitCommit": "ab" * 20}}],
            }
        },
    }
    with sigstore.serve(tmp_path) as config:
        bundle = sigstore.attest(config, statement, workflow, ISSUER)
    published = await signed_platform.publishing.publish(maker, data, bundle)
    provenance = published.version.provenance or {}
    assert provenance["identity"] == workflow
    assert provenance["attestation"]["repository"] == "https://github.com/acme/signed"
    assert provenance["attestation"]["commit"] == "ab" * 20
