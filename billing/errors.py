"""Billing refusals. Each carries the stable error code of the platform's catalog."""


class BillingError(Exception):
    code = "billing_error"


class InsufficientCredits(BillingError):
    code = "insufficient_credits"

    def __init__(self, needed: int, available: int) -> None:
        super().__init__(f"needs {needed} micro-USD; {available} available")
        self.needed = needed
        self.available = available


class HoldNotPending(BillingError):
    """A hold was settled or voided twice (or expired): money must never move twice."""

    code = "hold_not_pending"
