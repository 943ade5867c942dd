"""Budgets: daily and monthly caps (UTC windows) and a per-cast maximum, for a caster and for
each of its API keys, and what each window has spent and holds.

A cast's hold counts against every applicable window in the same transaction as its credit
hold, by one conditional upsert per window (`spent + held + price <= cap`), so racing casts can
never overspend a window either; settling moves the amount from held to spent, voiding releases
it (billing/cast_money.py). Crossing 50 %, 80 % and 100 % of a cap records an alert, once per
window.

Windows are tracked only while a cap exists (most casters have none, and their casts touch no
window), so a cap set in the middle of a window first counts what was spent in it before
(`count_earlier_spending`): a cap counts everything spent in its window, whenever it was set.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from billing.errors import BillingError
from billing.models import Account, Budget, BudgetAlert, BudgetWindow, table_of

ALERT_THRESHOLDS = (50, 80, 100)
_accounts = table_of(Account)
_windows = table_of(BudgetWindow)
_alerts = table_of(BudgetAlert)
_WINDOW = select(_windows.c.spent, _windows.c.held).where(
    _windows.c.subject == bindparam("b_subject"),
    _windows.c.period == bindparam("b_period"),
    _windows.c.starts == bindparam("b_starts"),
)


class BudgetExceeded(BillingError):
    code = "budget_exceeded"

    def __init__(self, limit: str, cap: int, spent: int, held: int, resets_at: datetime | None) -> None:
        super().__init__(f"{limit} of {cap} micro-USD would be exceeded")
        self.limit = limit
        self.cap = cap
        self.spent = spent
        self.held = held
        self.resets_at = resets_at

    @classmethod
    def of_window(cls, window: WindowHold, spent: int, held: int) -> BudgetExceeded:
        """The refusal of a hold that would take `window` (spent, held) beyond its cap."""
        label = cap_label(window.subject, window.period)
        return cls(label, window.cap, spent, held, window_end(window.period, window.starts))


def window_start(period: str, moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    if period == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def window_end(period: str, start: datetime) -> datetime:
    if period == "day":
        return start + timedelta(days=1)
    return (start + timedelta(days=32)).replace(day=1)


@dataclass(frozen=True, slots=True)
class WindowHold:
    """One window a hold counts against: recorded on the hold so settle and void find it."""

    subject: str
    period: str
    starts: datetime
    cap: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "period": self.period,
            "starts": self.starts.isoformat(),
            "cap": self.cap,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WindowHold:
        return cls(data["subject"], data["period"], datetime.fromisoformat(data["starts"]), int(data["cap"]))


@dataclass(frozen=True, slots=True)
class CrossedAlert:
    """A settlement took a window's spending to `threshold` % of its cap or beyond."""

    window: WindowHold
    threshold: int
    spent: int

    def as_event(self) -> dict[str, Any]:
        """The alert as callers see it (a webhook's payload data); money in micro-USD."""
        return {
            "subject": self.window.subject,
            "period": self.window.period,
            "window_start": self.window.starts.isoformat(),
            "resets_at": window_end(self.window.period, self.window.starts).isoformat(),
            "threshold": self.threshold,
            "cap_micros": self.window.cap,
            "spent_micros": self.spent,
        }


class Budgets:
    """Budget operations on an open session. Nothing here commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, subject: str) -> Budget | None:
        return self.session.get(Budget, subject)

    def set(self, subject: str, **caps: int | None) -> Budget:
        budget = self.session.get(Budget, subject) or Budget(subject=subject)
        for name, value in caps.items():
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative")
            setattr(budget, name, value)
        self.session.add(budget)
        self.session.flush()
        return budget

    def count_earlier_spending(
        self, subject: str, account: str, now: datetime, spent_since: Callable[[datetime], int]
    ) -> None:
        """Make each of the subject's capped windows count all that was spent in it, whenever its
        cap was set: `spent_since(start)` is what the subject's casts since `start` were charged
        or hold now, as the caller's records say. What a window tracks already is not counted
        twice; a hold it does not track is counted as spent (should it be voided, it stays
        counted: a cap errs on refusing, never on overspending).

        The credits `account` the subject's holds draw on is locked first, so that a hold being
        placed at this moment is either seen here or sees the cap (billing/cast_money.py)."""
        self.session.execute(select(_accounts.c.id).where(_accounts.c.id == account).with_for_update())
        budget = self.get(subject)
        if budget is None:
            return
        for period, cap in (("day", budget.daily_cap_micros), ("month", budget.monthly_cap_micros)):
            if cap is None:
                continue
            starts = window_start(period, now)
            window = self.session.get(BudgetWindow, (subject, period, starts))
            if window is None:
                window = BudgetWindow(subject=subject, period=period, starts=starts, spent=0, held=0)
                self.session.add(window)
            window.spent += max(spent_since(starts) - window.spent - window.held, 0)
        self.session.flush()

    def usage(self, window: WindowHold) -> tuple[int, int]:
        """(spent, held) in a window; (0, 0) before its first hold."""
        row = self.session.execute(
            _WINDOW, {"b_subject": window.subject, "b_period": window.period, "b_starts": window.starts}
        ).one_or_none()
        return (int(row.spent), int(row.held)) if row else (0, 0)

    def windows(self, subject: str, now: datetime) -> list[dict[str, Any]]:
        """The subject's current capped windows: cap, spent, held and when each resets (windows
        without a cap are not tracked)."""
        budget = self.session.get(Budget, subject)
        found: list[dict[str, Any]] = []
        if budget is None:
            return found
        for period, cap in (("day", budget.daily_cap_micros), ("month", budget.monthly_cap_micros)):
            if cap is None:
                continue
            starts = window_start(period, now)
            spent, held = self.usage(WindowHold(subject, period, starts, cap))
            found.append(
                {
                    "period": period,
                    "cap_micros": cap,
                    "spent_micros": spent,
                    "held_micros": held,
                    "resets_at": window_end(period, starts),
                }
            )
        return found

    def alerts(self, subject: str) -> list[BudgetAlert]:
        query = select(BudgetAlert).where(_alerts.c.subject == subject).order_by(_alerts.c.created_at.desc())
        return list(self.session.execute(query).scalars())


# A subject's caps: (subject, daily, monthly, per-cast maximum).
Caps = tuple[str, int | None, int | None, int | None]


def windows_of(caps: Sequence[Caps], amount: int, now: datetime) -> list[WindowHold]:
    """The capped windows a hold of `amount` counts against now, in the order of `caps`;
    raises `BudgetExceeded` when it is above a per-cast maximum."""
    found = []
    for subject, daily, monthly, per_cast in caps:
        if per_cast is not None and amount > per_cast:
            raise BudgetExceeded(f"{subject_label(subject)} per-cast maximum", int(per_cast), 0, 0, None)
        for period, cap in (("day", daily), ("month", monthly)):
            if cap is not None:
                found.append(WindowHold(subject, period, window_start(period, now), int(cap)))
    return found


def thresholds_crossed(window: WindowHold, amount: int, spent: int) -> list[int]:
    """The alert thresholds (% of the cap) that spending `amount`, to reach `spent`, crossed."""
    before, after = (spent - amount) * 100, spent * 100
    return [threshold for threshold in ALERT_THRESHOLDS if before < threshold * window.cap <= after]


def cap_label(subject: str, period: str) -> str:
    return f"{subject_label(subject)} {'daily' if period == 'day' else 'monthly'} cap"


def subject_label(subject: str) -> str:
    kind, _, ident = subject.partition(":")
    return "your" if kind == "user" else f"key {ident}'s"
