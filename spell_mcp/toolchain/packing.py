"""What goes into a package: the files the manifest names, not the whole folder.

A spell's folder also holds its sources, tests, CI workflow and build output; a package holds
only what a cast or a caster reads (like `cargo package` and npm's `files`): the manifest, the
module, the schemas, the SBOM, the icon, the directories the policy lets the spell read, and the
README, licence and changelog when present. Anything the manifest names that is missing is
refused here, in the words publish would use, before anything is written.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from registry import Manifest, ManifestError, PackageError
from registry.package import Entry, entries_of_directory, write_tar

# Shown to casters (the README becomes the spell's page) or required by many licences.
ALONGSIDE = ("README.md", "LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING", "NOTICE", "CHANGELOG.md")


class PackError(ValueError):
    """The folder cannot make a package; each problem names the file and what to do."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def read_manifest(folder: Path) -> Manifest:
    if not folder.is_dir():
        raise PackError([f"{folder}: no such folder (make one with `spell init NAME`)"])
    path = folder / "manifest.toml"
    if not path.is_file():
        raise PackError(
            [f"{path}: missing; a spell folder starts with its manifest (`spell init NAME` makes one)"]
        )
    try:
        return Manifest.from_toml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise PackError(["manifest.toml: not UTF-8"]) from None
    except ManifestError as exc:
        raise PackError([f"manifest.toml: {problem}" for problem in exc.problems]) from None


def members(folder: Path, manifest: Manifest) -> list[Entry]:
    """The package's files and directories, read from the folder."""
    named = {
        manifest.runtime.entry: "the module: build it with `spell build`",
        manifest.io.schema_file: "the input schema (JSON Schema 2020-12)",
        manifest.supply_chain.sbom: "the SBOM: make it with `spell sbom generate`",
    }
    if manifest.io.output_schema:
        named[manifest.io.output_schema] = "the output schema named by io.output_schema"
    if manifest.icon:
        named[manifest.icon] = "the icon named by the manifest"
    entries = {"manifest.toml": Entry("manifest.toml", (folder / "manifest.toml").read_bytes())}
    problems = []
    for name, what in named.items():
        path = folder / name
        if not _inside(folder, path) or not path.is_file():
            problems.append(f"{name}: missing ({what})")
        else:
            entries[name] = Entry(name, path.read_bytes())
    for directory in manifest.runtime.policy.read_dirs:
        root = folder / directory
        if not _inside(folder, root) or not root.is_dir():
            problems.append(f"{directory}/: missing (runtime.policy.fs_read grants it)")
            continue
        entries[directory] = Entry(directory, None)
        try:
            for entry in entries_of_directory(root):
                member = f"{directory}/{entry.path}"
                entries[member] = Entry(member, entry.data, entry.executable)
        except PackageError as exc:
            problems.append(f"{directory}/{exc}")
    if problems:
        raise PackError(problems)
    for name in ALONGSIDE:
        if (folder / name).is_file():
            entries[name] = Entry(name, (folder / name).read_bytes())
    for member in list(entries):
        for parent in PurePosixPath(member).parents:
            if str(parent) != "." and str(parent) not in entries:
                entries[str(parent)] = Entry(str(parent), None)
    return list(entries.values())


def pack_folder(folder: Path) -> bytes:
    """The canonical package of a spell folder: `spell pack`."""
    manifest = read_manifest(folder)
    try:
        return write_tar(members(folder, manifest))
    except PackageError as exc:
        raise PackError([str(exc)]) from None


def _inside(folder: Path, path: Path) -> bool:
    """Whether `path` stays inside the folder (a manifest naming ../../secret packs nothing)."""
    return path.resolve().is_relative_to(folder.resolve())
