"""Bundles from a private Sigstore (tests/private_sigstore.py) verify like public ones, and every
forgery is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.signing import SignatureError, SignerIdentity, verifier_for, verify
from tests.private_sigstore import GITHUB_REF, GITHUB_REPOSITORY, GITHUB_TRIGGER, PrivateSigstore

ISSUER = "https://accounts.acme.example"
MAKER = SignerIdentity("maker@acme.example", ISSUER)


@pytest.fixture(scope="module")
def sigstore(tmp_path_factory: pytest.TempPathFactory) -> PrivateSigstore:
    return PrivateSigstore(tmp_path_factory.mktemp("sigstore"))


def test_a_bundle_from_the_private_instance_verifies(sigstore: PrivateSigstore) -> None:
    bundle = sigstore.sign(b"package", MAKER.identity, ISSUER)
    provenance = verify(b"package", bundle, verifier_for(str(sigstore.trusted_root)), [MAKER])
    assert (provenance.identity, provenance.issuer, provenance.log_index) == (MAKER.identity, ISSUER, 0)


@pytest.mark.parametrize(
    ("artifact", "identity", "issuer", "reason"),
    [
        (b"other package", MAKER.identity, ISSUER, "digest"),
        (b"package", "mallory@acme.example", ISSUER, "SAN"),
        (b"package", MAKER.identity, "https://evil.example", "OIDCIssuer"),
    ],
    ids=["tampered-artifact", "other-identity", "other-issuer"],
)
def test_forgeries_are_refused(
    sigstore: PrivateSigstore, artifact: bytes, identity: str, issuer: str, reason: str
) -> None:
    bundle = sigstore.sign(b"package", identity, issuer)
    with pytest.raises(SignatureError, match=reason):
        verify(artifact, bundle, verifier_for(str(sigstore.trusted_root)), [MAKER])


def test_a_bundle_from_another_instance_is_refused(sigstore: PrivateSigstore, tmp_path: Path) -> None:
    impostor = PrivateSigstore(tmp_path, name="impostor")
    bundle = impostor.sign(b"package", MAKER.identity, ISSUER)
    with pytest.raises(SignatureError):
        verify(b"package", bundle, verifier_for(str(sigstore.trusted_root)), [MAKER])


def test_github_workflow_claims_select_the_trusted_publisher(sigstore: PrivateSigstore) -> None:
    workflow = "https://github.com/acme/spells/.github/workflows/release.yml@refs/tags/v1.0.0"
    actions = "https://token.actions.githubusercontent.com"
    claims = {GITHUB_REPOSITORY: "acme/spells", GITHUB_REF: "refs/tags/v1.0.0", GITHUB_TRIGGER: "release"}
    bundle = sigstore.sign(b"package", workflow, actions, claims)
    trusted = SignerIdentity(
        workflow, actions, repository="acme/spells", workflow_ref="refs/tags/v1.0.0", trigger="release"
    )
    assert verify(b"package", bundle, verifier_for(str(sigstore.trusted_root)), [trusted]).matched == trusted
    fork = SignerIdentity(workflow, actions, repository="mallory/spells")
    with pytest.raises(SignatureError):
        verify(b"package", bundle, verifier_for(str(sigstore.trusted_root)), [fork])
