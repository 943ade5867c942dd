"""`spell build`: a spell's sources compiled to a WASI preview1 command module, `spell.wasm`.

C and Zig build with the `ziglang` package from PyPI (nothing else to install); Rust with the
maker's own `cargo` and its `wasm32-wasip1` target. Every module gets a stack of 64 KiB: Zig's
default of 16 MiB alone would ask for 273 pages of memory before the spell does anything.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from registry import Manifest, PackageLimits
from runtime import ModuleRejected, Sandbox, module_imports

LANGUAGES = ("c", "zig", "rust")
STACK_BYTES = 65536
ZIG = [sys.executable, "-m", "ziglang"]


class BuildError(ValueError):
    """The build failed; the message says why (with the compiler's own words when it ran)."""


@dataclass(frozen=True, slots=True)
class Built:
    module: Path
    size: int
    max_size: int
    imports: tuple[str, ...]
    # Why the sandbox would refuse the module (an import it does not provide, no _start), if so.
    refusal: str | None


def language_of(folder: Path, manifest: Manifest) -> str:
    language = (manifest.runtime.language or "").lower()
    if language in LANGUAGES:
        return language
    if (folder / "Cargo.toml").is_file():
        return "rust"
    if list(folder.glob("src/*.zig")) or list(folder.glob("*.zig")):
        return "zig"
    if list(folder.glob("src/*.c")) or list(folder.glob("*.c")):
        return "c"
    raise BuildError(
        "cannot tell the spell's language: set runtime.language to c, zig or rust "
        "(other languages: build spell.wasm with their own wasm32-wasi toolchain)"
    )


def build(folder: Path, manifest: Manifest) -> Built:
    language = language_of(folder, manifest)
    # Absolute: the compilers run in the spell's folder, whatever folder the maker is in.
    output = (folder / manifest.runtime.entry).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    if language == "c":
        _build_c(folder, output)
    elif language == "zig":
        _build_zig(folder, output)
    else:
        _build_rust(folder, output)
    return inspect(output)


def _sources(folder: Path, suffix: str) -> list[Path]:
    found = sorted(folder.glob(f"src/**/*{suffix}")) or sorted(folder.glob(f"*{suffix}"))
    if not found:
        raise BuildError(f"no {suffix} sources in src/ or in the folder")
    return found


def _build_c(folder: Path, output: Path) -> None:
    sources = [str(path.relative_to(folder)) for path in _sources(folder, ".c")]
    includes = [f"-I{name}" for name in ("src", "include") if (folder / name).is_dir()]
    _run(
        [*ZIG, "cc", "-target", "wasm32-wasi", "-O2", "-s", f"-Wl,-z,stack-size={STACK_BYTES}", *includes,
         *sources, "-o", str(output)],
        folder,
    )  # fmt: skip


def _build_zig(folder: Path, output: Path) -> None:
    root = (
        folder / "src" / "main.zig"
        if (folder / "src" / "main.zig").is_file()
        else _sources(folder, ".zig")[0]
    )
    _run(
        [*ZIG, "build-exe", str(root.relative_to(folder)), "-target", "wasm32-wasi", "-O", "ReleaseSmall",
         "-fstrip", "--stack", str(STACK_BYTES), f"-femit-bin={output}"],
        folder,
    )  # fmt: skip
    # zig leaves an object file beside the module
    output.with_suffix(".wasm.o").unlink(missing_ok=True)


def _build_rust(folder: Path, output: Path) -> None:
    cargo = shutil.which("cargo")
    if cargo is None:
        raise BuildError(
            "Rust spells build with cargo, which is not installed: get it from https://rustup.rs, then "
            "`rustup target add wasm32-wasip1`"
        )
    try:
        name = tomllib.loads((folder / "Cargo.toml").read_text())["package"]["name"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise BuildError(f"Cargo.toml: cannot read the package name ({exc})") from None
    target = "wasm32-wasip1"
    _run(
        [cargo, "build", "--release", "--target", target, "--config",
         f"target.{target}.rustflags=['-C', 'link-arg=-zstack-size={STACK_BYTES}']"],
        folder,
    )  # fmt: skip
    shutil.copyfile(folder / "target" / target / "release" / f"{name}.wasm", output)


def _run(command: list[str], folder: Path) -> None:
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip()
        raise BuildError(f"the compiler failed:\n{said[-4000:]}")


def inspect(module: Path) -> Built:
    """The module's size against the package limit, and its imports against what the sandbox
    provides: the very check publish runs (`Sandbox.compile`)."""
    wasm = module.read_bytes()
    limit = PackageLimits().max_wasm_bytes
    imports = module_imports(wasm)
    refusal = None
    with tempfile.TemporaryDirectory(prefix="spell-build-") as workdir:
        sandbox = Sandbox(Path(workdir), lambda digest: wasm, max_concurrent_casts=1)
        try:
            sandbox.compile(wasm)
        except ModuleRejected as exc:
            refusal = str(exc)
        finally:
            sandbox.close()
    return Built(module=module, size=len(wasm), max_size=limit, imports=imports, refusal=refusal)
