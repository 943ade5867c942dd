"""A throwaway certificate authority and an HTTPS server on loopback, for network tests."""

from __future__ import annotations

import datetime
import http.server
import json
import ssl
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from ipaddress import ip_network
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from runtime.net import NetworkGate, Resolver


@dataclass(frozen=True)
class TestCA:
    __test__ = False  # a helper, not a test class
    directory: Path
    ca_pem: Path
    cert_pem: Path
    key_pem: Path

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_pem))


def make_ca(directory: Path, names: list[str]) -> TestCA:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "spell test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = directory / "ca.pem"
    cert_pem = directory / "cert.pem"
    key_pem = directory / "key.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return TestCA(directory, ca_pem, cert_pem, key_pem)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/big"):
            body = b"x" * (2 * 1024 * 1024)
        else:
            body = f'{{"path": "{self.path}", "host": "{self.headers.get("Host")}"}}'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.send_response(201)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def https_server(
    ca: TestCA, address: str = "127.0.0.2", handler: type[http.server.BaseHTTPRequestHandler] = _Handler
) -> Iterator[int]:
    """Serves on `address` (a loopback address) and yields the port."""
    server = http.server.ThreadingHTTPServer((address, 0), handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(ca.cert_pem), str(ca.key_pem))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def gate_to_loopback(ca: TestCA, resolver: Resolver) -> NetworkGate:
    """The platform's network gate, trusting `ca`, with 127.0.0.2 (where `https_server` serves)
    let through as if it were a public address: nothing else private is."""
    return NetworkGate(
        resolver=resolver, ssl_context=ca.client_context(), exempt=[ip_network("127.0.0.2/32")]
    )


def temporary_ca(names: list[str]) -> TestCA:
    return make_ca(Path(tempfile.mkdtemp(prefix="spell-ca-")), names)


@dataclass
class Documents:
    """JSON documents served over HTTPS by path (`served`), and every path asked for."""

    __test__ = False
    port: int = 0
    served: dict[str, Any] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)


@contextmanager
def serving_documents(ca: TestCA) -> Iterator[Documents]:
    """An HTTPS server on 127.0.0.2 answering each path with its document (404 without one)."""
    documents = Documents()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            documents.fetched.append(self.path)
            body = json.dumps(documents.served.get(self.path, {})).encode()
            self.send_response(200 if self.path in documents.served else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "max-age=600")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with https_server(ca, handler=Handler) as port:
        documents.port = port
        yield documents
