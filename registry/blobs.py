"""Content-addressed blob storage (modules, packages). Local directory by default."""

import hashlib
import io
import os
import re
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Protocol

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class BlobStore(Protocol):
    def put(self, data: bytes) -> str: ...

    def get(self, digest: str) -> bytes: ...


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


def pack_tree(directory: Path) -> bytes:
    """A directory as an uncompressed tar: regular files and directories only, sorted, with no
    owners, modes or times, so the same tree always gives the same bytes (and digest)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for path in sorted(directory.rglob("*")):
            relative = path.relative_to(directory).as_posix()
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                raise ValueError(f"{relative}: only regular files and directories are allowed")
            info = tarfile.TarInfo(relative)
            info.mode = 0o755 if path.is_dir() else 0o644
            if path.is_dir():
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                data = path.read_bytes()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class TreeError(ValueError):
    """A stored tree that `pack_tree` could not have made."""


def _check_tree_member(member: tarfile.TarInfo) -> None:
    parts = member.name.split("/")
    if member.name.startswith("/") or ".." in parts or "" in parts or not (member.isfile() or member.isdir()):
        raise TreeError(f"{member.name}: not a plain relative file or directory")


class TreeCache:
    """Trees (packed by `pack_tree`) unpacked once into local directories for the sandbox."""

    def __init__(self, blobs: BlobStore, root: Path) -> None:
        self.blobs = blobs
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        if not _DIGEST.fullmatch(digest):
            raise KeyError(digest)
        target = self.root / digest
        if not target.is_dir():
            staging = Path(tempfile.mkdtemp(dir=self.root))
            try:
                with tarfile.open(fileobj=io.BytesIO(self.blobs.get(digest)), mode="r:") as tar:
                    for member in tar.getmembers():
                        _check_tree_member(member)
                    # The "data" filter refuses links, devices and anything that would land
                    # outside the target, should a member slip past the check above.
                    tar.extractall(staging, filter="data")
            except BaseException:
                shutil.rmtree(staging)
                raise
            try:
                os.rename(staging, target)
            except OSError:
                shutil.rmtree(staging)  # another thread unpacked it first
        return target
