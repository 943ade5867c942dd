"""The canonical package: reproducible bytes, and a reader that refuses every hostile tar."""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import subprocess
import tarfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from registry import (
    LocalBlobStore,
    PackageError,
    PackageLimits,
    RegistrationError,
    SpellSource,
    TreeCache,
    pack_directory,
    pack_files,
    unpack,
)
from tests import wasm_modules as wat
from tests.spellbook import write_spell

GNU_TAR = [
    "tar",
    "--sort=name",
    "--mtime=1970-01-01 00:00:00Z",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--mode=go=rX,u+rw,a-s",
    "-cf",
]


@pytest.fixture
def spell_dir(tmp_path: Path, built_spells: Path) -> Path:
    directory = tmp_path / "spell"
    shutil.copytree(built_spells / "textstats", directory)
    (directory / "resources" / "nested").mkdir(parents=True)
    (directory / "resources" / "words.txt").write_text("alpha\n")
    (directory / "resources" / "nested" / "more.txt").write_text("beta\n")
    (directory / "resources" / "empty").mkdir()
    (directory / "schema.json").chmod(0o600)  # modes are normalised, as tar --mode does
    return directory


def test_spell_pack_is_byte_identical_to_gnu_tar_of_every_file_by_name(
    spell_dir: Path, tmp_path: Path
) -> None:
    ours = pack_directory(spell_dir)
    # What `tar --sort=name … -cf spell.tar *` gets from the shell in the C locale.
    members = sorted((p.name for p in spell_dir.iterdir()), key=str.encode)
    subprocess.run([*GNU_TAR, str(tmp_path / "gnu.tar"), *members], cwd=spell_dir, check=True)
    assert hashlib.sha256(ours).hexdigest() == hashlib.sha256((tmp_path / "gnu.tar").read_bytes()).hexdigest()


def test_a_tar_listing_the_well_known_files_first_is_accepted_as_the_same_contents(
    spell_dir: Path, tmp_path: Path
) -> None:
    members = [
        "manifest.toml",
        "spell.wasm",
        "schema.json",
        "sbom.spdx.json",
        "output.schema.json",
        "resources",
    ]
    subprocess.run([*GNU_TAR, str(tmp_path / "listed.tar"), *members], cwd=spell_dir, check=True)
    listed = (tmp_path / "listed.tar").read_bytes()
    by_name = pack_directory(spell_dir)
    assert listed != by_name
    assert unpack(listed).files == unpack(by_name).files
    assert (
        unpack(listed).digests
        == unpack(by_name).digests
        == {
            hashlib.sha256(listed).hexdigest(),
            hashlib.sha256(by_name).hexdigest(),
        }
    )


def test_any_other_member_order_is_still_refused(spell_dir: Path, tmp_path: Path) -> None:
    members = [
        "schema.json",
        "manifest.toml",
        "spell.wasm",
        "sbom.spdx.json",
        "output.schema.json",
        "resources",
    ]
    subprocess.run([*GNU_TAR, str(tmp_path / "shuffled.tar"), *members], cwd=spell_dir, check=True)
    with pytest.raises(PackageError, match="canonical order"):
        unpack((tmp_path / "shuffled.tar").read_bytes())


def test_packing_is_reproducible_and_unpacking_gives_the_files_back(spell_dir: Path) -> None:
    first = pack_directory(spell_dir)
    (spell_dir / "manifest.toml").touch()
    assert pack_directory(spell_dir) == first
    package = unpack(first)
    assert package.files["resources/nested/more.txt"] == b"beta\n"
    assert "resources/empty" in package.directories
    assert package.under("resources") == {"words.txt": b"alpha\n", "nested/more.txt": b"beta\n"}


def test_links_cannot_be_packed(spell_dir: Path) -> None:
    (spell_dir / "resources" / "escape").symlink_to("/etc/passwd")
    with pytest.raises(PackageError, match="resources/escape"):
        pack_directory(spell_dir)


def tar_of(*members: tuple[tarfile.TarInfo, bytes | None], fmt: int = tarfile.GNU_FORMAT) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def member(name: str, kind: bytes = tarfile.REGTYPE, **attributes: object) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mtime = 0
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    info.uname = info.gname = ""
    for key, value in attributes.items():
        setattr(info, key, value)
    return info


def symlink(name: str, target: str) -> tarfile.TarInfo:
    return member(name, tarfile.SYMTYPE, linkname=target)


HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "symlink": (lambda: tar_of((symlink("evil", "/etc/passwd"), None)), "evil: links are not allowed"),
    "hardlink": (lambda: tar_of((member("evil", tarfile.LNKTYPE, linkname="/etc/passwd"), None)), "links"),
    "device": (lambda: tar_of((member("dev", tarfile.CHRTYPE), None)), "dev: only regular files"),
    "fifo": (lambda: tar_of((member("pipe", tarfile.FIFOTYPE), None)), "pipe: only regular files"),
    "absolute": (lambda: tar_of((member("/etc/cron.d/evil"), b"x")), "absolute"),
    "dot-dot": (lambda: tar_of((member("../evil"), b"x")), "'..'"),
    "dot-slash": (lambda: tar_of((member("./manifest.toml"), b"x")), "'.'"),
    "duplicate": (lambda: tar_of((member("a.txt"), b"1"), (member("a.txt"), b"2")), "a.txt: appears twice"),
    "long-path": (lambda: tar_of((member("a" * 120), b"x")), "shorter than 100 bytes"),
    "mtime": (lambda: tar_of((member("a.txt", mtime=1700000000), b"x")), "a.txt: not canonical"),
    "owner": (lambda: tar_of((member("a.txt", uid=1000, uname="alice"), b"x")), "a.txt: not canonical"),
    "setuid": (lambda: tar_of((member("a.txt", mode=0o4755), b"x")), "a.txt: not canonical"),
    "world-writable": (lambda: tar_of((member("a.txt", mode=0o666), b"x")), "a.txt: not canonical"),
    "order": (lambda: tar_of((member("b.txt"), b"x"), (member("a.txt"), b"x")), "canonical order"),
    "missing-parent": (lambda: tar_of((member("dir/a.txt"), b"x")), "dir/ is not a member"),
    "pax": (lambda: tar_of((member("a.txt"), b"x"), fmt=tarfile.PAX_FORMAT), "canonical"),
    "gzip": (lambda: gzip.compress(tar_of((member("a.txt"), b"x"))), "uncompressed tar"),
    "garbage": (lambda: b"not a tar at all" * 100, "uncompressed tar"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_packages_are_refused_naming_the_member(case: str) -> None:
    make, message = HOSTILE[case]
    with pytest.raises(PackageError, match=message.replace("(", r"\(")):
        unpack(make())


def test_operator_limits_are_enforced() -> None:
    many = pack_files({f"f{i:03}.txt": b"x" for i in range(20)})
    with pytest.raises(PackageError, match="more than 10 members"):
        unpack(many, PackageLimits(max_members=10))
    with pytest.raises(PackageError, match="larger than 100 bytes"):
        unpack(many, PackageLimits(max_package_bytes=100))
    big_wasm = pack_files({"spell.wasm": b"\0" * 2048})
    with pytest.raises(PackageError, match=r"spell\.wasm: larger than 1024 bytes"):
        unpack(big_wasm, PackageLimits(max_wasm_bytes=1024))


def test_package_directories_become_trees_the_sandbox_can_mount(spell_dir: Path, tmp_path: Path) -> None:
    manifest = spell_dir / "manifest.toml"
    manifest.write_text(
        manifest.read_text()
        .replace("[runtime.policy]", '[runtime.policy]\nfs_read = ["./resources"]', 1)
        .replace("\nfs_read = []", "")
    )
    source = SpellSource.from_directory(spell_dir)
    blobs = LocalBlobStore(tmp_path / "blobs")
    mounted = TreeCache(blobs, tmp_path / "trees").path(blobs.put(source.trees["/resources"]))
    assert (mounted / "words.txt").read_text() == "alpha\n"
    assert (mounted / "nested" / "more.txt").read_text() == "beta\n"


def test_a_stored_tree_that_is_not_canonical_is_refused(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    digest = blobs.put(tar_of((symlink("escape", "/etc/passwd"), None)))
    with pytest.raises(PackageError):
        TreeCache(blobs, tmp_path / "trees").path(digest)
    assert list((tmp_path / "trees").iterdir()) == []


def test_a_granted_directory_must_exist_in_the_package(tmp_path: Path) -> None:
    spell_dir = write_spell(tmp_path, "com.acme.reader", wat.writes("{}"), policy='fs_read = ["./resources"]')
    with pytest.raises(RegistrationError, match="not a directory of the package"):
        SpellSource.from_directory(spell_dir)
    (spell_dir / "resources").mkdir()
    (spell_dir / "resources" / "a.txt").write_text("a")
    assert set(SpellSource.from_directory(spell_dir).trees) == {"/resources"}


PNG_PIXEL = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108020000009077")


def test_an_icon_travels_inside_the_package_as_a_data_uri(tmp_path: Path) -> None:
    spell_dir = write_spell(tmp_path, "com.acme.pretty", wat.writes("{}"), icon=PNG_PIXEL)
    icon = SpellSource.from_directory(spell_dir).icon
    assert icon is not None and icon.startswith("data:image/png;base64,iVBORw0KGgo")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "PNG, JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (64 * 1024), "at most 65536"),
        (None, "not a file of the package"),
    ],
    ids=["svg-with-script", "too-large", "missing"],
)
def test_an_icon_that_is_not_a_small_raster_image_is_refused(
    tmp_path: Path, content: bytes | None, problem: str
) -> None:
    spell_dir = write_spell(tmp_path, "com.acme.pretty", wat.writes("{}"), icon=content or PNG_PIXEL)
    if content is None:
        (spell_dir / "icon.png").unlink()
    else:
        (spell_dir / "icon.png").write_bytes(content)
    with pytest.raises(RegistrationError, match=problem):
        SpellSource.from_directory(spell_dir)


