"""Money in words a caster can act on: amounts as exact decimal dollars, and refusals of a hold
that say which limit, its cap, what is spent and held, and when it resets."""

from __future__ import annotations

from billing import BudgetExceeded, InsufficientCredits
from spell_mcp.errors import SpellError

MICROS_PER_USD = 1_000_000


def usd(micros: int) -> str:
    """Exact decimal dollars for display: 1500 → '0.0015'."""
    whole, frac = divmod(micros, MICROS_PER_USD)
    return f"{whole}.{frac:06d}".rstrip("0").rstrip(".") if frac else str(whole)


MONEY_REFUSALS = ("budget_exceeded", "insufficient_credits")


def money_refusal(exc: BudgetExceeded | InsufficientCredits, price: int) -> SpellError:
    """The caster-facing refusal of a hold: which limit, its cap, what is spent and held, and
    when it resets."""
    if isinstance(exc, InsufficientCredits):
        return SpellError(
            "insufficient_credits",
            f"this cast costs ${usd(exc.needed)}; ${usd(exc.available)} of credits are available",
            price_micros=exc.needed,
            available_micros=exc.available,
        )
    resets = exc.resets_at.isoformat() if exc.resets_at else None
    return SpellError(
        "budget_exceeded",
        f"this cast costs ${usd(price)}; {exc.limit} is ${usd(exc.cap)} and "
        f"${usd(exc.spent + exc.held)} of it is spent or held"
        + (f"; it resets at {resets}" if resets else ""),
        limit=exc.limit,
        cap_micros=exc.cap,
        spent_micros=exc.spent,
        held_micros=exc.held,
        resets_at=resets,
    )
