"""Creating accounts: a user, its ledger accounts (credits to cast with, earnings as a maker) and
its first API key; finding the operator; and the account a caster stands for, while it exists."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from billing import AccountKind, Ledger, account_id
from spell_mcp import audit
from spell_mcp.accounts.keys import SCOPES, Caster, create_key
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import Consent, User
from spell_mcp.errors import SpellError


@dataclass(frozen=True, slots=True)
class NewUser:
    user_id: str
    api_key: str


# The version of the terms and privacy notice a sign-up accepts (docs/privacy.md).
PRIVACY_NOTICE_VERSION = "2026-11-30"
SIGN_UP_CONSENTS = ("terms", "privacy_notice")


def create_account(
    session: Session, name: str, *, is_operator: bool = False, github_id: int | None = None
) -> str:
    """A user and its ledger accounts (credits to cast with, earnings as a maker); no API key."""
    user_id = f"usr_{secrets.token_hex(8)}"
    session.add(
        User(
            id=user_id,
            name=name[:200],
            is_operator=is_operator,
            github_id=github_id,
            created_at=datetime.now(UTC),
        )
    )
    session.flush()
    how = {"signed_up_with": "github" if github_id is not None else "operator"}
    audit.record(session, audit.SYSTEM, "user.created", "user", user_id, subject_id=user_id, details=how)
    # Signing up is accepting the terms and the privacy notice of the day (docs/privacy.md).
    now = datetime.now(UTC)
    for kind in SIGN_UP_CONSENTS:
        session.add(
            Consent(user_id=user_id, kind=kind, version=PRIVACY_NOTICE_VERSION, given=True, created_at=now)
        )
    ledger = Ledger(session)
    ledger.open_account(AccountKind.CASTER_CREDITS, user_id)
    ledger.open_account(AccountKind.MAKER_EARNINGS, user_id)
    return user_id


def create_user(session: Session, name: str, *, is_operator: bool = False) -> NewUser:
    """A user with credits and earnings accounts and an API key. Credits they start with are a
    grant like any other (spell_mcp/payments/grants.py, `create_user_with_credits`)."""
    user_id = create_account(session, name, is_operator=is_operator)
    # The first key may do everything, including making the narrower keys handed to agents.
    key = create_key(session, user_id, f"{name} (first key)", scopes=SCOPES)
    return NewUser(user_id=user_id, api_key=key)


def find_operator(session: Session) -> Caster | None:
    operator_id = (
        session.execute(select(User.id).where(col(User.is_operator).is_(True)).order_by(col(User.created_at)))
        .scalars()
        .first()
    )
    return Caster(user_id=operator_id, key_id=None, is_operator=True) if operator_id else None


def live_user(session: Session, user_id: str) -> User:
    """The user, unless their account is gone (erased): then the caller is nobody."""
    user = session.get(User, user_id)
    if user is None or user.status == "erased":
        raise SpellError("unauthenticated", "the account no longer exists")
    return user


async def account_of(db: Database, user_id: str) -> User:
    """The user a caster stands for (`live_user`)."""
    return await db.read(lambda session: live_user(session, user_id))


# Names that speak for the platform: only its operators take them ("erased user" is what an
# erased account is shown as).
RESERVED_NAMES = frozenset(
    {"operator", "admin", "administrator", "root", "system", "spell", "support", "erased user"}
)
MAX_NAME = 200


def name_key(name: str) -> str:
    """What two names are told apart by: their NFKC form, case folded, spaces collapsed ("ALICE",
    "Alice" and "alice" in fullwidth letters are one name)."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a user's name, whoever has it, or None."""
    if not name.strip():
        return "a user needs a name"
    if len(name) > MAX_NAME:
        return f"a name has at most {MAX_NAME} characters"
    if name != name.strip():
        return "a name does not start or end with a space"
    # Control characters, and format characters: bidirectional overrides and isolates (U+202E
    # shows a name backwards), zero-width joiners and spaces; private and unassigned ones too.
    if any(unicodedata.category(character).startswith(("C", "Zl", "Zp")) for character in name):
        return "a name may not hold control or invisible formatting characters (such as U+202E)"
    return None


def check_name_free(
    session: Session, name: str, *, operator: bool = False, user_id: str | None = None
) -> None:
    """Refuse a name that is not one (`name_problem`), that speaks for the platform (unless it is
    for an operator), or that another user, erased ones aside, has in any case or width
    (`name_key`). `user_id` is the user the name is for, if they exist already."""
    problem = name_problem(name)
    if problem is not None:
        raise SpellError("request_invalid", problem)
    key = name_key(name)
    if key in RESERVED_NAMES and not operator:
        raise SpellError("request_invalid", f"the name {name!r} is kept for the platform's operators")
    others = select(User.id, User.name).where(col(User.status) != "erased", col(User.id) != (user_id or ""))
    for other_id, other_name in session.execute(others):
        if name_key(other_name) == key:
            raise SpellError(
                "request_invalid",
                f"a user named {other_name!r} exists already (id {other_id}): choose another name",
            )


def first_free_name(session: Session, candidates: list[str]) -> str | None:
    """The first of `candidates` that a new user who is not an operator may take, if any."""
    for candidate in candidates:
        try:
            check_name_free(session, candidate)
        except SpellError:
            continue
        return candidate
    return None


async def users_with_credits(db: Database) -> list[tuple[User, int]]:
    """Every user, oldest first, with the credits they have available (posted, less held)."""

    def read(session: Session) -> list[tuple[User, int]]:
        ledger = Ledger(session)
        rows = []
        for user in session.execute(select(User).order_by(col(User.created_at))).scalars():
            balance, held = ledger.balance(account_id(AccountKind.CASTER_CREDITS, user.id))
            rows.append((user, balance - held))
        return rows

    return await db.read(read)
