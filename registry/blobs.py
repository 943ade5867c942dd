"""Content-addressed blob storage (modules, packages). Local directory by default."""

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Protocol

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
