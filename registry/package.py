"""The canonical spell package: a reproducible, uncompressed GNU tar.

A package is what a maker signs, so the same files must always make the same bytes. The layout is
what `tar --sort=name --mtime='1970-01-01 00:00:00Z' --owner=0 --group=0 --numeric-owner
--mode=go=rX,u+rw,a-s -cf spell.tar *` writes in the C locale: every entry by the bytes of its
name (UTF-8 dictionary order), each directory followed by its entries, depth first; time 0, owner
0 with no names, files 0644 (0755 when executable), directories 0755; no links, no `./` prefix,
paths under 100 bytes.

Packages made by listing the well-known files first on tar's command line (`… -cf spell.tar
manifest.toml spell.wasm schema.json sbom.spdx.json resources`), the order of earlier `spell pack`
releases and of many CI recipes, are accepted too: the same rules, only the top-level order differs.

`unpack` reads untrusted bytes: it refuses, naming the member, anything that is not exactly such a
package, and anything over the operator's limits.
"""

from __future__ import annotations

import hashlib
import io
import stat
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, cast

WELL_KNOWN_FIRST = ("manifest.toml", "spell.wasm", "schema.json", "sbom.spdx.json")
MAX_PATH_BYTES = 99  # a ustar name field holds 100 bytes, NUL included


class PackageError(ValueError):
    """The package is refused; the message names the member and the rule."""


@dataclass(frozen=True, slots=True)
class PackageLimits:
    max_package_bytes: int = 64 * 1024 * 1024
    max_members: int = 1000
    max_wasm_bytes: int = 5 * 1024 * 1024
    # The most a spell may charge per cast, in micro-USD (an operator's ceiling).
    max_price_micros: int = 1_000 * 1_000_000


@dataclass(frozen=True, slots=True)
class Entry:
    """A member: a directory (`data is None`) or a regular file."""

    path: str
    data: bytes | None
    executable: bool = False

    @property
    def is_dir(self) -> bool:
        return self.data is None


@dataclass(frozen=True, slots=True)
class Package:
    """The files of an unpacked package, by path; directories are implied."""

    files: Mapping[str, bytes]
    directories: frozenset[str]
    # The sha256 of each canonical form of these files (name order and well-known-first order):
    # the same contents published in the other order are the same version.
    digests: frozenset[str] = frozenset()

    def under(self, directory: str) -> dict[str, bytes]:
        """The files below `directory`, by path relative to it."""
        prefix = directory.rstrip("/") + "/"
        return {path[len(prefix) :]: data for path, data in self.files.items() if path.startswith(prefix)}


def canonical_order(entries: Iterable[Entry], *, well_known_first: bool = False) -> list[Entry]:
    by_path = {entry.path: entry for entry in entries}
    children: dict[str, list[str]] = {}
    for path in by_path:
        parent = str(PurePosixPath(path).parent)
        children.setdefault("" if parent == "." else parent, []).append(path)
    top = children.get("", [])
    first = [name for name in WELL_KNOWN_FIRST if name in top] if well_known_first else []
    ordered: list[Entry] = []

    def walk(path: str) -> None:
        ordered.append(by_path[path])
        for child in sorted(children.get(path, []), key=lambda p: p.encode()):
            walk(child)

    for name in first + sorted((n for n in top if n not in first), key=lambda p: p.encode()):
        walk(name)
    return ordered


def write_tar(entries: Iterable[Entry], *, well_known_first: bool = False) -> bytes:
    """The canonical tar of these entries (every parent directory must be among them)."""
    buffer = io.BytesIO()
    _write_tar(buffer, entries, well_known_first=well_known_first)
    return buffer.getvalue()


def _write_tar(out: IO[bytes], entries: Iterable[Entry], *, well_known_first: bool) -> None:
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for entry in canonical_order(entries, well_known_first=well_known_first):
            if len(entry.path.encode()) > MAX_PATH_BYTES:
                raise PackageError(f"{entry.path}: paths must be shorter than 100 bytes")
            info = tarfile.TarInfo(entry.path)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if entry.data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.mode = 0o755 if entry.executable else 0o644
                info.size = len(entry.data)
                tar.addfile(info, io.BytesIO(entry.data))


def entries_of_directory(root: Path) -> list[Entry]:
    """Every file and directory below `root`; links and special files are refused."""
    entries = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        mode = path.lstat().st_mode
        if stat.S_ISDIR(mode):
            entries.append(Entry(relative, None))
        elif stat.S_ISREG(mode):
            entries.append(Entry(relative, path.read_bytes(), executable=bool(mode & 0o111)))
        else:
            raise PackageError(f"{relative}: only regular files and directories can be packed")
    return entries


def pack_directory(root: Path) -> bytes:
    """`spell pack DIR`: the canonical package of a spell directory."""
    return write_tar(entries_of_directory(root))


def pack_files(files: Mapping[str, bytes]) -> bytes:
    """The canonical tar of files given by relative path, their directories implied."""
    directories = {
        str(parent) for path in files for parent in PurePosixPath(path).parents if str(parent) != "."
    }
    return write_tar([*(Entry(d, None) for d in directories), *(Entry(p, data) for p, data in files.items())])


