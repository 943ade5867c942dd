"""manifest.toml: every field checked, every error names its field."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry import Manifest, ManifestError, tool_name
from registry.manifest import key_is_valid

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = """
[spell]
key = "com.acme.resize"
name = "Resize"
version = "1.2.3"
description = "Resizes."
author = "Acme"
license = "MIT"

[pricing]
price_usd = {price}
"""


def manifest(price: str = '"0.001"', extra: str = "") -> Manifest:
    return Manifest.from_toml(MINIMAL.format(price=price) + extra)


def problems(text: str) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        Manifest.from_toml(text)
    return caught.value.problems


@pytest.mark.parametrize("name", ["echo", "textstats"])
def test_the_bundled_examples_are_valid(name: str) -> None:
    parsed = Manifest.from_toml((ROOT / "examples" / "spells" / name / "manifest.toml").read_text())
    assert parsed.spell.key == f"dev.spell.{name}"


def test_defaults_fill_the_optional_sections() -> None:
    parsed = manifest()
    assert parsed.runtime.entry == "spell.wasm"
    assert parsed.runtime.policy.net_allow == []
    assert parsed.io.schema_file == "schema.json"


@pytest.mark.parametrize(
    ("price", "micros"),
    [('"0.001"', 1_000), ('"0"', 0), ('"12.345678"', 12_345_678), ("0.25", 250_000), ("3", 3_000_000)],
)
def test_prices_are_read_exactly_in_micro_usd(price: str, micros: int) -> None:
    assert manifest(price).pricing.price_micros == micros


@pytest.mark.parametrize(
    ("price", "complaint"),
    [
        ('"0.0000001"', "whole number of micro-USD"),
        ('"-1"', "non-negative"),
        ('"NaN"', "finite"),
        ('"lots"', "not a decimal"),
        ('"1e30"', "at most 1000000 USD"),
        ('"9223372036855"', "at most 1000000 USD"),
        ('"1000000.000001"', "at most 1000000 USD"),
    ],
)
def test_impossible_prices_are_refused(price: str, complaint: str) -> None:
    found = problems(MINIMAL.format(price=price))
    assert any(p.startswith("pricing.price_usd:") and complaint in p for p in found), found


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        ("key", '"Resize"', "reverse-DNS"),
        ("key", '"com.acme_co.resize"', "reverse-DNS"),
        ("key", '"com"', "reverse-DNS"),
        ("version", '"1.2"', "SemVer"),
        ("version", '"01.2.3"', "SemVer"),
    ],
)
def test_bad_identity_fields_are_named(field: str, value: str, complaint: str) -> None:
    text = MINIMAL.format(price='"1"').replace(f"{field} = ", f"{field} = {value}\n_old_{field} = ", 1)
    found = problems(text)
    assert any(p.startswith(f"spell.{field}:") and complaint in p for p in found), found


def test_unknown_fields_are_refused_so_typos_do_not_pass_silently() -> None:
    found = problems(MINIMAL.format(price='"1"') + "\n[runtime]\ntimeout = 5\n")
    assert any(p.startswith("runtime.timeout:") for p in found), found


def test_limits_must_be_positive_and_bounded() -> None:
    found = problems(MINIMAL.format(price='"1"') + "\n[runtime]\ntimeout_ms = 0\nmax_memory_mb = 999999\n")
    assert {p.split(":")[0] for p in found} >= {"runtime.timeout_ms", "runtime.max_memory_mb"}


def test_invalid_toml_is_reported_as_such() -> None:
    assert problems("[spell\nkey=")[0].startswith("manifest.toml is not valid TOML")


def test_tool_names_follow_mcp_rules_and_cannot_collide() -> None:
    assert tool_name("com.acme.resize") == "com_acme_resize"
    # Keys cannot contain "_", so two keys never map to one tool name.
    assert not key_is_valid("com.acme_resize")
    assert key_is_valid("com.acme-co.resize")


@pytest.mark.parametrize(
    ("policy", "field", "complaint"),
    [
        ('fs_read = ["../etc"]', "runtime.policy.fs_read", "top-level directory"),
        ('fs_read = ["./resources", "resources"]', "runtime.policy.fs_read", "twice"),
        ('fs_write = ["/tmp"]', "runtime.policy.fs_write", "/scratch"),
        ('net_allow = ["10.0.0.1"]', "runtime.policy.net_allow", "domain"),
        ('net_allow = ["*.example.com"]', "runtime.policy.net_allow", "domain"),
        ('env_vars = ["path"]', "runtime.policy.env_vars", "environment variable"),
    ],
)
def test_policy_grants_are_checked(policy: str, field: str, complaint: str) -> None:
    found = problems(MINIMAL.format(price='"1"') + f"\n[runtime.policy]\n{policy}\n")
    assert any(p.startswith(f"{field}") and complaint in p for p in found), found


def test_policy_domains_are_normalised() -> None:
    parsed = manifest(extra='\n[runtime.policy]\nnet_allow = ["API.Example.com", "api.example.com"]\n')
    assert parsed.runtime.policy.net_allow == ["api.example.com"]
    assert manifest(extra='\n[runtime.policy]\nfs_read = ["./resources"]\n').runtime.policy.read_dirs == {
        "resources": "/resources"
    }


@pytest.mark.parametrize("key", ["spells.search", "budget.status"])
def test_keys_that_would_shadow_the_platforms_own_tools_are_reserved(key: str) -> None:
    text = MINIMAL.format(price='"1"').replace('key = "com.acme.resize"', f'key = "{key}"')
    assert any(p.startswith("spell.key:") and "reserved" in p for p in problems(text))


SEED = ROOT / "tests" / "fixtures" / "seed" / "manifest.toml"


def test_the_specifications_own_manifest_is_accepted_as_written() -> None:
    parsed = Manifest.from_toml(SEED.read_text())
    assert parsed.pricing.model == "flat"
    assert parsed.pricing.price_micros == 1_000
    assert parsed.io.schema_file == "schema.json"
    assert parsed.runtime.max_output_mb == 50
    assert parsed.supply_chain.sbom_format == "spdx-2.3"
    assert parsed.supply_chain.slsa_level == 3
    assert parsed.metadata.changelog is not None and "Lanczos" in parsed.metadata.changelog
    assert parsed.homepage == "https://github.com/janedev/image-resize-spell"
    assert parsed.icon == "icon.png"


def test_per_call_and_flat_name_the_one_pricing_model() -> None:
    assert manifest(extra='model = "per_call"').pricing.model == "flat"
    assert manifest(extra='model = "flat"').pricing.model == "flat"
    assert problems(MINIMAL.format(price='"1"') + 'model = "per_token"\n')[0].startswith("pricing.model")


def test_the_input_schema_is_named_by_either_key_but_only_once() -> None:
    assert manifest(extra='[io]\ninput_schema = "in.json"\n').io.schema_file == "in.json"
    assert manifest(extra='[io]\nschema = "in.json"\n').io.schema_file == "in.json"
    both = problems(MINIMAL.format(price='"1"') + '[io]\ninput_schema = "a.json"\nschema = "b.json"\n')
    assert any("once" in problem for problem in both)


def test_homepage_and_icon_are_read_from_spell_or_metadata_but_not_both() -> None:
    assert (
        manifest(extra='[metadata]\nhomepage = "https://acme.example"\n').homepage == "https://acme.example"
    )
    text = MINIMAL.format(price='"1"').replace('license = "MIT"', 'license = "MIT"\nicon = "a.png"')
    assert any("once" in p for p in problems(text + '[metadata]\nicon = "b.png"\n'))


@pytest.mark.parametrize(
    ("declared", "actual", "matches"),
    [
        ("spdx-2.3", "spdx-2.3", True),
        ("spdx-2.3-json", "spdx-2.3", True),
        ("spdx", "spdx-2.2", True),
        ("spdx-2.2", "spdx-2.3", False),
        ("cyclonedx-1.6", "cyclonedx-1.6", True),
        ("cyclonedx", "spdx-2.3", False),
    ],
)
def test_a_declared_sbom_format_is_compared_with_the_sboms_own(
    declared: str, actual: str, matches: bool
) -> None:
    parsed = manifest(extra=f'[supply_chain]\nsbom_format = "{declared}"\n')
    assert parsed.supply_chain.declared_format_matches(actual) is matches


def test_an_unknown_sbom_format_is_refused_naming_the_field() -> None:
    found = problems(MINIMAL.format(price='"1"') + '[supply_chain]\nsbom_format = "swid"\n')
    assert found[0].startswith("supply_chain.sbom_format")


@pytest.mark.parametrize(
    "price",
    ['"\u0663"', '"1_000"', '"\uff15"', '" 5"', '"+1"'],
    ids=["arabic-indic", "_", "fullwidth", "space", "+"],
)
def test_a_price_is_written_in_ascii_digits_only(price: str) -> None:
    """Python's Decimal reads "٣" (Arabic-Indic three) as 3 and "1_000" as 1000: a caster reading
    the manifest would not see the price it charges."""
    (found,) = problems(MINIMAL.format(price=price))
    assert (
        found.startswith("pricing.price_usd: ") and 'write the price with the digits 0-9 and one "."' in found
    )


@pytest.mark.parametrize(("price", "micros"), [('"1e-3"', 1_000), ('".5"', 500_000), ('"2."', 2_000_000)])
def test_a_price_in_ascii_digits_may_have_an_exponent_or_a_bare_point(price: str, micros: int) -> None:
    assert manifest(price).pricing.price_micros == micros


BIDI = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200f",
    "\u061c",
]


@pytest.mark.parametrize("field", ["name", "description", "author"])
@pytest.mark.parametrize("control", BIDI, ids=[f"U+{ord(c):04X}" for c in BIDI])
def test_a_bidirectional_control_in_shown_text_is_refused(field: str, control: str) -> None:
    current = {"name": "Resize", "description": "Resizes.", "author": "Acme"}[field]
    text = MINIMAL.format(price='"1"').replace(f'{field} = "{current}"', f'{field} = "Re{control}size"')
    (found,) = problems(text)
    assert (
        found.startswith(f"spell.{field}: contains U+{ord(control):04X} (")
        and "bidirectional control" in found
    )


@pytest.mark.parametrize("field", ["name", "description", "author"])
@pytest.mark.parametrize(
    "markup",
    ["<b>bold</b>", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<!-- x -->", "</p>"],
)
def test_html_in_shown_text_is_refused(field: str, markup: str) -> None:
    current = {"name": "Resize", "description": "Resizes.", "author": "Acme"}[field]
    text = MINIMAL.format(price='"1"').replace(f'{field} = "{current}"', f'{field} = "Re {markup}"')
    (found,) = problems(text)
    assert found.startswith(f"spell.{field}: is plain text, never HTML: ")


def test_plain_text_keeps_its_less_than_signs_line_breaks_any_script_and_an_authors_email() -> None:
    said = "Keeps a < b, 3 <= 4 and\n\tindented lines: سلام, 日本."
    text = (
        MINIMAL.format(price='"1"')
        .replace('description = "Resizes."', f'description = """{said}"""')
        .replace('author = "Acme"', 'author = "Jane Developer <jane@example.com>"')
    )
    parsed = Manifest.from_toml(text).spell
    assert (parsed.description, parsed.author) == (said, "Jane Developer <jane@example.com>")


@pytest.mark.parametrize(("field", "value"), [("name", "Re\\tsize"), ("name", "Re\\nsize"), ("name", "   ")])
def test_a_name_is_one_line_of_visible_text(field: str, value: str) -> None:
    (found,) = problems(MINIMAL.format(price='"1"').replace('name = "Resize"', f'name = "{value}"'))
    assert found.startswith("spell.name: ")
