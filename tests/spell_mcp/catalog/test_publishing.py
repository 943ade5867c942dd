"""Publishing rules that hold whatever the transport: outside dev mode, only signed packages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from registry import pack_directory
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.users import create_user
from spell_mcp.casting.running import limits_of
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform
from tests import wasm_modules as wat
from tests.spellbook import write_spell


async def test_unsigned_packages_are_refused_outside_dev_mode(platform: Platform, tmp_path: Path) -> None:
    assert platform.settings.dev_mode is False
    maker = await platform.db.write(lambda session: create_user(session, "maker"))
    package = pack_directory(write_spell(tmp_path, "com.acme.unsigned", wat.writes("{}")))
    with pytest.raises(SpellError) as refused:
        await platform.publishing.publish(Caster(maker.user_id, None, False), package, None)
    assert refused.value.code == "signature_required"
    assert "sign the package" in refused.value.detail


@pytest.mark.parametrize(
    ("price_usd", "words"),
    [("5.000001", "above this platform's ceiling of 5 USD"), ("1e30", "at most 1000000 USD")],
)
async def test_a_price_above_the_ceiling_is_refused_at_publish(
    dev_platform: Platform, tmp_path: Path, price_usd: str, words: str
) -> None:
    dev_platform.settings.max_price_usd = Decimal(5)
    maker = await dev_platform.db.write(lambda session: create_user(session, "maker"))
    directory = write_spell(tmp_path, "com.acme.dear", wat.writes("{}"), price_usd=price_usd)
    with pytest.raises(SpellError) as refused:
        await dev_platform.publishing.publish(
            Caster(maker.user_id, None, False), pack_directory(directory), None
        )
    assert refused.value.code == "manifest_invalid"
    assert any(words in problem for problem in refused.value.extra["problems"]), refused.value.extra


async def test_a_price_at_the_ceiling_publishes(dev_platform: Platform, tmp_path: Path) -> None:
    dev_platform.settings.max_price_usd = Decimal(5)
    maker = await dev_platform.db.write(lambda session: create_user(session, "maker"))
    directory = write_spell(tmp_path, "com.acme.dear", wat.writes("{}"), price_usd="5")
    published = await dev_platform.publishing.publish(
        Caster(maker.user_id, None, False), pack_directory(directory), None
    )
    assert published.version.price_micros == 5_000_000


async def test_limits_beyond_the_ceilings_publish_with_a_warning_and_run_at_the_ceiling(
    dev_platform: Platform, tmp_path: Path
) -> None:
    dev_platform.settings.max_timeout_ms = 30_000
    maker = await dev_platform.db.write(lambda session: create_user(session, "maker"))
    directory = write_spell(tmp_path, "com.acme.slow", wat.writes("{}"), timeout_ms=90_000)
    published = await dev_platform.publishing.publish(
        Caster(maker.user_id, None, False), pack_directory(directory), None
    )
    assert published.warnings == [
        "runtime.timeout_ms = 90000 is above this platform's ceiling (SPELL_MAX_TIMEOUT_MS): "
        "casts run with timeout_ms = 30000"
    ]
    assert limits_of(published.version, dev_platform.settings).timeout_ms == 30_000


async def test_limits_within_the_ceilings_publish_without_warnings(
    dev_platform: Platform, tmp_path: Path
) -> None:
    maker = await dev_platform.db.write(lambda session: create_user(session, "maker"))
    directory = write_spell(tmp_path, "com.acme.quick", wat.writes("{}"), timeout_ms=1_000)
    published = await dev_platform.publishing.publish(
        Caster(maker.user_id, None, False), pack_directory(directory), None
    )
    assert published.warnings == []


@pytest.mark.parametrize(
    ("key", "reserved"),
    [
        ("dev.spell.echo2", True),
        ("com.acme.tool", True),
        ("com.acme", True),
        ("com.acmeco.tool", False),
        ("dev.spellbook.tool", False),
    ],
)
async def test_reserved_namespaces_are_the_operators_alone(
    dev_platform: Platform, tmp_path: Path, key: str, reserved: bool
) -> None:
    dev_platform.settings.reserved_namespaces = ["com.acme"]
    maker = await dev_platform.db.write(lambda session: create_user(session, "maker"))
    operator = await dev_platform.db.write(lambda session: create_user(session, "op", is_operator=True))
    package = pack_directory(write_spell(tmp_path, key, wat.writes("{}")))
    if reserved:
        with pytest.raises(SpellError) as refused:
            await dev_platform.publishing.publish(Caster(maker.user_id, None, False), package, None)
        assert refused.value.code == "namespace_reserved"
        assert refused.value.status == 403
        published = await dev_platform.publishing.publish(Caster(operator.user_id, None, True), package, None)
    else:
        published = await dev_platform.publishing.publish(Caster(maker.user_id, None, False), package, None)
    assert published.version.spell_key == key


# Past the parser's own limit (a RecursionError), and within it but past what validators recurse
# through: both are refused with the words, before any validator reads them.
DEEP = [100_000, 900]


def nested_arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", DEEP)
async def test_a_bundle_nested_too_deep_is_refused(
    dev_platform: Platform, tmp_path: Path, depth: int
) -> None:
    maker = await dev_platform.db.write(lambda session: create_user(session, "maker"))
    package = pack_directory(write_spell(tmp_path, "com.acme.deep", wat.writes("{}")))
    with pytest.raises(SpellError) as refused:
        await dev_platform.publishing.publish(
            Caster(maker.user_id, None, False), package, nested_arrays(depth).encode()
        )
    assert refused.value.code == "signature_invalid"
    assert "deeper than 64 levels" in refused.value.detail


@pytest.mark.parametrize("depth", DEEP)
@pytest.mark.parametrize("document", ["schema.json", "sbom.spdx.json"])
async def test_a_schema_or_sbom_nested_too_deep_is_refused(
    dev_platform: Platform, tmp_path: Path, depth: int, document: str
) -> None:
    maker = await dev_platform.db.write(lambda session: create_user(session, "maker"))
    directory = write_spell(tmp_path, "com.acme.deep", wat.writes("{}"))
    (directory / document).write_text('{"type": "object", "deep": ' + nested_arrays(depth) + "}")
    with pytest.raises(SpellError) as refused:
        await dev_platform.publishing.publish(
            Caster(maker.user_id, None, False), pack_directory(directory), None
        )
    assert refused.value.code == "package_invalid"
    assert refused.value.extra["problems"] == [
        f"{document}: it nests arrays and objects deeper than 64 levels"
    ]
