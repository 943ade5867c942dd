"""Sigstore signatures over packages, checked against a trust root and a maker's signer identities.

Two kinds of bundle are read, both verified by sigstore-python: a message signature over the
package (sigstore-python, `cosign sign-blob --bundle` from cosign 3 or with
`--new-bundle-format`), and a DSSE envelope holding an in-toto statement whose subject is the
package's SHA-256, as GitHub's artifact attestations (`actions/attest-build-provenance`) make;
their SLSA provenance (repository, workflow, commit) is kept with the version.

A maker registers who may sign its spells, as claims the signing certificate must carry (like
PyPI's trusted publishers): the identity (certificate SAN) and its OIDC issuer, and for GitHub
Actions optionally the repository, workflow ref and trigger. A workflow identity may end in
`@*` (`https://github.com/OWNER/REPO/.github/workflows/publish.yml@*`): that workflow of that
repository, at whichever ref it ran (a release tag is new every time), as PyPI matches a trusted
publisher by repository and workflow file. The most specific registered
identity that the certificate satisfies is the one recorded; an identity without an issuer is
refused, since a SAN alone can be minted by any issuer.
"""

from __future__ import annotations

import hashlib
import re
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
from sigstore.errors import VerificationError
from sigstore.models import Bundle, InvalidBundle, TrustedRoot
from sigstore.verify import Verifier, policy
from sigstore.verify.policy import VerificationPolicy

from registry import json_text

OIDC_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OIDC_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")


class SignatureError(ValueError):
    """The signature does not establish who made the package; the message says why."""


ANY_REF = "@*"
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")


class _WorkflowAtAnyRef:
    """A URI identity up to its ref: the SAN must start with `prefix` (which ends in "@")."""

    def __init__(self, prefix: str, issuer: str) -> None:
        self._prefix = prefix
        self._issuer = policy.OIDCIssuer(issuer)

    def verify(self, cert: Certificate) -> None:
        self._issuer.verify(cert)
        names = cert.extensions.get_extension_for_class(SubjectAlternativeName).value
        sans = names.get_values_for_type(UniformResourceIdentifier)
        if not any(san.startswith(self._prefix) and "@" not in san[len(self._prefix) :] for san in sans):
            raise VerificationError(
                f"Certificate's SANs do not match {self._prefix}*; actual SANs: {set(sans)}"
            )


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
        claims = (self.identity, self.issuer, self.repository, self.workflow_ref, self.trigger)
        if not all(claim is None or _VISIBLE_ASCII.fullmatch(claim) for claim in claims):
            raise SignatureError(
                "a signer identity's claims are URIs, e-mail addresses and names as certificates carry "
                "them: visible ASCII, without spaces, tabs, line breaks or control characters"
            )
        wildcard = "*" in self.identity
        if wildcard and not (
            self.identity.endswith(ANY_REF) and self.identity.count("*") == 1 and "://" in self.identity
        ):
            raise SignatureError(
                "only a workflow URI may end in @* (any ref), e.g. "
                "https://github.com/OWNER/REPO/.github/workflows/publish.yml@*"
            )

    @property
    def specificity(self) -> int:
        return sum(claim is not None for claim in (self.repository, self.workflow_ref, self.trigger))

    def policy(self) -> VerificationPolicy:
        checks: list[VerificationPolicy] = [
            _WorkflowAtAnyRef(self.identity.removesuffix("*"), self.issuer)
            if self.identity.endswith(ANY_REF)
            else policy.Identity(identity=self.identity, issuer=self.issuer)
        ]
        if self.repository is not None:
            checks.append(policy.GitHubWorkflowRepository(self.repository))
        if self.workflow_ref is not None:
            checks.append(policy.GitHubWorkflowRef(self.workflow_ref))
        if self.trigger is not None:
            checks.append(policy.GitHubWorkflowTrigger(self.trigger))
        return policy.AllOf(checks)


IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"
IN_TOTO_STATEMENTS = ("https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1")
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"


