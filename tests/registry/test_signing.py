"""Sigstore verification on real public bundles (tests/fixtures/sigstore), offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from registry.signing import SignatureError, SignerIdentity, load_bundle, verifier_for, verify
from spell_mcp.cli import app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sigstore"
GITHUB = "https://token.actions.githubusercontent.com"
GITHUB_LOGIN = "https://github.com/login/oauth"
RELEASE = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"

VALID = [
    ("bundle_v3_github.whl", "bundle_v3_github.whl.sigstore", "production", RELEASE, GITHUB),
    ("bundle_v3.txt", "bundle_v3.txt.sigstore", "staging", "william@yossarian.net", GITHUB_LOGIN),
    ("bundle_v3_alt.txt", "bundle_v3_alt.txt.sigstore", "staging", "william@yossarian.net", GITHUB_LOGIN),
    ("staging-rekor-v2.txt", "staging-rekor-v2.txt.sigstore.json", "staging", "jku@goto.fi", GITHUB_LOGIN),
]


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize(("artifact", "bundle", "root", "identity", "issuer"), VALID)
def test_real_bundles_verify_offline(
    artifact: str, bundle: str, root: str, identity: str, issuer: str
) -> None:
    provenance = verify(read(artifact), read(bundle), verifier_for(root), [SignerIdentity(identity, issuer)])
    assert (provenance.identity, provenance.issuer) == (identity, issuer)
    assert provenance.log_index > 0


def test_github_workflow_claims_are_checked_and_the_most_specific_identity_wins() -> None:
    loose = SignerIdentity(RELEASE, GITHUB)
    strict = SignerIdentity(
        RELEASE,
        GITHUB,
        repository="trailofbits/rfc8785.py",
        workflow_ref="refs/tags/v0.1.2",
        trigger="release",
    )
    provenance = verify(
        read("bundle_v3_github.whl"),
        read("bundle_v3_github.whl.sigstore"),
        verifier_for("production"),
        [loose, strict],
    )
    assert provenance.matched == strict
    with pytest.raises(SignatureError):
        verify(
            read("bundle_v3_github.whl"),
            read("bundle_v3_github.whl.sigstore"),
            verifier_for("production"),
            [SignerIdentity(RELEASE, GITHUB, repository="someone/else")],
        )


@pytest.mark.parametrize(
    ("artifact", "bundle", "root", "identity", "issuer", "reason"),
    [
        (
            "bundle_cve_2022_36056.txt",
            "bundle_cve_2022_36056.txt.sigstore",
            "staging",
            "william@yossarian.net",
            GITHUB_LOGIN,
            "inconsistent",
        ),
        (
            "bundle_v3_no_signed_time.txt",
            "bundle_v3_no_signed_time.txt.sigstore.json",
            "staging",
            "william@yossarian.net",
            GITHUB_LOGIN,
            "inclusion promise or signed timestamp",
        ),
        (
            "bundle_v3.txt",
            "bundle_v3.txt.sigstore",
            "production",
            "william@yossarian.net",
            GITHUB_LOGIN,
            "chain",
        ),
        ("bundle_v3.txt", "bundle_v3.txt.sigstore", "staging", "someone@else.example", GITHUB_LOGIN, "SAN"),
        ("bundle_v3.txt", "bundle_v3.txt.sigstore", "staging", "william@yossarian.net", GITHUB, "OIDCIssuer"),
        (
            "bundle_v3_alt.txt",
            "bundle_v3.txt.sigstore",
            "staging",
            "william@yossarian.net",
            GITHUB_LOGIN,
            "digest",
        ),
    ],
    ids=[
        "cve-2022-36056",
        "no-signed-time",
        "foreign-root",
        "wrong-identity",
        "wrong-issuer",
        "other-artifact",
    ],
)
def test_bad_signatures_are_refused(
    artifact: str, bundle: str, root: str, identity: str, issuer: str, reason: str
) -> None:
    with pytest.raises(SignatureError, match=reason):
        verify(read(artifact), read(bundle), verifier_for(root), [SignerIdentity(identity, issuer)])


def test_one_changed_byte_breaks_the_signature() -> None:
    data = bytearray(read("bundle_v3.txt"))
    data[0] ^= 1
    with pytest.raises(SignatureError, match="signature"):
        verify(
            bytes(data),
            read("bundle_v3.txt.sigstore"),
            verifier_for("staging"),
            [SignerIdentity("william@yossarian.net", GITHUB_LOGIN)],
        )


@pytest.mark.parametrize(
    "raw", [b"", b"{}", b"not json", b'{"mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1"}']
)
def test_what_is_not_a_bundle_is_refused_with_a_clear_reason(raw: bytes) -> None:
    with pytest.raises(SignatureError, match="not a Sigstore bundle"):
        load_bundle(raw)


def test_an_identity_needs_an_issuer_and_a_maker_needs_an_identity() -> None:
    with pytest.raises(SignatureError):
        SignerIdentity("william@yossarian.net", "")
    with pytest.raises(SignatureError, match="no signer identities"):
        verify(read("bundle_v3.txt"), read("bundle_v3.txt.sigstore"), verifier_for("staging"), [])


def test_spell_verify_exits_0_or_1_with_a_one_line_reason() -> None:
    runner = CliRunner()
    ok = runner.invoke(
        app,
        [
            "verify",
            str(FIXTURES / "bundle_v3.txt"),
            "--bundle",
            str(FIXTURES / "bundle_v3.txt.sigstore"),
            "--cert-identity",
            "william@yossarian.net",
            "--cert-oidc-issuer",
            GITHUB_LOGIN,
            "--trust-root",
            "staging",
        ],
    )
    assert ok.exit_code == 0 and ok.output.startswith("OK bundle_v3.txt")
    bad = runner.invoke(
        app,
        [
            "verify",
            str(FIXTURES / "bundle_v3.txt"),
            "--bundle",
            str(FIXTURES / "bundle_v3.txt.sigstore"),
            "--cert-identity",
            "william@yossarian.net",
            "--cert-oidc-issuer",
            GITHUB_LOGIN,
        ],
    )
    assert bad.exit_code == 1
    assert bad.output.startswith("FAIL bundle_v3.txt:") and bad.output.count("\n") == 1
