"""The ledger's accounts, and how a price is split between maker and platform."""

from __future__ import annotations

import enum
from dataclasses import dataclass

BASIS_POINTS = 10_000


class AccountKind(enum.StrEnum):
    CASTER_CREDITS = "caster_credits"
    MAKER_EARNINGS = "maker_earnings"
    PLATFORM_REVENUE = "platform_revenue"
    # Source of credits an operator grants by hand (the embedded default has no payments).
    OPERATOR_GRANTS = "operator_grants"
    # Money held for the platform by its payment provider (Stripe): negative while it holds it.
    PROVIDER_CLEARING = "provider_clearing"
    # Sales tax collected on top-ups, owed to tax authorities.
    TAX_LIABILITY = "tax_liability"
    # What the payment provider charged the platform for taking payments.
    PAYMENT_FEES = "payment_fees"
    # What a caster owes (never positive): credits taken back after they were spent.
    CASTER_DEBT = "caster_debt"
    # A caster's credits frozen while a payment is disputed.
    CASTER_FROZEN = "caster_frozen"
    # Makers' earnings sent to their payout accounts (positive by what was sent).
    PAYOUT_CLEARING = "payout_clearing"


@dataclass(frozen=True, slots=True)
class Split:
    maker_share: int
    platform_fee: int


def split_price(price: int, maker_share_bps: int) -> Split:
    """Split a price by integer division; the remainder goes to the platform, so the parts
    always add up to the price exactly."""
    if price < 0 or not 0 <= maker_share_bps <= BASIS_POINTS:
        raise ValueError("price must be >= 0 and the share within 0..10000 basis points")
    maker = price * maker_share_bps // BASIS_POINTS
    return Split(maker_share=maker, platform_fee=price - maker)


def account_id(kind: AccountKind, owner_id: str | None = None) -> str:
    return f"{kind.value}:{owner_id}" if owner_id else kind.value
