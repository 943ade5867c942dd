"""A namespace of spell keys is its first publisher's: another maker's new key in it is refused,
the database decides between makers racing for it, and only an operator gives it to another."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from typer.testing import CliRunner

from registry import Namespace, Spell, namespace_of, pack_directory
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.users import NewUser, create_user
from spell_mcp.app import create_app
from spell_mcp.audit import CONSOLE
from spell_mcp.catalog import namespaces
from spell_mcp.catalog.publishing import Published
from spell_mcp.cli import app
from spell_mcp.database.tables import AuditEvent
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform
from spell_mcp.settings import Settings
from tests import wasm_modules as wat
from tests.spellbook import write_spell


async def new_maker(platform: Platform, name: str, *, operator: bool = False) -> Caster:
    user = await platform.db.write(lambda session: create_user(session, name, is_operator=operator))
    return Caster(user.user_id, None, operator)


async def publish(
    platform: Platform, maker: Caster, folder: Path, key: str, version: str = "1.0.0"
) -> Published:
    directory = write_spell(folder / maker.user_id / version, key, wat.writes("{}"), version=version)
    return await platform.publishing.publish(maker, pack_directory(directory), None)


async def refused(
    platform: Platform, maker: Caster, folder: Path, key: str, version: str = "1.0.0"
) -> SpellError:
    with pytest.raises(SpellError) as caught:
        await publish(platform, maker, folder, key, version)
    return caught.value


async def owner(platform: Platform, name: str) -> str | None:
    found = await platform.db.read(lambda session: session.get(Namespace, name))
    return found.maker_id if found else None


@pytest.mark.parametrize(
    ("key", "namespace"),
    [
        ("com.acme.resize", "com.acme"),
        ("com.acme.image.resize", "com.acme"),
        ("com.acme", "com.acme"),
        ("io.github.alice.tool", "io.github.alice"),
        ("io.github.tool", "io.github.tool"),
        ("uk.co.acme.tool", "uk.co.acme"),
        ("acme.tool", "acme.tool"),
        ("acme.tool.more", "acme.tool"),
    ],
)
def test_a_namespace_is_the_registrable_domain_a_key_names(key: str, namespace: str) -> None:
    assert namespace_of(key) == namespace


async def test_the_first_maker_to_publish_in_a_namespace_owns_it(
    dev_platform: Platform, tmp_path: Path
) -> None:
    alice, bob = await new_maker(dev_platform, "alice"), await new_maker(dev_platform, "bob")
    await publish(dev_platform, alice, tmp_path, "com.acme.resize")
    assert await owner(dev_platform, "com.acme") == alice.user_id
    for key in ("com.acme.evil", "com.acme.image.resize", "com.acme"):
        error = await refused(dev_platform, bob, tmp_path, key)
        assert (error.code, error.status) == ("namespace_owned_by_other", 403)
        assert error.detail.startswith(
            f"spell.key: {key} is in the namespace com.acme, which belongs to another maker"
        )
    assert await dev_platform.db.read(lambda session: session.get(Spell, "com.acme.evil")) is None
    await publish(dev_platform, alice, tmp_path, "com.acme.image.resize")
    await publish(dev_platform, bob, tmp_path, "org.bob.tool")
    await publish(dev_platform, bob, tmp_path, "io.github.bob.tool")
    # A public suffix is nobody's: io.github.bob is not inside another maker's io.github.
    await publish(dev_platform, alice, tmp_path, "io.github.alice.tool")


async def test_makers_racing_for_a_new_namespace_leave_it_one_owner(
    dev_platform: Platform, tmp_path: Path
) -> None:
    makers = [await new_maker(dev_platform, f"maker{i}") for i in range(6)]
    results = await asyncio.gather(
        *(publish(dev_platform, maker, tmp_path, f"com.race.tool{i}") for i, maker in enumerate(makers)),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, Published)]
    lost = [r for r in results if not isinstance(r, Published)]
    assert len(won) == 1, results
    assert all(isinstance(r, SpellError) and r.code == "namespace_owned_by_other" for r in lost), lost
    spells = await dev_platform.db.read(lambda session: list(session.execute(select(Spell)).scalars()))
    assert [(s.key, s.maker_id) for s in spells] == [
        (won[0].version.spell_key, await owner(dev_platform, "com.race"))
    ]


async def test_an_operator_transfers_a_namespace_and_its_spells_stay_with_their_makers(
    dev_platform: Platform, tmp_path: Path
) -> None:
    alice, bob = await new_maker(dev_platform, "alice"), await new_maker(dev_platform, "bob")
    await publish(dev_platform, alice, tmp_path, "com.acme.resize")
    assert await namespaces.transfer(dev_platform.db, "com.acme", bob.user_id, CONSOLE) == alice.user_id
    await publish(dev_platform, bob, tmp_path, "com.acme.new")
    await publish(dev_platform, alice, tmp_path, "com.acme.resize", "1.0.1")
    assert (await refused(dev_platform, alice, tmp_path, "com.acme.other")).code == "namespace_owned_by_other"
    events = await dev_platform.db.read(
        lambda session: list(
            session.execute(select(AuditEvent).where(AuditEvent.action == "namespace.transferred")).scalars()
        )
    )
    assert [(e.target_id, e.subject_id, e.details) for e in events] == [
        ("com.acme", bob.user_id, {"from": alice.user_id, "to": bob.user_id})
    ]
    # One nobody owns yet can be given too.
    assert await namespaces.transfer(dev_platform.db, "org.fresh", alice.user_id, CONSOLE) is None
    assert (await refused(dev_platform, bob, tmp_path, "org.fresh.tool")).code == "namespace_owned_by_other"


@pytest.mark.parametrize(
    ("name", "owner_id", "code", "words"),
    [
        ("com", None, "request_invalid", "com is not a namespace"),
        ("io.github", None, "request_invalid", "io.github is not a namespace"),
        ("com.acme.image", None, "request_invalid", "it is inside the namespace com.acme"),
        ("com.acme", "usr_nobody", "not_found", "there is no user usr_nobody"),
    ],
)
async def test_a_transfer_of_what_is_no_namespace_or_to_nobody_is_refused(
    dev_platform: Platform, name: str, owner_id: str | None, code: str, words: str
) -> None:
    someone = await new_maker(dev_platform, "someone")
    with pytest.raises(SpellError) as caught:
        await namespaces.transfer(dev_platform.db, name, owner_id or someone.user_id, CONSOLE)
    assert caught.value.code == code and words in caught.value.detail
    assert await owner(dev_platform, name) is None


def test_operators_transfer_a_namespace_over_rest_and_from_the_command_line(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", dev_mode=True, examples_dir=tmp_path / "no-examples")
    with TestClient(create_app(settings)) as client:
        platform: Platform = client.app.state.platform  # type: ignore[attr-defined]

        def new_user(name: str) -> NewUser:
            async def create() -> NewUser:
                return await platform.db.write(lambda session: create_user(session, name))

            return client.portal.call(create)  # type: ignore[union-attr]

        def call(key: str, method: str, path: str, **kw: Any) -> Any:
            return client.request(method, path, headers={"Authorization": f"Bearer {key}"}, **kw)

        def publish_over_rest(maker: NewUser, key: str) -> Any:
            package = pack_directory(write_spell(tmp_path / maker.user_id, key, wat.writes("{}")))
            return call(maker.api_key, "POST", "/v1/spells", files={"package": ("spell.tar", package)})

        operator = (tmp_path / "home" / "operator.key").read_text().strip()
        alice, bob = new_user("alice"), new_user("bob")
        assert publish_over_rest(alice, "com.acme.resize").status_code == 201
        taken = publish_over_rest(bob, "com.acme.crop")
        assert (taken.status_code, taken.json()["code"]) == (403, "namespace_owned_by_other")
        to_bob = {"owner_id": bob.user_id}
        assert (
            call(bob.api_key, "PUT", "/v1/admin/namespaces/com.acme", json=to_bob).json()["code"]
            == "forbidden"
        )
        given = call(operator, "PUT", "/v1/admin/namespaces/com.acme", json=to_bob)
        assert (given.status_code, given.json()) == (
            200,
            {"name": "com.acme", "owner_id": bob.user_id, "previous_owner_id": alice.user_id},
        )
        assert publish_over_rest(bob, "com.acme.crop").status_code == 201
        wrong = call(operator, "PUT", "/v1/admin/namespaces/com", json=to_bob)
        assert (wrong.status_code, wrong.json()["code"]) == (400, "request_invalid")
    home = ["--home", str(tmp_path / "home")]
    back = CliRunner().invoke(app, ["namespaces", "transfer", "com.acme", alice.user_id, *home])
    assert back.exit_code == 0, back.output
    assert back.output == f"com.acme: now {alice.user_id}'s (before: {bob.user_id})\n"
    refused = CliRunner().invoke(app, ["namespaces", "transfer", "com.acme.image", alice.user_id, *home])
    assert refused.exit_code == 1 and "request_invalid: com.acme.image is not a namespace" in refused.output
