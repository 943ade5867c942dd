"""Attestation bundles (a DSSE envelope over an in-toto statement, as GitHub's artifact
attestations make) verify when their subject is the package, and yield its SLSA provenance;
cosign 2's legacy bundles are refused with the flag that fixes them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.signing import SignatureError, SignerIdentity, verifier_for, verify
from tests.private_sigstore import PrivateSigstore

GITHUB = "https://token.actions.githubusercontent.com"
WORKFLOW = "https://github.com/acme/greeter/.github/workflows/publish.yml@refs/tags/v1.0.0"
PACKAGE = b"a canonical spell package"


@pytest.fixture(scope="module")
def sigstore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PrivateSigstore, Path]]:
    directory = tmp_path_factory.mktemp("sigstore")
    instance = PrivateSigstore(directory)
    with instance.serve(directory) as config:
        yield instance, config


def provenance_statement(digest: str) -> dict[str, Any]:
    """What actions/attest-build-provenance states about a file it built."""
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "spell.tar", "digest": {"sha256": digest}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {
                    "workflow": {
                        "ref": "refs/tags/v1.0.0",
                        "repository": "https://github.com/acme/greeter",
                        "path": ".github/workflows/publish.yml",
                    }
                },
                "resolvedDependencies": [
                    {
                        "uri": "git+https://github.com/acme/greeter@refs/tags/v1.0.0",
                        "digest": {"gitCommit": "9f" * 20},
                    }
                ],
            },
            "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}},
        },
    }


def test_a_github_attestation_of_the_package_verifies_with_its_build_provenance(
    sigstore: tuple[PrivateSigstore, Path],
) -> None:
    instance, config = sigstore
    statement = provenance_statement(hashlib.sha256(PACKAGE).hexdigest())
    bundle = instance.attest(config, statement, WORKFLOW, GITHUB)
    provenance = verify(
        PACKAGE, bundle, verifier_for(str(instance.trusted_root)), [SignerIdentity(WORKFLOW, GITHUB)]
    )
    assert provenance.identity == WORKFLOW
    assert provenance.as_dict()["attestation"] == {
        "predicate_type": "https://slsa.dev/provenance/v1",
        "builder": "https://github.com/actions/runner/github-hosted",
        "repository": "https://github.com/acme/greeter",
        "workflow": ".github/workflows/publish.yml",
        "ref": "refs/tags/v1.0.0",
        "commit": "9f" * 20,
    }


def test_an_attestation_about_other_bytes_is_refused(sigstore: tuple[PrivateSigstore, Path]) -> None:
    instance, config = sigstore
    statement = provenance_statement(hashlib.sha256(b"some other build").hexdigest())
    bundle = instance.attest(config, statement, WORKFLOW, GITHUB)
    with pytest.raises(SignatureError, match="no subject has this package's sha256"):
        verify(PACKAGE, bundle, verifier_for(str(instance.trusted_root)), [SignerIdentity(WORKFLOW, GITHUB)])


def test_an_attestation_by_an_unregistered_workflow_is_refused(
    sigstore: tuple[PrivateSigstore, Path],
) -> None:
    instance, config = sigstore
    statement = provenance_statement(hashlib.sha256(PACKAGE).hexdigest())
    bundle = instance.attest(config, statement, WORKFLOW.replace("acme", "mallory"), GITHUB)
    with pytest.raises(SignatureError, match="signature not accepted"):
        verify(PACKAGE, bundle, verifier_for(str(instance.trusted_root)), [SignerIdentity(WORKFLOW, GITHUB)])


def test_a_cosign_2_legacy_bundle_is_refused_saying_which_flag_makes_a_standard_one(
    sigstore: tuple[PrivateSigstore, Path],
) -> None:
    instance, _ = sigstore
    legacy = json.dumps(
        {
            "base64Signature": "MEUCIQ==",
            "cert": "LS0tLS1CRUdJTi...",
            "rekorBundle": {"SignedEntryTimestamp": "MEQ=", "Payload": {"logIndex": 1}},
        }
    ).encode()
    with pytest.raises(SignatureError, match="--new-bundle-format"):
        verify(PACKAGE, legacy, verifier_for(str(instance.trusted_root)), [SignerIdentity(WORKFLOW, GITHUB)])


def test_a_workflow_registered_at_any_ref_signs_from_each_release_tag(
    sigstore: tuple[PrivateSigstore, Path],
) -> None:
    instance, config = sigstore
    any_ref = SignerIdentity(WORKFLOW.replace("@refs/tags/v1.0.0", "@*"), GITHUB)
    statement = provenance_statement(hashlib.sha256(PACKAGE).hexdigest())
    verifier = verifier_for(str(instance.trusted_root))
    for tag in ("v1.0.0", "v2.3.1"):
        bundle = instance.attest(config, statement, WORKFLOW.replace("v1.0.0", tag), GITHUB)
        assert verify(PACKAGE, bundle, verifier, [any_ref]).identity.endswith(tag)
    other_workflow = WORKFLOW.replace("publish.yml", "publish.yml.evil")
    with pytest.raises(SignatureError, match="signature not accepted"):
        verify(PACKAGE, instance.attest(config, statement, other_workflow, GITHUB), verifier, [any_ref])


@pytest.mark.parametrize("identity", ["*@example.com", "https://github.com/acme/*/publish.yml@*", "maker@*"])
def test_only_a_workflow_uri_may_end_in_any_ref(identity: str) -> None:
    with pytest.raises(SignatureError, match="only a workflow URI may end in @"):
        SignerIdentity(identity, GITHUB)


@pytest.mark.parametrize(
    "claims",
    [
        {"identity": "maker@example.com\r\n", "issuer": GITHUB},
        {"identity": "maker@example.com", "issuer": GITHUB + "\t"},
        {"identity": "maker@example.com", "issuer": GITHUB, "repository": "acme/spells\u0000"},
        {"identity": "maker@example.com", "issuer": GITHUB, "workflow_ref": "refs/tags/v1 "},
        {"identity": "mak\u202eer@example.com", "issuer": GITHUB},
    ],
)
def test_a_signer_identity_with_spaces_or_control_characters_is_refused(claims: dict[str, str]) -> None:
    with pytest.raises(SignatureError, match="without spaces, tabs, line breaks or control characters"):
        SignerIdentity(**claims)
