"""Billing refusals. Each carries the stable error code of the platform's catalog."""


class BillingError(Exception):
    code = "billing_error"


class InsufficientCredits(BillingError):
    code = "insufficient_credits"

    def __init__(self, needed: int, available: int) -> None:
        super().__init__(f"needs {needed} micro-USD; {available} available")
        self.needed = needed
        self.available = available


class AccountInDebt(InsufficientCredits):
    """The caster owes money (a refund or a lost dispute took back credits already spent):
    nothing may be spent until a top-up or a grant repays it."""

    code = "account_in_debt"

    def __init__(self, needed: int, debt: int) -> None:
        super().__init__(needed, 0)
        self.debt = debt


class HoldNotPending(BillingError):
    """A hold was settled or voided twice (or expired): money must never move twice."""

    code = "hold_not_pending"
