"""OSV data for tests: records in the OSV schema (ossf.github.io/osv-schema) shaped as osv.dev
exports them, `all.zip` exports of them, and a local stand-in for osv.dev's bucket over HTTP."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from registry import pack_directory
from tests import wasm_modules as wat
from tests.spellbook import spdx_sbom, write_spell

# GitHub's advisory for a Go module: no CVSS vector, its severity in database_specific.
GO_NET = {
    "schema_version": "1.6.0",
    "id": "GHSA-4374-p667-p6c8",
    "modified": "2026-11-20T10:00:00Z",
    "published": "2023-10-11T18:30:57Z",
    "aliases": ["CVE-2023-39325", "GO-2023-2102"],
    "summary": "HTTP/2 rapid reset can cause excessive work in net/http",
    "affected": [
        {
            "package": {"ecosystem": "Go", "name": "golang.org/x/net", "purl": "pkg:golang/golang.org/x/net"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.17.0"}]}],
        }
    ],
    "references": [{"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/CVE-2023-39325"}],
    "database_specific": {"severity": "HIGH", "github_reviewed": True, "cwe_ids": ["CWE-400"]},
}
# A PyPI advisory with a CVSS v3 vector (6.1, medium).
PYPI_REQUESTS = {
    "schema_version": "1.6.0",
    "id": "GHSA-j8r2-6x86-q33q",
    "modified": "2026-11-21T08:00:00Z",
    "summary": "Unintended leak of Proxy-Authorization header in requests",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N"}],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "requests", "purl": "pkg:pypi/requests"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}]}],
        }
    ],
    "database_specific": {"severity": "MODERATE"},
}
# A withdrawn advisory: it must affect nothing.
WITHDRAWN = {
    "schema_version": "1.6.0",
    "id": "GHSA-wwww-wwww-wwww",
    "modified": "2026-11-22T08:00:00Z",
    "withdrawn": "2026-11-22T08:00:00Z",
    "summary": "Withdrawn: not a vulnerability",
    "affected": [
        {
            "package": {"ecosystem": "Go", "name": "github.com/gin-gonic/gin"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}],
        }
    ],
    "database_specific": {"severity": "CRITICAL"},
}


def export(*records: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            archive.writestr(f"{record['id']}.json", json.dumps(record))
    return out.getvalue()


class OsvBucket:
    """A local stand-in for osv.dev's bucket over real HTTP: `<Ecosystem>/all.zip` with an ETag
    (its bytes' digest), answering If-None-Match with 304."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None, int]] = []
        bucket = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = bucket.files.get(self.path.lstrip("/"))
                etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"' if body is not None else None
                asked = self.headers.get("If-None-Match")
                status = 404 if body is None else 304 if asked == etag else 200
                bucket.requests.append((self.path, asked, status))
                self.send_response(status)
                if etag:
                    self.send_header("ETag", etag)
                payload = body if status == 200 and body is not None else b""
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[OsvBucket]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def go_spell(tmp_path: Path, purl: str, version: str = "1.0.0", key: str = "com.acme.gohttp") -> bytes:
    """A spell package whose SBOM lists one dependency, by its purl."""
    directory = write_spell(tmp_path / version, key, wat.writes('{"ok":true}'), version=version)
    name, _, number = purl.rpartition("@")
    dependency = {
        "name": name.rsplit("/", 1)[-1],
        "SPDXID": "SPDXRef-Package-dependency",
        "versionInfo": number,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "licenseConcluded": "BSD-3-Clause",
        "licenseDeclared": "BSD-3-Clause",
        "copyrightText": "NOASSERTION",
        "externalRefs": [
            {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl}
        ],
    }
    (directory / "sbom.spdx.json").write_text(json.dumps(spdx_sbom(key, version, [dependency])))
    return pack_directory(directory)
