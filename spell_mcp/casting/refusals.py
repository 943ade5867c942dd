"""A refused hold in words a caster can act on: which limit, its cap, what is spent and held, and
when it resets."""

from __future__ import annotations

from typing import Any

from billing import AccountInDebt, BudgetExceeded, InsufficientCredits, usd
from spell_mcp.errors import SpellError

# Where a caster short of credits buys more (docs/payments.md).
TOP_UP = "POST /v1/billing/checkout"
# The refusals that buying credits would cure.
SHORT_OF_MONEY = ("insufficient_credits", "account_in_debt")


def money_refusal(
    exc: BudgetExceeded | InsufficientCredits, price: int, *, can_buy: bool = False
) -> SpellError:
    """The caster-facing refusal of a hold: which limit, its cap, what is spent and held, and
    when it resets; where credits can be bought (`can_buy`), how."""
    buy: dict[str, Any] = {"top_up": TOP_UP} if can_buy else {}
    if isinstance(exc, AccountInDebt):
        return SpellError(
            "account_in_debt",
            f"your account owes ${usd(exc.debt)} (a refund or a lost dispute took back credits "
            "that were already spent); top up to repay it, and casting resumes",
            price_micros=exc.needed,
            debt_micros=exc.debt,
            **buy,
        )
    if isinstance(exc, InsufficientCredits):
        return SpellError(
            "insufficient_credits",
            f"this cast costs ${usd(exc.needed)}; ${usd(exc.available)} of credits are available",
            price_micros=exc.needed,
            available_micros=exc.available,
            **buy,
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
