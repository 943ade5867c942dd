"""A spell's README: the package's own README.md, or a page written from its manifest. MCP
serves it as a resource and REST as Markdown; both show it to people, never run it."""

from __future__ import annotations

import json

from billing import usd
from registry import SpellVersion, TreeCache

README_MAX_BYTES = 256 * 1024


def readme(trees: TreeCache, spell: SpellVersion) -> str:
    """The package's README.md if it has one, else a page written from the manifest."""
    packaged = trees.path(spell.package_digest) / "README.md"
    if packaged.is_file() and packaged.stat().st_size <= README_MAX_BYTES:
        return packaged.read_text(encoding="utf-8", errors="replace")
    policy = spell.manifest["runtime"]["policy"]
    grants = [
        *(f"reads `{path}`" for path in policy["fs_read"]),
        *(["writes files (returned as artifacts)"] if policy["fs_write"] else []),
        *(f"calls https://{domain}" for domain in policy["net_allow"]),
        *(f"uses the maker's secret `{name}`" for name in policy["env_vars"]),
    ]
    return "\n".join(
        [
            f"# {spell.name}",
            "",
            spell.description,
            "",
            f"- Key: `{spell.spell_key}`, version {spell.version}",
            f"- Price: ${usd(spell.price_micros)} per successful cast (failed casts are free)",
            f"- Grants: {', '.join(grants) if grants else 'none (pure computation)'}",
            f"- Signed: {'yes' if spell.signed else 'no (development spell)'}",
            "",
            "## Input schema",
            "",
            "```json",
            json.dumps(spell.input_schema, indent=2, ensure_ascii=False),
            "```",
            "",
        ]
    )
