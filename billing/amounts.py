"""Amounts: integer micro-USD everywhere, exact decimal dollars only where a person reads them."""

from __future__ import annotations

MICROS_PER_USD = 1_000_000


def usd(micros: int) -> str:
    """Exact decimal dollars for display: 1500 → '0.0015', -1500 → '-0.0015' (a debt)."""
    whole, frac = divmod(abs(micros), MICROS_PER_USD)
    text = f"{whole}.{frac:06d}".rstrip("0").rstrip(".") if frac else str(whole)
    return f"-{text}" if micros < 0 else text
