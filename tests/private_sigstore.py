"""A private Sigstore for tests: a Fulcio-like CA, a CT log and a Rekor log, all offline.

It issues what the public Sigstore would — a short-lived certificate for an OIDC identity with an
embedded SCT, a hashedrekord entry with a signed entry timestamp, a one-leaf inclusion proof and
a signed checkpoint — and writes the matching `trusted_root.json`, so that the real
sigstore-python verifier checks our signed packages with no network.

`serve()` puts the signing side on HTTP, for the real sigstore-python *signer* (`spell sign
--trust-config`): Fulcio's `POST /api/v2/signingCert` (a certificate for the identity in the
bearer OIDC token, read as Fulcio reads it) and Rekor's `POST /api/v1/log/entries`; it writes
the client trust config that points the signer at them. `identity_token()` mints the OIDC token.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

OIDC_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OIDC_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
SCT_LIST = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
# GitHub Actions claims (Fulcio's v1 extensions carry raw text).
GITHUB_TRIGGER = ObjectIdentifier("1.3.6.1.4.1.57264.1.2")
GITHUB_REPOSITORY = ObjectIdentifier("1.3.6.1.4.1.57264.1.5")
GITHUB_REF = ObjectIdentifier("1.3.6.1.4.1.57264.1.6")


def _spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _der_utf8(text: str) -> bytes:
    raw = text.encode()
    assert len(raw) < 128
    return bytes([0x0C, len(raw)]) + raw


def _der_octets(data: bytes) -> bytes:
    length = len(data)
    if length < 128:
        return bytes([0x04, length]) + data
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x04, 0x80 | len(encoded)]) + encoded + data


def _u24(data: bytes) -> bytes:
    return struct.pack("!I", len(data))[1:] + data


class PrivateSigstore:
    def __init__(self, directory: Path, name: str = "private-sigstore") -> None:
        self.name = name
        self.now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.ct_key = ec.generate_private_key(ec.SECP256R1())
        self.rekor_key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
            ]
        )
        self.root = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - datetime.timedelta(days=1))
            .not_valid_after(self.now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.root_key.public_key()), critical=False
            )
            .sign(self.root_key, hashes.SHA256())
        )
        self.ct_log_id = hashlib.sha256(_spki(self.ct_key.public_key())).digest()
        self.rekor_log_id = hashlib.sha256(_spki(self.rekor_key.public_key())).digest()
        self.trusted_root = directory / "trusted_root.json"
        self.trusted_root.write_text(json.dumps(self._trusted_root()))

    def _trusted_root(self) -> dict[str, object]:
        start = (self.now - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

        def log(key: ec.EllipticCurvePrivateKey, log_id: bytes, url: str) -> dict[str, object]:
            return {
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": _b64(_spki(key.public_key())),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": start},
                },
                "logId": {"keyId": _b64(log_id)},
            }

        return {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(self.rekor_key, self.rekor_log_id, "https://rekor.invalid")],
            "certificateAuthorities": [
                {
                    "subject": {"organization": self.name, "commonName": self.name},
                    "uri": "https://fulcio.invalid",
                    "certChain": {
                        "certificates": [
                            {"rawBytes": _b64(self.root.public_bytes(serialization.Encoding.DER))}
                        ]
                    },
                    "validFor": {"start": start},
                }
            ],
            "ctlogs": [log(self.ct_key, self.ct_log_id, "https://ctfe.invalid")],
        }

    def _leaf(
        self,
        public_key: ec.EllipticCurvePublicKey,
        identity: str,
        issuer: str,
        claims: dict[ObjectIdentifier, str],
    ) -> x509.Certificate:
        san: x509.GeneralName = (
            x509.RFC822Name(identity)
            if "@" in identity and "://" not in identity
            else x509.UniformResourceIdentifier(identity)
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.root.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - datetime.timedelta(minutes=1))
            .not_valid_after(self.now + datetime.timedelta(minutes=10))
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root_key.public_key()), critical=False
            )
            .add_extension(x509.SubjectAlternativeName([san]), critical=True)
            .add_extension(x509.UnrecognizedExtension(OIDC_ISSUER_V1, issuer.encode()), critical=False)
            .add_extension(x509.UnrecognizedExtension(OIDC_ISSUER_V2, _der_utf8(issuer)), critical=False)
        )
        for oid, value in claims.items():
            builder = builder.add_extension(x509.UnrecognizedExtension(oid, value.encode()), critical=False)
        # The SCT covers the certificate without the SCT list: sign that first, then add the list.
        precertificate = builder.sign(self.root_key, hashes.SHA256())
        timestamp = int(self.now.timestamp() * 1000)
        issuer_key_hash = hashlib.sha256(_spki(self.root_key.public_key())).digest()
        signed = (
            struct.pack("!BBQH", 0, 0, timestamp, 1)
            + issuer_key_hash
            + _u24(precertificate.tbs_certificate_bytes)
        )
        signed += struct.pack("!H", 0)
        signature = self.ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        sct = (
            struct.pack("!B", 0)
            + self.ct_log_id
            + struct.pack("!Q", timestamp)
            + struct.pack("!H", 0)
            + struct.pack("!BBH", 4, 3, len(signature))
            + signature
        )
        sct_list = struct.pack("!H", len(sct) + 2) + struct.pack("!H", len(sct)) + sct
        leaf = builder.add_extension(
            x509.UnrecognizedExtension(SCT_LIST, _der_octets(sct_list)), critical=False
        ).sign(self.root_key, hashes.SHA256())
        assert leaf.tbs_precertificate_bytes == precertificate.tbs_certificate_bytes
        return leaf

    def sign(
        self, artifact: bytes, identity: str, issuer: str, claims: dict[ObjectIdentifier, str] | None = None
    ) -> bytes:
        """A Sigstore bundle (v0.3) over `artifact`, signed as `identity` from `issuer`."""
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = self._leaf(key.public_key(), identity, issuer, claims or {})
        digest = hashlib.sha256(artifact).digest()
        signature = key.sign(artifact, ec.ECDSA(hashes.SHA256()))
        body = _hashedrekord(digest, signature, leaf)
        entry = self.log_entry(body)
        proof = entry["verification"]["inclusionProof"]
        bundle = {
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": _b64(leaf.public_bytes(serialization.Encoding.DER))},
                "tlogEntries": [
                    {
                        "logIndex": "0",
                        "logId": {"keyId": _b64(self.rekor_log_id)},
                        "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
                        "integratedTime": str(entry["integratedTime"]),
                        "inclusionPromise": {
                            "signedEntryTimestamp": entry["verification"]["signedEntryTimestamp"]
                        },
                        "inclusionProof": {
                            "logIndex": "0",
                            "rootHash": _b64(bytes.fromhex(proof["rootHash"])),
                            "treeSize": "1",
                            "hashes": [],
                            "checkpoint": {"envelope": proof["checkpoint"]},
                        },
                        "canonicalizedBody": entry["body"],
                    }
                ],
            },
            "messageSignature": {
                "messageDigest": {"algorithm": "SHA2_256", "digest": _b64(digest)},
                "signature": _b64(signature),
            },
        }
        return json.dumps(bundle).encode()

    def log_entry(self, body: bytes) -> dict[str, Any]:
        """A Rekor v1 log entry for a canonical entry body, as Rekor's API returns it: its own
        one-leaf tree, a signed entry timestamp and a signed checkpoint."""
        integrated = int(self.now.timestamp())
        promise = rfc8785.dumps(
            {
                "body": _b64(body),
                "integratedTime": integrated,
                "logID": self.rekor_log_id.hex(),
                "logIndex": 0,
            }
        )
        root_hash = hashlib.sha256(b"\x00" + body).digest()
        note = f"{self.name} - 1\n1\n{_b64(root_hash)}\n"
        note_signature = self.rekor_key.sign(note.encode(), ec.ECDSA(hashes.SHA256()))
        checkpoint = f"{note}\n\u2014 {self.name} {_b64(self.rekor_log_id[:4] + note_signature)}\n"
        return {
            "body": _b64(body),
            "integratedTime": integrated,
            "logID": self.rekor_log_id.hex(),
            "logIndex": 0,
            "verification": {
                "signedEntryTimestamp": _b64(self.rekor_key.sign(promise, ec.ECDSA(hashes.SHA256()))),
                "inclusionProof": {
                    "logIndex": 0,
                    "rootHash": root_hash.hex(),
                    "treeSize": 1,
                    "hashes": [],
                    "checkpoint": checkpoint,
                },
            },
        }

    # -- the signing side, over HTTP ----------------------------------------------------------

    def identity_token(self, identity: str, issuer: str, *, minutes: int = 10) -> str:
        """An OIDC identity token such as an issuer gives (signed by a key nobody checks: Fulcio
        would check it; the stand-in reads it as the signer does)."""
        now = int(time.time())
        claims = {
            "iss": issuer,
            "sub": identity,
            "email": identity,
            "aud": "sigstore",
            "iat": now,
            "exp": now + 60 * minutes,
        }
        return jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")

    def certificate_for(self, token: str, csr_pem: bytes) -> list[str]:
        """Fulcio: a certificate for the CSR's key and the token's identity, and its chain."""
        claims = jwt.decode(token, options={"verify_signature": False}, audience="sigstore")
        request = x509.load_pem_x509_csr(csr_pem)
        public_key = request.public_key()
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        leaf = self._leaf(public_key, claims.get("email") or claims["sub"], claims["iss"], {})
        pem = serialization.Encoding.PEM
        return [leaf.public_bytes(pem).decode(), self.root.public_bytes(pem).decode()]

    def attest(self, config: Path, statement: dict[str, Any], identity: str, issuer: str) -> bytes:
        """An attestation bundle (a DSSE envelope over an in-toto statement), made by
        sigstore-python's signer through `serve()`'s Fulcio and Rekor, as GitHub's
        actions/attest-build-provenance makes one through the public Sigstore."""
        from sigstore.dsse import Statement
        from sigstore.models import ClientTrustConfig
        from sigstore.oidc import IdentityToken
        from sigstore.sign import SigningContext

        context = SigningContext.from_trust_config(ClientTrustConfig.from_json(config.read_text()))
        with context.signer(IdentityToken(self.identity_token(identity, issuer))) as signer:
            bundle = signer.sign_dsse(Statement(json.dumps(statement).encode()))
        return bundle.to_json().encode()

    @contextmanager
    def serve(self, directory: Path) -> Iterator[Path]:
        """Fulcio and Rekor on a local port; yields the client trust config that points at them."""
        instance = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path == "/api/v2/signingCert":
                    token = self.headers["Authorization"].removeprefix("Bearer ")
                    chain = instance.certificate_for(
                        token, base64.b64decode(request["certificateSigningRequest"])
                    )
                    answer: dict[str, Any] = {
                        "signedCertificateEmbeddedSct": {"chain": {"certificates": chain}}
                    }
                elif self.path == "/api/v1/log/entries":
                    body = _canonical_entry(request)
                    answer = {hashlib.sha256(body).hexdigest(): instance.log_entry(body)}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(answer).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        start = (self.now - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

        def service(address: str) -> dict[str, object]:
            return {"url": address, "majorApiVersion": 1, "validFor": {"start": start}, "operator": self.name}

        config = directory / "trust_config.json"
        config.write_text(
            json.dumps(
                {
                    "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
                    "trustedRoot": self._trusted_root(),
                    "signingConfig": {
                        "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
                        "caUrls": [service(url)],
                        "oidcUrls": [service(f"{url}/oauth2")],
                        "rekorTlogUrls": [service(url)],
                        "tsaUrls": [],
                        "rekorTlogConfig": {"selector": "ANY"},
                        "tsaConfig": {"selector": "ANY"},
                    },
                }
            )
        )
        try:
            yield config
        finally:
            server.shutdown()
            server.server_close()


def _canonical_entry(proposed: dict[str, Any]) -> bytes:
    """The body Rekor records for a proposed entry: a hashedrekord as it came; a DSSE envelope
    as the hashes of the envelope and its payload, and its signatures with their verifiers."""
    if proposed.get("kind") != "dsse":
        return rfc8785.dumps(proposed)
    content = proposed["spec"]["proposedContent"]
    envelope = json.loads(content["envelope"])
    return rfc8785.dumps(
        {
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "envelopeHash": {
                    "algorithm": "sha256",
                    "value": hashlib.sha256(content["envelope"].encode()).hexdigest(),
                },
                "payloadHash": {
                    "algorithm": "sha256",
                    "value": hashlib.sha256(base64.b64decode(envelope["payload"])).hexdigest(),
                },
                "signatures": [
                    {"signature": signature["sig"], "verifier": content["verifiers"][0]}
                    for signature in envelope["signatures"]
                ],
            },
        }
    )


def _hashedrekord(digest: bytes, signature: bytes, leaf: x509.Certificate) -> bytes:
    return rfc8785.dumps(
        {
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
                "signature": {
                    "content": _b64(signature),
                    "publicKey": {"content": _b64(leaf.public_bytes(serialization.Encoding.PEM))},
                },
            },
        }
    )
