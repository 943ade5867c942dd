from .accounts import (
    AccountKind as AccountKind,
    Split as Split,
    account_id as account_id,
    split_price as split_price,
)
from .amounts import MICROS_PER_USD as MICROS_PER_USD, micros_of_usd as micros_of_usd, usd as usd
from .audit import AuditReport as AuditReport, audit as audit
from .budgets import BudgetExceeded as BudgetExceeded, Budgets as Budgets
from .errors import (
    AccountInDebt as AccountInDebt,
    BillingError as BillingError,
    HoldNotPending as HoldNotPending,
    InsufficientCredits as InsufficientCredits,
)
from .ledger import Ledger as Ledger
from .models import Account as Account, Hold as Hold, LedgerEntry as LedgerEntry