# A file of 768 MiB that is all hole but its last byte: GNU tar --sparse stores it in a few KB.
SPARSE_BYTES = 768 * 1024 * 1024
SPARSE_FORMATS = {
    "gnu": ["--format=gnu"],
    "oldgnu": ["--format=oldgnu"],
    "pax-0.0": ["--format=pax", "--sparse-version=0.0"],
    "pax-0.1": ["--format=pax", "--sparse-version=0.1"],
    "pax-1.0": ["--format=pax", "--sparse-version=1.0"],
}


def peak_allocated(work: Callable[[], object]) -> int:
    """The most memory `work` held at once (tracemalloc counts every bytes object, and keeps the
    peak, which a sample of the process's RSS would miss)."""
    tracemalloc.start()
    try:
        work()
    except (PackageError, RegistrationError):
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def sparse_bomb(spell_dir: Path, out: Path, fmt: str = "gnu") -> bytes:
    """The tar bomb: the spell folder packed by GNU tar --sparse with a resources/ file declaring
    768 MiB, all hole but its last byte (a server once expanded it in memory: 3.4 GB RSS)."""
    (spell_dir / "resources").mkdir(exist_ok=True)
    with (spell_dir / "resources" / "big.bin").open("wb") as sparse:
        sparse.truncate(SPARSE_BYTES - 1)
        sparse.seek(SPARSE_BYTES - 1)
        sparse.write(b"x")
    members = sorted((p.name for p in spell_dir.iterdir()), key=str.encode)
    tar = [*GNU_TAR[:-1], "--sparse", *SPARSE_FORMATS[fmt], "-cf", str(out)]
    subprocess.run([*tar, *members], cwd=spell_dir, check=True)
    bomb = out.read_bytes()
    assert len(bomb) < 256 * 1024
    return bomb


@pytest.mark.parametrize("fmt", sorted(SPARSE_FORMATS))
def test_a_sparse_file_is_refused_from_its_header_without_being_expanded(
    spell_dir: Path, tmp_path: Path, fmt: str
) -> None:
    bomb = sparse_bomb(spell_dir, tmp_path / "bomb.tar", fmt)
    with pytest.raises(RegistrationError, match="only regular files and directories") as refused:
        SpellSource.from_package(bomb)
    assert refused.value.code == "package_invalid"
    assert peak_allocated(lambda: SpellSource.from_package(bomb)) < 16 * 1024 * 1024


def test_a_member_declaring_more_bytes_than_the_archive_holds_is_refused_unread() -> None:
    header = member("resources/huge.bin")
    header.size = 8 * 1024**3 - 1  # the largest size an octal header field holds
    huge = member("resources", tarfile.DIRTYPE).tobuf(tarfile.GNU_FORMAT) + header.tobuf(tarfile.GNU_FORMAT)
    declares = r"huge\.bin: declares 8589934591 bytes but the archive holds only"
    with pytest.raises(PackageError, match=declares):
        unpack(huge)
    assert peak_allocated(lambda: unpack(huge)) < 1024 * 1024


def test_unpacking_holds_the_package_at_most_once_more(tmp_path: Path) -> None:
    """Checking that a package is canonical (in both accepted orders) writes no copy of it."""
    package = pack_files({"resources/a.bin": b"a" * (8 * 1024 * 1024), "resources/b.bin": b"b" * 1024})
    peak = peak_allocated(lambda: unpack(package))
    assert peak < 1.5 * len(package), f"{peak / len(package):.1f} times the package"


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (tarfile.GNUTYPE_LONGNAME, "a GNU long name"),
        (tarfile.XHDTYPE, "a PAX extended header"),
        (tarfile.XGLTYPE, "a PAX global header"),
        (tarfile.CONTTYPE, "a contiguous file"),
        (b"V", "a member of type b'V'"),
    ],
)
def test_every_header_that_is_not_a_file_or_a_directory_is_refused_by_its_type(
    kind: bytes, words: str
) -> None:
    header = member("x", kind)
    header.size = 8 * 1024**3 - 1
    with pytest.raises(PackageError, match=f"x: only regular files and directories are allowed, not {words}"):
        unpack(header.tobuf(tarfile.GNU_FORMAT))
