"""A server process's memory with many spells: its resident set size on a fresh store, after N
spells are published, and after each is cast once (each with a module of its own, so that every
cast loads a compiled module; the sandbox keeps a bounded number of them).

    python bench/memory.py [--spells 200]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
from pathlib import Path

from spell_mcp.bootstrap import dev_bootstrap, register_directory
from spell_mcp.platform import Platform
from spell_mcp.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ECHO = ROOT / "build" / "spells" / "echo"


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS in /proc/self/status (Linux only)")


def with_custom_section(wasm: bytes, name: str) -> bytes:
    """The same module with a custom section named `name`: the same code, another digest."""
    payload = bytes([len(name)]) + name.encode()
    assert len(payload) < 128  # one-byte LEB128 sizes
    return wasm + bytes([0, len(payload)]) + payload


def write_spells(directory: Path, count: int) -> None:
    manifest = (ECHO / "manifest.toml").read_text()
    wasm = (ECHO / "spell.wasm").read_bytes()
    for n in range(count):
        spell = directory / f"echo{n:04d}"
        shutil.copytree(ECHO, spell)
        key = f"dev.bench.echo{n:04d}"
        (spell / "manifest.toml").write_text(manifest.replace('key = "dev.spell.echo"', f'key = "{key}"'))
        (spell / "spell.wasm").write_bytes(with_custom_section(wasm, f"bench-{n}"))


async def measure(count: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        home, spells = Path(scratch) / "home", Path(scratch) / "spells"
        spells.mkdir()
        write_spells(spells, count)
        platform = await Platform.open(Settings(home=home, dev_mode=True, examples_dir=ECHO.parent))
        try:
            caster = await dev_bootstrap(platform, lambda line: None)
            await platform.casts.cast(caster, "dev.spell.echo", {"message": "warm"}, via="rest")
            fresh = rss_mib()
            published = await register_directory(platform, spells, caster.user_id)
            assert len(published) == count and all("skipped" not in line for line in published), published
            after_publish = rss_mib()
            for n in range(count):
                await platform.casts.cast(caster, f"dev.bench.echo{n:04d}", {"message": "hi"}, via="rest")
            after_casts = rss_mib()
        finally:
            await platform.close()
    print(f"RSS of one server process, {count} spells (each its own module of the echo spell's code)")
    print(f"  fresh store, one cast          {fresh:7.1f} MiB")
    print(f"  after publishing {count:<4}         {after_publish:7.1f} MiB  (+{after_publish - fresh:.1f})")
    print(
        f"  after casting each once        {after_casts:7.1f} MiB  (+{after_casts - after_publish:.1f}, "
        f"{(after_casts - after_publish) * 1024 / count:.0f} KiB a loaded module)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spells", type=int, default=200)
    asyncio.run(measure(parser.parse_args().spells))


if __name__ == "__main__":
    main()
