"""`spell sign`: a Sigstore bundle over the package, made by sigstore-python's own signer.

The identity comes from, in order: a token given (`--identity-token`, SIGSTORE_ID_TOKEN), the
ambient credentials of a CI system (GitHub Actions with `id-token: write`), or the browser flow
of the trust config's OIDC issuer. The trust config is public Sigstore's (production or staging)
or a private instance's `--trust-config` file (its Fulcio, Rekor and trusted root).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from registry.signing import certificate_issuer


class SigningError(ValueError):
    """Signing failed; the message says why in the signer's words."""


@dataclass(frozen=True, slots=True)
class Signed:
    bundle: str
    identity: str
    issuer: str


def sign(
    package: bytes, *, identity_token: str | None, trust_config: Path | None, staging: bool = False
) -> Signed:
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityError, IdentityToken, Issuer, detect_credential
    from sigstore.sign import SigningContext

    try:
        if trust_config is not None:
            config = ClientTrustConfig.from_json(trust_config.read_text())
        else:
            config = ClientTrustConfig.staging() if staging else ClientTrustConfig.production()
        raw = identity_token or detect_credential()
        if raw is None:
            issuer = Issuer(config.signing_config.get_oidc_url())
            token = issuer.identity_token()
        else:
            token = IdentityToken(raw)
        with SigningContext.from_trust_config(config).signer(token) as signer:
            bundle = signer.sign_artifact(package)
    except OSError as exc:
        raise SigningError(f"{exc.filename or 'trust config'}: {exc.strerror or exc}") from None
    except (SigstoreError, IdentityError, ValueError) as exc:
        text = str(exc).strip().splitlines()
        raise SigningError(text[0] if text else type(exc).__name__) from None
    return Signed(
        bundle=bundle.to_json(),
        identity=str(token.identity),
        issuer=certificate_issuer(bundle.signing_certificate),
    )
