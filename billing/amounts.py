"""Amounts: integer micro-USD everywhere, exact decimal dollars only where a person reads them."""

from __future__ import annotations

MICROS_PER_USD = 1_000_000


def usd(micros: int) -> str:
    """Exact decimal dollars for display: 1500 → '0.0015'."""
    whole, frac = divmod(micros, MICROS_PER_USD)
    return f"{whole}.{frac:06d}".rstrip("0").rstrip(".") if frac else str(whole)
