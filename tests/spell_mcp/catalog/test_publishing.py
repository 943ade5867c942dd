"""Publishing rules that hold whatever the transport: outside dev mode, only signed packages."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from registry import pack_directory
from registry.models import Spell
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.users import create_user
from spell_mcp.casting.running import limits_of
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform
from tests import wasm_modules as wat
from tests.spellbook import spdx_sbom, write_spell


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


async def test_an_sbom_describing_another_spell_is_refused_and_nothing_is_recorded(
    dev_platform: Platform, tmp_path: Path
) -> None:
    maker = await dev_platform.db.write(lambda session: create_user(session, "maker"))
    directory = write_spell(tmp_path, "com.acme.fresh", wat.writes("{}"))
    (directory / "sbom.spdx.json").write_text(json.dumps(spdx_sbom("com.acme.template", "0.9.0")))
    with pytest.raises(SpellError) as refused:
        await dev_platform.publishing.publish(
            Caster(maker.user_id, None, False), pack_directory(directory), None
        )
    assert (refused.value.code, refused.value.status) == ("sbom_mismatch", 422)
    assert refused.value.detail == (
        "sbom.spdx.json: describes com.acme.template 0.9.0, not com.acme.fresh 1.0.0: its main "
        "component must be named com.acme.fresh at version 1.0.0"
    )
    assert await dev_platform.db.read(lambda session: session.get(Spell, "com.acme.fresh")) is None


@pytest.mark.parametrize(
    ("line", "written", "problem"),
    [
        ('name = "com.acme.shown"', 'name = "Invoice \u202eexe.pdf"', "spell.name: contains U+202E"),
        (
            'description = "A spell made by the test suite."',
            'description = "<img src=x onerror=alert(1)>"',
            "spell.description: is plain text, never HTML",
        ),
        ('price_usd = "0.01"', 'price_usd = "\u0663"', "pricing.price_usd: '\u0663': write the price"),
        ('price_usd = "0.01"', 'price_usd = "1_000"', "pricing.price_usd: '1_000': write the price"),
    ],
    ids=["bidi-name", "html-description", "arabic-indic-price", "underscore-price"],
)
async def test_text_that_shows_otherwise_than_it_reads_and_lax_prices_are_refused_at_publish(
    dev_platform: Platform, tmp_path: Path, line: str, written: str, problem: str
) -> None:
    maker = await dev_platform.db.write(lambda session: create_user(session, "maker"))
    directory = write_spell(tmp_path, "com.acme.shown", wat.writes("{}"))
    manifest = directory / "manifest.toml"
    assert line in manifest.read_text()
    manifest.write_text(manifest.read_text().replace(line, written))
    with pytest.raises(SpellError) as refused:
        await dev_platform.publishing.publish(
            Caster(maker.user_id, None, False), pack_directory(directory), None
        )
    assert (refused.value.code, refused.value.status) == ("manifest_invalid", 422)
    assert refused.value.detail.startswith(problem), refused.value.detail
    assert await dev_platform.db.read(lambda session: session.get(Spell, "com.acme.shown")) is None


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
