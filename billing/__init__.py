"""Money: integer micro-USD, a double-entry ledger, and two-phase holds for casts.

Public surface: `Ledger` (accounts, grants, reserve → settle/void), `split_price`, and the
errors `InsufficientCredits` and `HoldNotPending`. Functions take an open database session and
never commit: the caller decides what one transaction contains. This package imports nothing
else of the platform.
"""

from billing.audit import AuditReport, audit
from billing.budgets import BudgetExceeded, Budgets
from billing.errors import BillingError, HoldNotPending, InsufficientCredits
from billing.ledger import AccountKind, Ledger, Split, account_id, split_price
from billing.models import Account, Hold, LedgerEntry

__all__ = [
    "Account",
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
    "split_price",
]
