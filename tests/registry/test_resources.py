"""Package directories a spell may read: packed reproducibly, registered safely, unpacked safely."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from registry import LocalBlobStore, RegistrationError, SpellSource, TreeCache, pack_tree
from registry.blobs import TreeError
from tests import wasm_modules as wat
from tests.spellbook import write_spell


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "resources"
    (root / "nested").mkdir(parents=True)
    (root / "words.txt").write_text("alpha\n")
    (root / "nested" / "more.txt").write_text("beta\n")
    return root


def test_the_same_tree_always_packs_to_the_same_bytes(tmp_path: Path) -> None:
    first = pack_tree(tree(tmp_path / "a"))
    os.utime(tmp_path / "a" / "resources" / "words.txt", (1, 1))
    assert pack_tree(tree(tmp_path / "b")) == first == pack_tree(tmp_path / "a" / "resources")


def test_a_packed_tree_unpacks_to_the_same_files(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    digest = blobs.put(pack_tree(tree(tmp_path)))
    unpacked = TreeCache(blobs, tmp_path / "trees").path(digest)
    assert (unpacked / "words.txt").read_text() == "alpha\n"
    assert (unpacked / "nested" / "more.txt").read_text() == "beta\n"


def test_links_are_refused_when_packing(tmp_path: Path) -> None:
    root = tree(tmp_path)
    (root / "escape").symlink_to("/etc/passwd")
    with pytest.raises(ValueError, match="escape"):
        pack_tree(root)


@pytest.mark.parametrize("member", ["../evil.txt", "/etc/evil.txt", "link"])
def test_hostile_trees_are_refused_when_unpacking(tmp_path: Path, member: str) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(member)
        if member == "link":
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
        else:
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))
    blobs = LocalBlobStore(tmp_path / "blobs")
    digest = blobs.put(buffer.getvalue())
    with pytest.raises(TreeError):
        TreeCache(blobs, tmp_path / "trees").path(digest)
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path / "trees" / digest).exists()


def test_a_granted_directory_must_exist_in_the_package(tmp_path: Path) -> None:
    spell_dir = write_spell(tmp_path, "com.acme.reader", wat.writes("{}"), policy='fs_read = ["./resources"]')
    with pytest.raises(RegistrationError, match="not a directory of the package"):
        SpellSource.from_directory(spell_dir)
    (spell_dir / "resources").mkdir()
    (spell_dir / "resources" / "a.txt").write_text("a")
    assert set(SpellSource.from_directory(spell_dir).trees) == {"/resources"}
