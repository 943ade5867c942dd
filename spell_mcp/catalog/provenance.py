"""What an agent can check about a spell tool before calling it and about the version that ran:
namespaced `_meta` keys on each tool of tools/list and on each result (docs/mcp-clients.md).

Everything here is what publishing verified and recorded: the module's digest, the package the
maker signed, who signed it (Sigstore identity, issuer, Rekor entry), the SBOM and its last
vulnerability scan, and the grants the sandbox enforces.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from registry import SpellVersion
from registry.grants import deterministic, grants_of

PREFIX = "dev.spell/"
SEVERITIES = ("critical", "high", "medium", "low", "unknown")


def provenance(spell: SpellVersion) -> dict[str, Any]:
    """The `_meta` entries of one version."""
    signer = spell.provenance
    severities = Counter(str(finding.get("severity", "")).lower() for finding in spell.vulnerabilities)
    return {
        f"{PREFIX}key": spell.spell_key,
        f"{PREFIX}version": spell.version,
        f"{PREFIX}price_micros": spell.price_micros,
        f"{PREFIX}module_digest": spell.module_digest,
        f"{PREFIX}package_sha256": spell.package_digest,
        f"{PREFIX}signed": spell.signed,
        f"{PREFIX}signer": None
        if signer is None
        else {
            "identity": signer["identity"],
            "issuer": signer["issuer"],
            "rekor_log_index": signer["rekor_log_index"],
            "integrated_time": signer.get("integrated_time"),
        },
        f"{PREFIX}sbom": {
            "format": spell.sbom.get("format"),
            # Unknown (null) for versions published before it was recorded.
            "sha256": spell.sbom.get("sha256") or None,
            "packages": len(spell.sbom.get("components", [])),
            "vulnerabilities": {severity: severities[severity] for severity in SEVERITIES},
            "scanned_at": spell.scanned_at.isoformat() if spell.scanned_at else None,
        },
        f"{PREFIX}policy": grants_of(spell).as_dict() | {"deterministic": deterministic(spell)},
    }
