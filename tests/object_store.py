"""An S3-compatible object store for tests: moto's server on a local port, spoken to by the
real boto3 client over HTTP (as R2 or MinIO would be)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from moto.server import ThreadedMotoServer

from registry import ObjectBlobStore

REGION = "us-east-1"
ACCESS_KEY_ID = "spell-tests"
SECRET_ACCESS_KEY = "spell-tests-secret"


@dataclass(frozen=True)
class ObjectStore:
    endpoint_url: str

    def new_bucket(self) -> str:
        """A fresh bucket; its URL for SPELL_BLOB_URL is s3://NAME/PREFIX."""
        name = f"spell-{secrets.token_hex(4)}"
        self.blobs(f"s3://{name}").client.create_bucket(Bucket=name)
        return name

    def blobs(self, url: str) -> ObjectBlobStore:
        return ObjectBlobStore.from_url(
            url,
            endpoint_url=self.endpoint_url,
            region=REGION,
            access_key_id=ACCESS_KEY_ID,
            secret_access_key=SECRET_ACCESS_KEY,
        )

    def env(self, bucket: str, prefix: str = "blobs") -> dict[str, str]:
        """The settings a server needs to keep its blobs here."""
        return {
            "SPELL_BLOB_URL": f"s3://{bucket}/{prefix}",
            "SPELL_S3_ENDPOINT_URL": self.endpoint_url,
            "SPELL_S3_REGION": REGION,
            "SPELL_S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "SPELL_S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        }


@contextmanager
def object_store(port: int) -> Iterator[ObjectStore]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield ObjectStore(f"http://127.0.0.1:{port}")
    finally:
        server.stop()
