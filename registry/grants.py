"""What a spell version may touch and what it costs, and what a newer version adds to it.

A caster who has used a spell consented to its grants; a version that widens them (a new
domain, secret, file grant, or a higher price) waits for the caster's consent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from registry.manifest import MICROS_PER_USD
from registry.models import SpellVersion
from runtime.policy import SCRATCH_GUEST_PATH, guest_path_for


@dataclass(frozen=True, slots=True)
class Grants:
    domains: frozenset[str]
    secrets: frozenset[str]
    reads: frozenset[str]
    writes: frozenset[str]
    price_micros: int

    @classmethod
    def of(cls, manifest: dict[str, Any], price_micros: int) -> Grants:
        """From a recorded manifest (`SpellVersion.manifest`, JSON)."""
        policy = manifest["runtime"]["policy"]
        return cls(
            domains=frozenset(domain.lower() for domain in policy["net_allow"]),
            secrets=frozenset(policy["env_vars"]),
            reads=frozenset(guest_path_for(entry) for entry in policy["fs_read"]),
            # The only writable place there is (registry/manifest.py refuses any other).
            writes=frozenset(SCRATCH_GUEST_PATH for _ in policy["fs_write"]),
            price_micros=price_micros,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Grants:
        """From `as_dict`'s form, as kept with a caster's acceptance."""
        return cls(
            domains=frozenset(data["domains"]),
            secrets=frozenset(data["secrets"]),
            reads=frozenset(data["files"]["read"]),
            writes=frozenset(data["files"]["write"]),
            price_micros=int(data["price_micros"]),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "domains": sorted(self.domains),
            "secrets": sorted(self.secrets),
            "files": {"read": sorted(self.reads), "write": sorted(self.writes)},
            "price_micros": self.price_micros,
        }


def grants_of(spell: SpellVersion) -> Grants:
    return Grants.of(spell.manifest, spell.price_micros)


def deterministic(spell: SpellVersion) -> bool:
    """The spell declared `[runtime] deterministic = true`: its casts can be replayed."""
    return bool(spell.manifest["runtime"].get("deterministic", False))


def widening(known: Grants, new: Grants) -> list[str]:
    """What `new` may do or cost that `known` could not, one sentence each; empty when `new`
    only keeps or narrows. A domain is covered by a known parent domain (grants include
    subdomains)."""
    added = [
        *(
            f"reaches {domain} over the network"
            for domain in sorted(new.domains)
            if not _covered(domain, known)
        ),
        *(f"reads the secret {name}" for name in sorted(new.secrets - known.secrets)),
        *(f"reads files at {path}" for path in sorted(new.reads - known.reads)),
        *(f"writes files at {path}" for path in sorted(new.writes - known.writes)),
    ]
    if new.price_micros > known.price_micros:
        added.append(f"costs {_usd(new.price_micros)} per cast instead of {_usd(known.price_micros)}")
    return added


def _covered(domain: str, known: Grants) -> bool:
    return any(domain == parent or domain.endswith("." + parent) for parent in known.domains)


def _usd(micros: int) -> str:
    return f"${Decimal(micros) / MICROS_PER_USD:f}"
