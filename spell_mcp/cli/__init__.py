"""The `spell` command (also installed as `spell-cli`).

Its commands, by who uses them:
- running the platform: serve, mcp, migrate, openapi (server.py);
- the operator, on the local store: users, credits, payouts, namespaces, secrets, retention, vulns,
  rescan, ledger (operator.py);
- makers: init, build, sbom, test, pack (maker.py, over the toolchain in spell_mcp/toolchain/);
  sign, verify, publish, signers (publishing.py);
- casters, against any platform: login, spells, cast, balance, budget, usage, keys, receipt
  (caster.py, through the generated SDK in spell_client/).
Exit statuses are stable (common.py): 0 done, 1 refused or failed, 2 usage, 3 unreachable,
4 unauthenticated.
"""

from __future__ import annotations

import typer

from spell_mcp.cli.caster import budget_app, caster_app, casts_app, keys_app, receipt_app, spells_app
from spell_mcp.cli.maker import maker_app, sbom_app
from spell_mcp.cli.operator import (
    catalog_app,
    credits_app,
    ledger,
    namespaces_app,
    payouts_app,
    retention_app,
    secrets,
    users,
    vulns,
)
from spell_mcp.cli.publishing import publishing_app, signers_app
from spell_mcp.cli.server import app as server_app

app = typer.Typer(
    help="Spell: make, publish and cast sandboxed WebAssembly spells over MCP and REST.",
    no_args_is_help=True,
    # Click's own help: values named by what they are (FILE, URL, USD), paragraphs re-flowed.
    rich_markup_mode=None,
)
for group in (server_app, maker_app, publishing_app, caster_app, catalog_app):
    app.registered_commands += group.registered_commands
for sub, name in (
    (sbom_app, "sbom"),
    (signers_app, "signers"),
    (spells_app, "spells"),
    (casts_app, "casts"),
    (budget_app, "budget"),
    (keys_app, "keys"),
    (receipt_app, "receipt"),
    (users, "users"),
    (credits_app, "credits"),
    (payouts_app, "payouts"),
    (namespaces_app, "namespaces"),
    (secrets, "secrets"),
    (retention_app, "retention"),
    (vulns, "vulns"),
    (ledger, "ledger"),
):
    app.add_typer(sub, name=name)
