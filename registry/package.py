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
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
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
    return buffer.getvalue()


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
    """Read a package from untrusted bytes; refuse anything that is not canonical."""
    limits = limits or PackageLimits()
    if len(raw) > limits.max_package_bytes:
        raise PackageError(f"the package is larger than {limits.max_package_bytes} bytes")
    try:
        tar = tarfile.open(fileobj=io.BytesIO(raw), mode="r:")  # noqa: SIM115 (closed below)
    except tarfile.TarError:
        raise PackageError("not an uncompressed tar archive (make one with `spell pack`)") from None
    entries: list[Entry] = []
    seen: set[str] = set()
    with tar:
        try:
            for count, member in enumerate(tar, start=1):
                if count > limits.max_members:
                    raise PackageError(f"more than {limits.max_members} members")
                entries.append(_read_member(tar, member, seen, limits))
        except tarfile.TarError as exc:
            raise PackageError(f"the tar archive is damaged: {exc}") from None
    files = {e.path: e.data for e in entries if e.data is not None}
    directories = frozenset(e.path for e in entries if e.data is None)
    for path in files:
        for parent in PurePosixPath(path).parents:
            if str(parent) != "." and str(parent) not in directories:
                raise PackageError(f"{path}: its directory {parent}/ is not a member")
    by_name, well_known_first = write_tar(entries), write_tar(entries, well_known_first=True)
    if raw not in (by_name, well_known_first):
        raise PackageError(
            "members are not in canonical order or the archive is padded differently "
            "(make it with `spell pack`)"
        )
    digests = frozenset(hashlib.sha256(form).hexdigest() for form in (by_name, well_known_first))
    return Package(files=files, directories=directories, digests=digests)


def _read_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, seen: set[str], limits: PackageLimits
) -> Entry:
    name = member.name.rstrip("/") if member.isdir() else member.name
    if member.issym() or member.islnk():
        raise PackageError(f"{member.name}: links are not allowed")
    if not (member.isfile() or member.isdir()):
        raise PackageError(f"{member.name}: only regular files and directories are allowed")
    parts = name.split("/")
    if name.startswith("/") or "\\" in name or "\x00" in name:
        raise PackageError(f"{member.name}: absolute or unusual paths are not allowed")
    if any(part in ("", ".", "..") for part in parts):
        raise PackageError(f"{member.name}: '.', '..' and empty path segments are not allowed")
    if len(name.encode()) > MAX_PATH_BYTES:
        raise PackageError(f"{member.name[:40]}…: paths must be shorter than 100 bytes")
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
    ):
        raise PackageError(
            f"{name}: not canonical (time 0, owner 0 without names, mode 0644/0755); "
            "make it with `spell pack`"
        )
    if member.isdir():
        return Entry(name, None)
    if name.endswith(".wasm") and member.size > limits.max_wasm_bytes:
        raise PackageError(f"{name}: larger than {limits.max_wasm_bytes} bytes")
    handle = tar.extractfile(member)
    assert handle is not None
    return Entry(name, handle.read(), executable=member.mode == 0o755)
