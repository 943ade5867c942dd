"""Amounts: integer micro-USD everywhere, exact decimal dollars only where a person reads them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MICROS_PER_USD = 1_000_000


def usd(micros: int) -> str:
    """Exact decimal dollars for display: 1500 → '0.0015', -1500 → '-0.0015' (a debt)."""
    whole, frac = divmod(abs(micros), MICROS_PER_USD)
    text = f"{whole}.{frac:06d}".rstrip("0").rstrip(".") if frac else str(whole)
    return f"-{text}" if micros < 0 else text


def micros_of_usd(text: str) -> int:
    """The exact micro-USD of an amount of USD written as text ("5", "0.25", "-1.5"); ValueError,
    saying what is wrong, when it is not a finite amount with at most 6 decimal places."""
    try:
        amount = Decimal(text.strip()) * MICROS_PER_USD
    except InvalidOperation:
        raise ValueError("must be a decimal amount of USD, e.g. 5 or 0.25") from None
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise ValueError("must be an amount of USD with at most 6 decimal places")
    return int(amount)
