"""A user's name is theirs alone and says only what it shows: names that speak for the platform
are its operators', a name is taken once in any case or width, and no name holds control or
invisible formatting characters (a bidirectional override shows a name backwards). Data made
before these rules held (two users of one name) never makes creating a user crash."""

from __future__ import annotations

import pytest

from spell_mcp import audit
from spell_mcp.accounts.users import create_user
from spell_mcp.accounts.web_sessions import GitHubAccount, user_for
from spell_mcp.database.tables import User
from spell_mcp.errors import SpellError
from spell_mcp.payments.grants import create_named_user
from spell_mcp.platform import Platform
from spell_mcp.privacy import rights


def fullwidth(text: str) -> str:
    """The same letters in their fullwidth forms (NFKC folds them back)."""
    return "".join(chr(ord(character) + 0xFEE0) for character in text)


async def rename(platform: Platform, user_id: str, name: str) -> None:
    await rights.rectify(platform.db, user_id, {"name": name}, audit.CONSOLE)


async def name_of(platform: Platform, user_id: str) -> str:
    user = await platform.db.read(lambda session: session.get(User, user_id))
    assert user is not None
    return user.name


async def refused_rename(platform: Platform, user_id: str, name: str) -> str:
    before = await name_of(platform, user_id)
    with pytest.raises(SpellError) as refused:
        await rename(platform, user_id, name)
    assert refused.value.code == "request_invalid"
    assert await name_of(platform, user_id) == before
    return refused.value.detail


async def test_a_user_cannot_take_a_name_kept_for_the_operators(platform: Platform) -> None:
    user = await platform.db.write(lambda session: create_user(session, "mallory"))
    for name in ["operator", "Operator", "OPERATOR", fullwidth("operator"), "admin", "System"]:
        assert "kept for the platform's operators" in await refused_rename(platform, user.user_id, name)


async def test_a_user_cannot_take_another_users_name_in_any_case_or_width(platform: Platform) -> None:
    alice = await platform.db.write(lambda session: create_user(session, "alice"))
    mallory = await platform.db.write(lambda session: create_user(session, "mallory"))
    for name in ["alice", "Alice", "ALICE", fullwidth("alice")]:
        words = await refused_rename(platform, mallory.user_id, name)
        assert words == f"a user named 'alice' exists already (id {alice.user_id}): choose another name"


async def test_a_name_with_control_or_invisible_characters_is_refused(platform: Platform) -> None:
    """The same name as another with a bidirectional override, a zero-width space or an
    isolate, or with a control character, a NUL (which PostgreSQL refuses) or a space around it."""
    await platform.db.write(lambda session: create_user(session, "alice"))
    mallory = await platform.db.write(lambda session: create_user(session, "mallory"))
    for name in [
        "alice\u202e",
        "\u202eecila",
        "al\u200bice",
        "\u2066alice\u2069",
        "a\u0000b",
        "a\nb",
        " alice",
    ]:
        await refused_rename(platform, mallory.user_id, name)


async def test_a_user_may_change_the_case_of_their_own_name(platform: Platform) -> None:
    bob = await platform.db.write(lambda session: create_user(session, "bob"))
    await rename(platform, bob.user_id, "Bob")
    assert await name_of(platform, bob.user_id) == "Bob"


async def test_an_operator_may_take_a_name_kept_for_the_operators(platform: Platform) -> None:
    await create_named_user(platform.db, audit.CONSOLE, "admin", is_operator=True)
    with pytest.raises(SpellError) as refused:
        await create_named_user(platform.db, audit.CONSOLE, "root")
    assert "kept for the platform's operators" in refused.value.detail


async def test_creating_a_user_refuses_a_name_two_users_had_before_and_never_crashes(
    platform: Platform,
) -> None:
    """Two users named alike before the rules held: a third of that name is refused in words,
    and other names are still made."""
    for name in ("carol", "Carol"):
        await platform.db.write(lambda session, name=name: create_user(session, name))
    with pytest.raises(SpellError) as refused:
        await create_named_user(platform.db, audit.CONSOLE, "CAROL")
    assert refused.value.code == "request_invalid" and "exists already" in refused.value.detail
    made = await create_named_user(platform.db, audit.CONSOLE, "dave")
    assert await name_of(platform, made.user_id) == "dave"


async def test_a_github_sign_up_is_named_by_a_name_that_may_be_theirs(platform: Platform) -> None:
    """As on GitHub; else by the login; else by the login and the account's id."""
    await platform.db.write(lambda session: create_user(session, "alice"))
    for github_id, (github_name, login, named) in enumerate(  # ids from 0
        [
            ("Erin", "erin", "Erin"),
            ("Operator", "frank", "frank"),
            ("Alice", "grace", "grace"),
            ("Heidi\u202e", "heidi", "heidi"),
            (None, "admin", "admin-4"),
            ("alice", "Alice", "Alice-5"),
        ]
    ):
        account = GitHubAccount(id=github_id, login=login, name=github_name)
        user_id = await platform.db.write(lambda session, account=account: user_for(session, account))
        assert await name_of(platform, user_id) == named
