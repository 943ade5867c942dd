"""Build the example spells: C sources → wasm32-wasi with the `ziglang` package.

Each `examples/spells/<name>/` becomes a ready-to-register spell directory
`build/spells/<name>/` (manifest, schemas, SBOM and `spell.wasm`). Up-to-date spells are not
rebuilt. Usage: python examples/build.py [OUTPUT_DIR]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "examples" / "spells"
# Zig's default stack is 16 MiB; 64 KiB keeps a module's minimum memory small.
CFLAGS = ["-target", "wasm32-wasi", "-O2", "-s", "-Wl,-z,stack-size=65536"]


def compile_c(sources: list[Path], wasm: Path) -> bool:
    """Compile C sources into a WASI command module unless it is newer than all of them.
    Returns True when it was (re)built."""
    if wasm.exists() and all(p.stat().st_mtime <= wasm.stat().st_mtime for p in sources):
        return False
    wasm.parent.mkdir(parents=True, exist_ok=True)
    # wasi-libc is built once per machine, into zig's global cache (~/.cache/zig), which `spell
    # build` and every clone of this repository share; this build's own objects stay in build/.
    env = {**os.environ, "ZIG_LOCAL_CACHE_DIR": str(ROOT / "build" / "zig-cache")}
    tmp = wasm.with_suffix(".tmp")
    c_files = [str(p) for p in sources if p.suffix == ".c"]
    subprocess.run(
        [sys.executable, "-m", "ziglang", "cc", *CFLAGS, *c_files, "-o", str(tmp)], check=True, env=env
    )
    tmp.replace(wasm)
    return True


def build_spell(source: Path, output: Path) -> bool:
    """Build one spell directory; returns True when its module was (re)built."""
    inputs = sorted(p for p in source.rglob("*") if p.is_file())
    output.mkdir(parents=True, exist_ok=True)
    for path in inputs:
        if path.suffix != ".c":
            target = output / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    return compile_c(inputs, output / "spell.wasm")


def build_all(destination: Path) -> list[Path]:
    built = []
    for source in sorted(p for p in SOURCES.iterdir() if (p / "manifest.toml").exists()):
        target = destination / source.name
        if build_spell(source, target):
            print(f"built {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
        built.append(target)
    return built


if __name__ == "__main__":
    build_all(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "spells")
