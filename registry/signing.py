"""Sigstore signatures over packages, checked against a trust root and a maker's signer identities.

A maker registers who may sign its spells, as claims the signing certificate must carry (like
PyPI's trusted publishers): the identity (certificate SAN) and its OIDC issuer, and for GitHub
Actions optionally the repository, workflow ref and trigger. The most specific registered
identity that the certificate satisfies is the one recorded; an identity without an issuer is
refused, since a SAN alone can be minted by any issuer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.x509 import (
    Certificate,
    ObjectIdentifier,
    RFC822Name,
    SubjectAlternativeName,
    UniformResourceIdentifier,
)
from sigstore.errors import Error as SigstoreError
from sigstore.models import Bundle, InvalidBundle, TrustedRoot
from sigstore.verify import Verifier, policy
from sigstore.verify.policy import VerificationPolicy

OIDC_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OIDC_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")


class SignatureError(ValueError):
    """The signature does not establish who made the package; the message says why."""


@dataclass(frozen=True, slots=True)
class SignerIdentity:
    identity: str
    issuer: str
    repository: str | None = None
    workflow_ref: str | None = None
    trigger: str | None = None

    def __post_init__(self) -> None:
        if not self.identity.strip() or not self.issuer.strip():
            raise SignatureError("a signer identity needs both the identity (SAN) and the OIDC issuer")

    @property
    def specificity(self) -> int:
        return sum(claim is not None for claim in (self.repository, self.workflow_ref, self.trigger))

    def policy(self) -> VerificationPolicy:
        checks: list[VerificationPolicy] = [policy.Identity(identity=self.identity, issuer=self.issuer)]
        if self.repository is not None:
            checks.append(policy.GitHubWorkflowRepository(self.repository))
        if self.workflow_ref is not None:
            checks.append(policy.GitHubWorkflowRef(self.workflow_ref))
        if self.trigger is not None:
            checks.append(policy.GitHubWorkflowTrigger(self.trigger))
        return policy.AllOf(checks)


@dataclass(frozen=True, slots=True)
class Provenance:
    """What a verified signature establishes, kept with the published version."""

    identity: str
    issuer: str
    log_index: int
    integrated_time: datetime | None
    artifact_sha256: str
    matched: SignerIdentity

    def as_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "issuer": self.issuer,
            "rekor_log_index": self.log_index,
            "integrated_time": self.integrated_time.isoformat() if self.integrated_time else None,
            "artifact_sha256": self.artifact_sha256,
            "matched_signer": {
                "identity": self.matched.identity,
                "issuer": self.matched.issuer,
                "repository": self.matched.repository,
                "workflow_ref": self.matched.workflow_ref,
                "trigger": self.matched.trigger,
            },
        }


def verifier_for(trust_root: str) -> Verifier:
    """`production` or `staging` (roots shipped with sigstore, no network), or a path to a
    `trusted_root.json` of a private Sigstore."""
    if trust_root == "production":
        return Verifier.production(offline=True)
    if trust_root == "staging":
        return Verifier.staging(offline=True)
    path = Path(trust_root)
    if not path.is_file():
        raise SignatureError(
            f"trust root {trust_root!r} is neither production, staging nor a trusted_root.json file"
        )
    try:
        return Verifier(trusted_root=TrustedRoot.from_file(str(path)))
    except (SigstoreError, ValueError) as exc:
        raise SignatureError(f"trust root {path.name} is not a valid trusted_root.json: {exc}") from None


def load_bundle(raw: bytes) -> Bundle:
    try:
        return Bundle.from_json(raw)
    except (InvalidBundle, SigstoreError, ValueError) as exc:
        raise SignatureError(
            f"not a Sigstore bundle this platform can verify ({_first_line(exc)}); sign with a Fulcio "
            "certificate in the bundle format (cosign --new-bundle-format, or sigstore-python); "
            "bundles signed with a plain key cannot be verified"
        ) from None


def verify(
    artifact: bytes, bundle_json: bytes, verifier: Verifier, identities: list[SignerIdentity]
) -> Provenance:
    """Check the bundle over `artifact` against the trust root and the registered identities."""
    bundle = load_bundle(bundle_json)
    if not identities:
        raise SignatureError("the maker has registered no signer identities (POST /v1/makers/me/signers)")
    failures = []
    for candidate in sorted(identities, key=lambda i: -i.specificity):
        try:
            verifier.verify_artifact(artifact, bundle, candidate.policy())
        except (SigstoreError, ValueError) as exc:
            failures.append(_first_line(exc))
            continue
        return Provenance(
            identity=_san(bundle),
            issuer=_issuer(bundle),
            log_index=int(bundle.log_entry._inner.log_index),
            integrated_time=_time(bundle.log_entry._inner.integrated_time),
            artifact_sha256=hashlib.sha256(artifact).hexdigest(),
            matched=candidate,
        )
    raise SignatureError(f"signature not accepted: {failures[0]}")


def _san(bundle: Bundle) -> str:
    names = bundle.signing_certificate.extensions.get_extension_for_class(SubjectAlternativeName).value
    values = names.get_values_for_type(UniformResourceIdentifier) + names.get_values_for_type(RFC822Name)
    return values[0] if values else ""


def _issuer(bundle: Bundle) -> str:
    return certificate_issuer(bundle.signing_certificate)


def certificate_issuer(certificate: Certificate) -> str:
    """The OIDC issuer a Fulcio certificate names (either of its two extensions)."""
    for extension in certificate.extensions:
        if extension.oid == OIDC_ISSUER_V1:
            return bytes(extension.value.value).decode()
        if extension.oid == OIDC_ISSUER_V2:
            # DER UTF8String: tag, length, then the text.
            raw = bytes(extension.value.value)
            return raw[2:].decode()
    return ""


def _time(epoch: int | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
