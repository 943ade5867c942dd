"""Amounts: integer micro-USD everywhere, exact decimal dollars only where a person reads them."""

from __future__ import annotations

import re
from decimal import Decimal

MICROS_PER_USD = 1_000_000
# An amount as people write one: ASCII digits, one point at most, a short exponent at most.
AMOUNT_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,2})?")
MAX_AMOUNT_TEXT = 40


def usd(micros: int) -> str:
    """Exact decimal dollars for display: 1500 → '0.0015', -1500 → '-0.0015' (a debt)."""
    whole, frac = divmod(abs(micros), MICROS_PER_USD)
    text = f"{whole}.{frac:06d}".rstrip("0").rstrip(".") if frac else str(whole)
    return f"-{text}" if micros < 0 else text


def micros_of_usd(text: str) -> int:
    """The exact micro-USD of an amount of USD written as text ("5", "0.25", "-1.5", "1e-6");
    ValueError, saying what is wrong, when it is not a finite amount with at most 6 decimal places.

    The text is read within bounds before any arithmetic (at most 40 characters, an exponent of
    two digits), so the integer made has at most some 150 digits: Python's Decimal takes "1e999990"
    (and "1_000", and other scripts' digits) as a number, and making an integer of that costs tens
    of seconds of CPU. How much is too much is the caller's to say (a grant's ceiling)."""
    written = text.strip()
    if len(written) > MAX_AMOUNT_TEXT or not AMOUNT_TEXT.fullmatch(written):
        raise ValueError("must be a decimal amount of USD, e.g. 5 or 0.25")
    amount = Decimal(written) * MICROS_PER_USD
    if amount != amount.to_integral_value():
        raise ValueError("must be an amount of USD with at most 6 decimal places")
    return int(amount)
