"""Money: integer micro-USD, a double-entry ledger, and two-phase holds for casts.

Public surface: `cast_money`, where every statement that moves money is written once (a cast's
`reserve` → `settle_many` | `void`, expiry of holds, and every other `transfer`) as coroutines
over a transaction (`cast_money.Tx`: the database driver's, or a session's through
`billing.tx.SessionTx`); `Ledger` (accounts, balances, grants and transfers on an ORM session);
`Budgets` (caps and what each window spent); `audit`; `split_price`, `usd`; and the errors
`InsufficientCredits`, `AccountInDebt`, `BudgetExceeded` and `HoldNotPending`. Nothing here
commits: the caller decides what one transaction contains. This package imports nothing else of
the platform.
"""

from billing.accounts import AccountKind, Split, account_id, split_price
from billing.amounts import MICROS_PER_USD, micros_of_usd, usd
from billing.audit import AuditReport, audit
from billing.budgets import BudgetExceeded, Budgets
from billing.errors import AccountInDebt, BillingError, HoldNotPending, InsufficientCredits
from billing.ledger import Ledger
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
