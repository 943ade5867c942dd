"""Tools that let an agent reach every spell without reconnecting (many MCP clients ignore
`tools/list_changed`): search the catalog, describe a spell, cast any spell by key, and see the
budget. Their names contain no key-derived part, and spell keys may not start with their
prefixes, so no spell's tool can ever take one of these names."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import mcp_types as types

from billing import usd
from registry import tool_name
from spell_mcp.accounts.keys import Caster
from spell_mcp.casting.running import limits_of
from spell_mcp.catalog import pinning, versions
from spell_mcp.catalog.provenance import provenance
from spell_mcp.errors import SpellError
from spell_mcp.payments import budgets
from spell_mcp.platform import Platform

SEARCH, DESCRIBE, CAST, BUDGET = "spells_search", "spells_describe", "spells_cast", "budget_status"

_KEY = {"type": "string", "description": "A spell key, e.g. dev.spell.textstats."}
CATALOG_TOOLS = [
    types.Tool(
        name=SEARCH,
        title="Search spells",
        description="Find spells by text, tag or category: their keys, what they do and their prices "
        "(USD per successful cast).",
        input_schema={
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "Words in the key, name or description."},
                "tag": {"type": "string"},
                "category": {"type": "string"},
            },
            "additionalProperties": False,
        },
        annotations=types.ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
    ),
    types.Tool(
        name=DESCRIBE,
        title="Describe a spell",
        description="A spell's input schema, price, limits, grants, signer and known vulnerabilities.",
        input_schema={
            "type": "object",
            "properties": {"key": _KEY},
            "required": ["key"],
            "additionalProperties": False,
        },
        annotations=types.ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
    ),
    types.Tool(
        name=CAST,
        title="Cast a spell",
        description="Cast any spell by key with an input matching its schema (see spells_describe). "
        "Charged the spell's price only when the cast succeeds.",
        input_schema={
            "type": "object",
            "properties": {
                "key": _KEY,
                "input": {"type": "object", "description": "The spell's input."},
                "version": {"type": "string", "description": "Pin a version; the latest when omitted."},
                "confirmed": {
                    "type": "boolean",
                    "description": "Set only after the person agreed to a cast that was refused with "
                    "confirmation_required (a client that can ask the person is asked all the same).",
                },
            },
            "required": ["key", "input"],
            "additionalProperties": False,
        },
        annotations=types.ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=True),
    ),
    types.Tool(
        name=BUDGET,
        title="Budget status",
        description="Your credits (available, held by running casts, owed after a refund, frozen by a "
        "dispute), your budget caps, what is spent of each and when it resets.",
        input_schema={"type": "object", "properties": {}, "additionalProperties": False},
        annotations=types.ToolAnnotations(read_only_hint=True, idempotent_hint=False, open_world_hint=False),
    ),
]
CATALOG_TOOL_NAMES = {tool.name for tool in CATALOG_TOOLS}


def string_argument(arguments: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = arguments.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise SpellError("input_invalid", f"{name} must be a non-empty string")
    return value


def filter_argument(arguments: dict[str, Any], name: str) -> str | None:
    """A search filter: absent, null or blank means no filter."""
    value = arguments.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return string_argument(arguments, name)


async def search(platform: Platform, arguments: dict[str, Any]) -> dict[str, Any]:
    """The castable spells matching every filter given; with none, the whole catalog."""
    q, tag, category = (filter_argument(arguments, name) for name in ("query", "tag", "category"))
    spells = await versions.castable_spells(platform.db, q=q, tag=tag, category=category)
    return {
        "spells": [
            {
                "key": spell.spell_key,
                "tool_name": tool_name(spell.spell_key),
                "name": spell.name,
                "description": spell.description,
                "price_usd": usd(spell.price_micros),
                "signed": spell.signed,
            }
            for spell in spells
        ]
    }


async def describe(platform: Platform, caster: Caster, arguments: dict[str, Any]) -> dict[str, Any]:
    key = string_argument(arguments, "key", required=True)
    assert key is not None
    try:
        spell = await versions.castable(platform.db, key)
    except SpellError as error:
        raise SpellError("spell_not_found", f"{error.detail}; search with {SEARCH}") from None
    pin = await pinning.pin_for(platform.db, caster.user_id, spell)
    runtime = spell.manifest["runtime"]
    return {
        "key": spell.spell_key,
        "version": spell.version,
        "name": spell.name,
        "description": spell.description,
        "price_usd": usd(spell.price_micros),
        "input_schema": spell.input_schema,
        "output_schema": spell.output_schema,
        "limits": {k: runtime[k] for k in ("timeout_ms", "max_memory_mb", "max_output_mb")},
        # What a cast runs under: the manifest's limits within this platform's ceilings.
        "enforced_limits": asdict(limits_of(spell, platform.settings)),
        "grants": runtime["policy"],
        "signed": spell.signed,
        "signer": (spell.provenance or {}).get("identity"),
        "vulnerabilities": [
            {"id": f["id"], "severity": f["severity"], "package": f["package"]} for f in spell.vulnerabilities
        ],
        # The same keys as a tool's _meta (docs/mcp-clients.md).
        "provenance": provenance(spell),
        # Set when this version waits for the person's acceptance: casts run `version` meanwhile.
        "pinned": None
        if pin is None
        else {"version": pin.version, "latest": pin.latest, "widened": pin.widened},
    }


async def budget(platform: Platform, caster: Caster) -> dict[str, Any]:
    money, states = await budgets.standing_of(platform.db, caster)
    return {
        "credits": {
            "available_usd": usd(money.available),
            "held_usd": usd(money.held),
            "debt_usd": usd(money.debt),
            "frozen_usd": usd(money.frozen),
        },
        "caps": [
            {
                "subject": state.subject,
                "period": window["period"],
                "cap_usd": usd(window["cap_micros"]),
                "spent_usd": usd(window["spent_micros"]),
                "held_usd": usd(window["held_micros"]),
                "resets_at": window["resets_at"].isoformat(),
            }
            for state in states
            for window in state.windows
        ],
    }
