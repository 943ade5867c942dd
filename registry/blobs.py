"""Content-addressed blob storage (modules, packages, resource trees, artifacts, bundles): a
local directory by default, or an S3-compatible bucket (S3, R2, MinIO) that several hosts share.
"""

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from registry.package import unpack

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class BlobStore(Protocol):
    def put(self, data: bytes) -> str: ...

    def get(self, digest: str) -> bytes: ...

    def delete(self, digest: str) -> bool: ...


class LocalBlobStore:
    """Blobs as files named by their sha256 under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, digest: str) -> Path:
        if not _DIGEST.fullmatch(digest):
            raise KeyError(digest)
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        return digest

    def get(self, digest: str) -> bytes:
        path = self._path(digest)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise KeyError(digest) from None

    def delete(self, digest: str) -> bool:
        """Remove a blob; whether it was there. The caller makes sure nothing refers to it."""
        try:
            self._path(digest).unlink()
        except FileNotFoundError:
            return False
        return True


class BlobCorrupt(KeyError):
    """A stored blob whose bytes are not those its digest names (a damaged or tampered store)."""


class ObjectBlobStore:
    """Blobs as objects named by their sha256 under a prefix of an S3-compatible bucket, through
    boto3. Every read is checked against its digest: the store is shared, and not trusted to
    hand back what was put. Artifacts can be fetched by a caster straight from the store with a
    short-lived presigned link."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> "ObjectBlobStore":
        """`s3://bucket/prefix`; without credentials, boto3's own chain (environment, files,
        instance role) provides them."""
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"{url!r}: an object store is named s3://bucket/prefix")
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(signature_version="s3v4", retries={"max_attempts": 5, "mode": "standard"}),
        )
        return cls(client, parsed.netloc, parsed.path)

    def _key(self, digest: str) -> str:
        if not _DIGEST.fullmatch(digest):
            raise KeyError(digest)
        return f"{self.prefix}/{digest[:2]}/{digest}" if self.prefix else f"{digest[:2]}/{digest}"

    def _exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        key = self._key(digest)
        if not self._exists(key):  # content-addressed: the same bytes are never written twice
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType="application/octet-stream"
            )
        return digest

    def get(self, digest: str) -> bytes:
        key = self._key(digest)
        try:
            data: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise KeyError(digest) from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise BlobCorrupt(digest)
        return data

    def delete(self, digest: str) -> bool:
        """Remove a blob; whether it was there. The caller makes sure nothing refers to it."""
        key = self._key(digest)
        if not self._exists(key):
            return False
        self.client.delete_object(Bucket=self.bucket, Key=key)
        return True

    def download_url(self, digest: str, *, disposition: str, media_type: str, expires_s: int) -> str:
        """A link that fetches the blob from the store itself, with these headers, for
        `expires_s` seconds."""
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._key(digest),
                "ResponseContentDisposition": disposition,
                "ResponseContentType": media_type,
            },
            ExpiresIn=expires_s,
        )
        return url


class TreeCache:
    """Package directories (canonical tars, see `registry.package`) unpacked once into local
    directories the sandbox mounts read-only."""

    def __init__(self, blobs: BlobStore, root: Path) -> None:
        self.blobs = blobs
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        if not _DIGEST.fullmatch(digest):
            raise KeyError(digest)
        target = self.root / digest
        if target.is_dir():
            return target
        # The same strict reader as an upload: nothing but plain files and directories.
        tree = unpack(self.blobs.get(digest))
        staging = Path(tempfile.mkdtemp(dir=self.root))
        try:
            for directory in sorted(tree.directories):
                (staging / directory).mkdir(parents=True, exist_ok=True)
            for path, data in tree.files.items():
                (staging / path).write_bytes(data)
            os.rename(staging, target)
        except FileExistsError:
            shutil.rmtree(staging)  # another thread unpacked it first
        except BaseException:
            shutil.rmtree(staging)
            raise
        return target
