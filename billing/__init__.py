"""Money: integer micro-USD, a double-entry ledger, and two-phase holds for casts.

Public surface: `Ledger` (accounts, grants, reserve → settle/void), `split_price`, `usd`, and the
errors `InsufficientCredits` and `HoldNotPending`. Functions take an open database session and
never commit: the caller decides what one transaction contains. This package imports nothing
else of the platform.
"""

from billing.amounts import MICROS_PER_USD, micros_of_usd, usd
from billing.audit import AuditReport, audit
from billing.budgets import BudgetExceeded, Budgets
from billing.errors import AccountInDebt, BillingError, HoldNotPending, InsufficientCredits
from billing.ledger import AccountKind, Ledger, Split, account_id, split_price
from billing.models import Account, Hold, LedgerEntry

__all__ = [
    "MICROS_PER_USD",
    "Account",
    "AccountInDebt",
    "AccountKind",
    "AuditReport",
    "BillingError",
    "BudgetExceeded",
    "Budgets",
    "Hold",
    "HoldNotPending",
    "InsufficientCredits",
    "Ledger",
    "LedgerEntry",
    "Split",
    "account_id",
    "audit",
    "micros_of_usd",
    "split_price",
    "usd",
]
