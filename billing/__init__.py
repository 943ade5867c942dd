"""Money: integer micro-USD, a double-entry ledger, and two-phase holds for casts.

Public surface: `cast_money`, where every statement that moves money is written once (a cast's
`reserve` → `settle_many` | `void`, expiry of holds, and every other `transfer`) as coroutines
over a transaction (`cast_money.Tx`: the database driver's, or a session's through
`billing.tx.SessionTx`); `Ledger` (accounts, balances, grants and transfers on an ORM session);
`Budgets` (caps and what each window spent); `audit`; `split_price`, `usd`; and the errors
`InsufficientCredits`, `AccountInDebt`, `BudgetExceeded` and `HoldNotPending`. Nothing here
commits: the caller decides what one transaction contains. This package imports nothing else of
the platform.

The names are loaded on first use, from the stub beside this file (`__init__.pyi`, which type
checkers read): a process that needs one part of the package does not import the rest.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