@dataclass(frozen=True, slots=True)
class Attestation:
    """An in-toto statement about the package, and what its SLSA provenance says of the build."""

    predicate_type: str
    builder: str | None = None
    repository: str | None = None
    workflow: str | None = None
    ref: str | None = None
    commit: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "predicate_type": self.predicate_type,
            "builder": self.builder,
            "repository": self.repository,
            "workflow": self.workflow,
            "ref": self.ref,
            "commit": self.commit,
        }


@dataclass(frozen=True, slots=True)
class Provenance:
    """What a verified signature establishes, kept with the published version."""

    identity: str
    issuer: str
    log_index: int
    integrated_time: datetime | None
    artifact_sha256: str
    matched: SignerIdentity
    attestation: Attestation | None = None

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
            "attestation": self.attestation.as_dict() if self.attestation else None,
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
        document = json_text.loads(raw)
    except json_text.JSONTextError as exc:
        raise SignatureError(f"the bundle is not a Sigstore bundle: {exc}") from None
    if _is_cosign_legacy(document):
        raise SignatureError(
            "this is cosign 2's legacy bundle format, which carries no verification material of the "
            "Sigstore bundle standard: sign again with `cosign sign-blob --new-bundle-format --bundle "
            "spell.tar.sigstore.json spell.tar` (cosign 3 writes the standard format by default)"
        )
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
    digest = hashlib.sha256(artifact).hexdigest()
    enveloped = bundle._dsse_envelope is not None
    failures = []
    for candidate in sorted(identities, key=lambda i: -i.specificity):
        try:
            if enveloped:
                payload_type, payload = verifier.verify_dsse(bundle, candidate.policy())
            else:
                verifier.verify_artifact(artifact, bundle, candidate.policy())
        except (SigstoreError, ValueError) as exc:
            failures.append(_first_line(exc))
            continue
        return Provenance(
            identity=_san(bundle),
            issuer=_issuer(bundle),
            log_index=int(bundle.log_entry._inner.log_index),
            integrated_time=_time(bundle.log_entry._inner.integrated_time),
            artifact_sha256=digest,
            matched=candidate,
            attestation=attestation_about(digest, payload_type, payload) if enveloped else None,
        )
    raise SignatureError(f"signature not accepted: {failures[0]}")


def attestation_about(digest: str, payload_type: str, payload: bytes) -> Attestation:
    """The in-toto statement of a verified envelope, if it is about the package with `digest`."""
    if payload_type != IN_TOTO_PAYLOAD:
        raise SignatureError(f"the envelope holds {payload_type!r}, not an in-toto statement")
    try:
        statement = json_text.loads(payload)
    except json_text.JSONTextError as exc:
        raise SignatureError(f"the attestation's statement is not acceptable JSON: {exc}") from None
    if not isinstance(statement, dict) or statement.get("_type") not in IN_TOTO_STATEMENTS:
        raise SignatureError("the envelope holds no in-toto statement")
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or not any(
        isinstance(s, dict) and (s.get("digest") or {}).get("sha256") == digest for s in subjects
    ):
        raise SignatureError(
            f"the attestation is about other files: no subject has this package's sha256 ({digest})"
        )
    predicate_type = str(statement.get("predicateType", ""))
    if predicate_type != SLSA_PROVENANCE_V1:
        return Attestation(predicate_type=predicate_type)
    predicate = statement.get("predicate") or {}
    definition = predicate.get("buildDefinition") or {}
    workflow = (definition.get("externalParameters") or {}).get("workflow") or {}
    dependencies = definition.get("resolvedDependencies") or [{}]
    return Attestation(
        predicate_type=predicate_type,
        builder=((predicate.get("runDetails") or {}).get("builder") or {}).get("id"),
        repository=workflow.get("repository"),
        workflow=workflow.get("path"),
        ref=workflow.get("ref"),
        commit=(dependencies[0].get("digest") or {}).get("gitCommit") if dependencies else None,
    )


def _is_cosign_legacy(document: Any) -> bool:
    """cosign 2's default `--bundle` output: {"base64Signature", "cert", "rekorBundle"}."""
    return isinstance(document, dict) and "base64Signature" in document and "mediaType" not in document


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