def unpack(raw: bytes, limits: PackageLimits | None = None) -> Package:
    """Read a package from untrusted bytes; refuse anything that is not canonical.

    Each header is read on its own, and anything but a regular file or a directory (links,
    devices, FIFOs, GNU sparse files and long names, PAX headers, …) is refused from its header,
    as is a member whose declared size is over a limit or past the archive's end: no member is
    read, let alone expanded, before its size is known to fit.
    """
    limits = limits or PackageLimits()
    if len(raw) > limits.max_package_bytes:
        raise PackageError(f"the package is larger than {limits.max_package_bytes} bytes")
    entries: list[Entry] = []
    seen: set[str] = set()
    offset = 0
    while raw[offset : offset + tarfile.BLOCKSIZE].strip(tarfile.NUL):
        if len(entries) == limits.max_members:
            raise PackageError(f"more than {limits.max_members} members")
        member = _header(raw, offset)
        start = offset + tarfile.BLOCKSIZE
        _check_member(member, seen, limits, available=len(raw) - start)
        name = member.name
        if member.isdir():
            entries.append(Entry(name, None))
        else:
            data = raw[start : start + member.size]
            entries.append(Entry(name, data, executable=member.mode == 0o755))
        offset = start + -(-member.size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
    files = {e.path: e.data for e in entries if e.data is not None}
    directories = frozenset(e.path for e in entries if e.data is None)
    for path in files:
        for parent in PurePosixPath(path).parents:
            if str(parent) != "." and str(parent) not in directories:
                raise PackageError(f"{path}: its directory {parent}/ is not a member")
    forms = [_CanonicalForm(raw) for _ in range(2)]
    for form, well_known_first in zip(forms, (False, True), strict=True):
        _write_tar(cast(IO[bytes], form), entries, well_known_first=well_known_first)
    if not any(form.is_raw for form in forms):
        raise PackageError(
            "members are not in canonical order or the archive is padded differently "
            "(make it with `spell pack`)"
        )
    return Package(files=files, directories=directories, digests=frozenset(f.sha256() for f in forms))


class _CanonicalForm:
    """A file that a canonical tar is written to: it keeps only the tar's digest and whether it
    is byte for byte `raw`, so that checking a package never holds a second copy of it."""

    def __init__(self, raw: bytes) -> None:
        self._raw = memoryview(raw)
        self._hash = hashlib.sha256()
        self._size = 0
        self._same = True

    def write(self, chunk: bytes) -> int:
        self._hash.update(chunk)
        end = self._size + len(chunk)
        self._same = self._same and self._raw[self._size : end] == chunk
        self._size = end
        return len(chunk)

    def tell(self) -> int:
        return self._size

    @property
    def is_raw(self) -> bool:
        return self._same and self._size == len(self._raw)

    def sha256(self) -> str:
        return self._hash.hexdigest()


# What a header of any other type would make of its member, for the refusal.
_KINDS = {
    tarfile.CHRTYPE: "a character device",
    tarfile.BLKTYPE: "a block device",
    tarfile.FIFOTYPE: "a FIFO",
    tarfile.CONTTYPE: "a contiguous file",
    tarfile.AREGTYPE: "an old-style (pre-POSIX) file",
    tarfile.GNUTYPE_SPARSE: "a GNU sparse file",
    tarfile.GNUTYPE_LONGNAME: "a GNU long name (paths must be shorter than 100 bytes)",
    tarfile.GNUTYPE_LONGLINK: "a GNU long link name",
    tarfile.XHDTYPE: "a PAX extended header",
    tarfile.XGLTYPE: "a PAX global header",
    tarfile.SOLARIS_XHDTYPE: "a Solaris extended header",
}


def _header(raw: bytes, offset: int) -> tarfile.TarInfo:
    """The member whose header starts at `offset`, read from that header alone."""
    block = raw[offset : offset + tarfile.BLOCKSIZE]
    try:
        return tarfile.TarInfo.frombuf(block, "utf-8", "strict")
    except UnicodeDecodeError:
        raise PackageError(f"the member at byte {offset}: names must be UTF-8") from None
    except tarfile.HeaderError as exc:
        if offset == 0:
            raise PackageError("not an uncompressed tar archive (make one with `spell pack`)") from None
        raise PackageError(f"the tar archive is damaged at byte {offset}: {exc}") from None


def _check_member(member: tarfile.TarInfo, seen: set[str], limits: PackageLimits, *, available: int) -> None:
    """Refuse a member from its header alone: its type, path, owner, mode and declared size."""
    name = member.name
    if member.issym() or member.islnk():
        raise PackageError(f"{name}: links are not allowed")
    if member.type not in (tarfile.REGTYPE, tarfile.DIRTYPE):
        kind = _KINDS.get(member.type, f"a member of type {member.type!r}")
        raise PackageError(f"{name}: only regular files and directories are allowed, not {kind}")
    parts = name.split("/")
    if name.startswith("/") or "\\" in name or "\x00" in name:
        raise PackageError(f"{name}: absolute or unusual paths are not allowed")
    if any(part in ("", ".", "..") for part in parts):
        raise PackageError(f"{name}: '.', '..' and empty path segments are not allowed")
    if len(name.encode()) > MAX_PATH_BYTES:
        raise PackageError(f"{name[:40]}…: paths must be shorter than 100 bytes")
    if name in seen:
        raise PackageError(f"{name}: appears twice")
    seen.add(name)
    expected_mode = 0o755 if member.isdir() else member.mode if member.mode in (0o644, 0o755) else None
    if (
        member.mtime != 0
        or member.uid != 0
        or member.gid != 0
        or member.uname
        or member.gname
        or member.mode != expected_mode
        or (member.isdir() and member.size != 0)
    ):
        raise PackageError(
            f"{name}: not canonical (time 0, owner 0 without names, mode 0644/0755); "
            "make it with `spell pack`"
        )
    if name.endswith(".wasm") and member.size > limits.max_wasm_bytes:
        raise PackageError(f"{name}: larger than {limits.max_wasm_bytes} bytes")
    if member.size > available:
        raise PackageError(
            f"{name}: declares {member.size} bytes but the archive holds only {max(available, 0)} more"
        )
