"""Signed receipts: what a caster can show anyone, offline, to prove what a cast cost and did.

A receipt states the cast, the spell version and module that ran, digests of the input and the
output, the price and its split, the time, and the hash of the ledger entry that settled it. The
platform signs its RFC 8785 canonical JSON with Ed25519; the public keys are published at
`/v1/.well-known/spell-keys`: the current one, and the retired ones that signed earlier receipts
(a key is rotated by making a new one current and keeping the old one among the retired).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from billing.canonical import CanonicalizationError, canonical_json

KEY_FILE = "receipt.key"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_keys_of(pem: str) -> tuple[Ed25519PublicKey, ...]:
    """The Ed25519 public keys of one or more PEM blocks (public or private keys)."""
    found = []
    for match in re.finditer(r"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", pem, re.S):
        text = match.group(0).encode()
        key: object = (
            serialization.load_pem_private_key(text, password=None).public_key()
            if "PRIVATE" in match.group(1)
            else serialization.load_pem_public_key(text)
        )
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("a receipt key must be an Ed25519 key")
        found.append(key)
    if pem.strip() and not found:
        raise ValueError("no PEM key found among the retired receipt keys")
    return tuple(found)


@dataclass(frozen=True)
class ReceiptSigner:
    private: Ed25519PrivateKey
    # Keys that signed earlier receipts: published, never used to sign.
    retired: tuple[Ed25519PublicKey, ...] = ()

    @classmethod
    def for_home(cls, home: Path, configured: str | None = None, retired: str | None = None) -> ReceiptSigner:
        """The configured PEM key (shared by every server process), or one kept in `home`;
        `retired`: PEM blocks of the keys it replaced."""
        if configured:
            pem = configured.encode()
        else:
            path = home / KEY_FILE
            if not path.exists():
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    out.write(
                        Ed25519PrivateKey.generate().private_bytes(
                            serialization.Encoding.PEM,
                            serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption(),
                        )
                    )
            pem = path.read_bytes()
        private = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError("the receipt key must be an Ed25519 private key")
        current = key_id(private.public_key())
        return cls(private, tuple(k for k in public_keys_of(retired or "") if key_id(k) != current))

    @property
    def key_id(self) -> str:
        return key_id(self.private.public_key())

    def public_key(self) -> dict[str, str]:
        """The current key, as published."""
        return _published(self.private.public_key(), "current")

    def public_keys(self) -> list[dict[str, str]]:
        """Every key a receipt of this platform may carry: the current one, then the retired."""
        return [self.public_key(), *(_published(key, "retired") for key in self.retired)]

    def sign(self, statement: dict[str, Any]) -> dict[str, Any]:
        body = {**statement, "key_id": self.key_id}
        return {"receipt": body, "signature": _b64(self.private.sign(canonical_json(body)))}


def _published(public: Ed25519PublicKey, status: str) -> dict[str, str]:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"key_id": key_id(public), "algorithm": "Ed25519", "public_key": _b64(raw), "status": status}


def digest_of(value: Any) -> str:
    """SHA-256 of a JSON value's RFC 8785 canonical form, so anyone holding the value can check
    it. Integers beyond what RFC 8785 allows fall back to sorted, compact JSON."""
    try:
        canonical = canonical_json(value)
    except CanonicalizationError:
        canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(canonical).hexdigest()


class ReceiptInvalid(ValueError):
    pass


def verify_receipt(signed: dict[str, Any], keys: list[dict[str, str]]) -> dict[str, Any]:
    """The receipt's statement when its signature verifies under one of the published `keys`."""
    try:
        body, signature = signed["receipt"], _unb64(signed["signature"])
        key = next(k for k in keys if k["key_id"] == body["key_id"] and k["algorithm"] == "Ed25519")
    except (KeyError, TypeError, ValueError):
        raise ReceiptInvalid("not a receipt signed by a published key") from None
    except StopIteration:
        raise ReceiptInvalid(f"no published key {signed['receipt'].get('key_id')!r}") from None
    try:
        Ed25519PublicKey.from_public_bytes(_unb64(key["public_key"])).verify(signature, canonical_json(body))
    except (InvalidSignature, ValueError):
        raise ReceiptInvalid("the signature does not match the receipt: it was changed or forged") from None
    return dict(body)
