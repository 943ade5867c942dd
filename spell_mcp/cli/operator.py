"""The operator's commands on the local store: users, credits, payouts, namespaces, secrets,
retention, the vulnerability database, re-scans and the ledger's verification.

Each opens the store it is pointed at (`--home`, SPELL_HOME, or SPELL_DATABASE_URL) and refuses
a store that does not exist unless `--init` asks for a new one.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer

from spell_mcp.cli.common import (
    FAILED,
    USAGE,
    HomeOption,
    InitOption,
    JsonOption,
    emit,
    existing_store,
    fail,
    load_settings,
    local_platform,
)
from spell_mcp.settings import Settings

users = typer.Typer(help="Users of the local platform.", no_args_is_help=True)
ledger = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
vulns = typer.Typer(
    help="The vulnerability (OSV) data publish and the re-scan check against.", no_args_is_help=True
)
credits_app = typer.Typer(help="Credits an operator gives or takes back.", no_args_is_help=True)
payouts_app = typer.Typer(help="Paying makers their earnings.", no_args_is_help=True)
secrets = typer.Typer(
    help="Makers' secrets, given to casts as granted environment variables.", no_args_is_help=True
)
retention_app = typer.Typer(help="Retention of records (docs/privacy.md).", no_args_is_help=True)
namespaces_app = typer.Typer(
    help="Namespaces of spell keys (com.acme): each is its first publisher's.", no_args_is_help=True
)
catalog_app = typer.Typer()


def store(home: Path | None, init: bool = False) -> Settings:
    return existing_store(load_settings(home=home), init)


@users.command("create")
def users_create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The user's name (unique among users).")],
    credits_usd: Annotated[
        str, typer.Option("--credits", metavar="USD", help="Credits to grant, in USD (e.g. 5 or 0.25).")
    ] = "0",
    operator: Annotated[
        bool,
        typer.Option("--operator", help="An operator: may suspend spells, grant credits, read the audit."),
    ] = False,
    home: HomeOption = None,
    init: InitOption = False,
    as_json: JsonOption = False,
) -> None:
    """Create a user with an API key (shown once) and optional starting credits."""
    settings = load_settings(home=home)
    credits = micros_of(credits_usd, "--credits", settings, negative=False)
    if not name.strip():
        fail("a user needs a name", USAGE)
    existing_store(settings, init)

    from spell_mcp import audit
    from spell_mcp.accounts.users import NewUser
    from spell_mcp.errors import SpellError
    from spell_mcp.payments.grants import create_named_user

    async def main() -> NewUser:
        async with local_platform(settings) as platform:
            return await create_named_user(
                platform.db, audit.CONSOLE, name, credits_micros=credits, is_operator=operator
            )

    try:
        made = anyio.run(main)
    except SpellError as error:
        fail(error.detail, FAILED)
    from billing import usd

    shown = {
        "id": made.user_id,
        "name": name,
        "operator": operator,
        "credits_usd": usd(credits),
        "api_key": made.api_key,
    }
    emit(
        as_json,
        shown,
        f"created user {name} (id {made.user_id}) with {usd(credits)} USD of credits\n"
        f"API key (shown once; it can do everything this user can):\n\n    {made.api_key}\n",
    )


@users.command("list")
def users_list(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Every user: id, name, role, status and credits available."""
    settings = store(home)

    from billing import usd
    from spell_mcp.accounts.users import users_with_credits

    async def main() -> list[dict[str, Any]]:
        async with local_platform(settings) as platform:
            found = await users_with_credits(platform.db)
        return [
            {
                "id": user.id,
                "name": user.name,
                "operator": user.is_operator,
                "status": user.status,
                "available_usd": usd(available),
                "created_at": user.created_at.isoformat(),
            }
            for user, available in found
        ]

    rows = anyio.run(main)

    def table(found: list[dict[str, Any]]) -> str:
        lines = [f"{'ID':<34} {'NAME':<20} {'ROLE':<9} {'STATUS':<10} AVAILABLE"]
        for row in found:
            role = "operator" if row["operator"] else "user"
            name = row["name"][:20]
            lines.append(
                f"{row['id']:<34} {name:<20} {role:<9} {row['status']:<10} {row['available_usd']} USD"
            )
        return "\n".join(lines)

    emit(as_json, rows, table)


def micros_of(text: str, option: str, settings: Settings, *, negative: bool) -> int:
    """An amount of USD given on the command line, in micro-USD, within the grant ceiling."""
    from billing import micros_of_usd

    try:
        amount = micros_of_usd(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{option} {exc}") from None
    if amount < 0 and not negative:
        raise typer.BadParameter(f"{option} must not be negative")
    if abs(amount) > settings.max_grant_micros:
        raise typer.BadParameter(
            f"{option} may be at most {settings.max_grant_usd} USD (SPELL_MAX_GRANT_USD)"
        )
    return amount


@credits_app.command("grant")
def credits_grant(
    user_id: Annotated[str, typer.Argument(metavar="USER_ID", help="The caster's id (`spell users list`).")],
    amount_usd: Annotated[str, typer.Argument(metavar="USD", help="Credits to give; negative takes back.")],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why: the caster sees it in their payments.")
    ],
    home: HomeOption = None,
) -> None:
    """Give a caster credits (or take some back), recorded with its reason."""
    from spell_mcp import audit
    from spell_mcp.errors import SpellError
    from spell_mcp.payments.grants import grant_credits

    settings = load_settings(home=home)
    amount = micros_of(amount_usd, "USD", settings, negative=True)
    if amount == 0 or not reason.strip():
        raise typer.BadParameter("a grant moves a non-zero amount, with a reason")
    existing_store(settings, init=False)

    async def main() -> str:
        async with local_platform(settings) as platform:
            made = await grant_credits(platform, audit.CONSOLE, user_id, amount, reason)
            return made.id

    try:
        typer.echo(anyio.run(main))
    except SpellError as error:
        fail(f"{error.code}: {error.detail}")


@namespaces_app.command("transfer")
def namespaces_transfer(
    name: Annotated[str, typer.Argument(metavar="NAMESPACE", help="The namespace, e.g. com.acme.")],
    user_id: Annotated[str, typer.Argument(metavar="USER_ID", help="Its new owner (`spell users list`).")],
    home: HomeOption = None,
) -> None:
    """Give a namespace to a maker: new keys in it are theirs alone from now on; spells already
    published in it stay with their makers."""
    from spell_mcp import audit
    from spell_mcp.catalog.namespaces import transfer
    from spell_mcp.errors import SpellError

    settings = store(home)

    async def main() -> str | None:
        async with local_platform(settings) as platform:
            return await transfer(platform.db, name, user_id, audit.CONSOLE)

    try:
        previous = anyio.run(main)
    except SpellError as error:
        fail(f"{error.code}: {error.detail}")
    typer.echo(f"{name}: now {user_id}'s (before: {previous or 'nobody'})")


@payouts_app.command("run")
def payouts_run(home: HomeOption = None) -> None:
    """Pay makers now what is payable (the server does it every SPELL_PAYOUT_INTERVAL_S)."""
    from spell_mcp.payments.payouts import run_payouts

    settings = store(home)
    if not (settings.stripe_secret_key and settings.stripe_webhook_secret):
        fail("payouts need Stripe: set SPELL_STRIPE_SECRET_KEY and SPELL_STRIPE_WEBHOOK_SECRET", USAGE)

    async def main() -> list[str]:
        async with local_platform(settings) as platform:
            assert platform.stripe is not None
            return await run_payouts(platform.db, platform.stripe, platform.settings)

    for line in anyio.run(main) or ["nothing to pay"]:
        typer.echo(line)


@secrets.command("set")
def secrets_set(
    spell_key: Annotated[str, typer.Argument(metavar="SPELL_KEY", help="The spell, e.g. com.acme.resize.")],
    name: Annotated[str, typer.Argument(metavar="NAME", help="The environment variable the spell reads.")],
    home: HomeOption = None,
) -> None:
    """Set a spell's secret NAME from standard input (sealed at rest; never shown again). The
    maker can do the same with `PUT /v1/spells/{key}/secrets/{name}`."""
    from runtime.policy import PolicyError, check_env_name
    from spell_mcp import audit
    from spell_mcp.catalog.secrets import put_for_maker
    from spell_mcp.errors import SpellError

    try:
        check_env_name(name)
    except PolicyError as exc:
        raise typer.BadParameter(str(exc)) from None
    settings = store(home)
    value = sys.stdin.read().rstrip("\n")

    async def main() -> None:
        async with local_platform(settings) as platform:
            await put_for_maker(platform, spell_key, name, value, audit.CONSOLE)

    try:
        anyio.run(main)
    except SpellError as error:
        fail(f"{error.code}: {error.detail}")
    typer.echo(f"secret {name} of {spell_key} is set")


@secrets.command("rotate")
def secrets_rotate(home: HomeOption = None) -> None:
    """Re-seal every secret with the first key of SPELL_SECRETS_KEY. Rotation: put the new key
    first (`new,old`) on every server, run this, then drop the old key."""
    from cryptography.fernet import InvalidToken

    from spell_mcp import audit
    from spell_mcp.catalog.secrets import reseal_all

    settings = store(home)

    async def main() -> int:
        async with local_platform(settings) as platform:
            return await reseal_all(platform, audit.CONSOLE)

    try:
        count = anyio.run(main)
    except InvalidToken:
        fail(
            "a secret is sealed with a key SPELL_SECRETS_KEY no longer lists: add it back (after the new one)"
        )
    typer.echo(f"re-sealed {count} secrets with the first secrets key")


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would go; remove nothing.")] = False,
    home: HomeOption = None,
) -> None:
    """Remove what is past its retention period now (the server does it daily)."""
    from spell_mcp.operations.retention_job import run_now
    from spell_mcp.privacy import retention

    settings = store(home)

    async def main() -> retention.Removed:
        async with local_platform(settings) as platform:
            return await run_now(platform.db, platform.blobs, dry_run=dry_run)

    removed = anyio.run(main)
    verb = "would remove" if dry_run else "removed"
    for kind, count in removed.as_dict().items():
        typer.echo(f"{verb} {count:>8} {kind.replace('_', ' ')}")


@vulns.command("import")
def vulns_import(
    path: Annotated[
        Path, typer.Argument(metavar="DIR", help="OSV directory: <Ecosystem>/all.zip or *.json records.")
    ],
    home: HomeOption = None,
) -> None:
    """Index an offline OSV database for publish-time scans and re-scans."""
    from spell_mcp.catalog.scans import import_vulnerabilities

    settings = store(home)

    async def main() -> int:
        async with local_platform(settings) as platform:
            return await import_vulnerabilities(platform, path)

    try:
        count = anyio.run(main)
    except FileNotFoundError as exc:
        fail(str(exc), USAGE)
    typer.echo(f"indexed {count} OSV records from {path}")


@vulns.command("sync")
def vulns_sync(home: HomeOption = None) -> None:
    """Download OSV's published exports (SPELL_OSV_BASE_URL, SPELL_OSV_ECOSYSTEMS) and swap each
    ecosystem's index, when changed. The server does it daily when SPELL_OSV_SYNC is on."""
    from spell_mcp.catalog.vuln_sync import sync

    settings = store(home)

    async def main() -> Any:
        async with local_platform(settings) as platform:
            return await sync(settings, platform.db)

    outcomes = anyio.run(main)
    for outcome in outcomes:
        line = f"{outcome.ecosystem:<16} {outcome.outcome:<9} {outcome.records:>8} records  {outcome.detail}"
        typer.echo(line.rstrip())
    if any(o.outcome == "failed" for o in outcomes):
        raise typer.Exit(1)


@catalog_app.command("keygen")
def keygen(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Where to write the key files.")],
) -> None:
    """Write a new receipt key and secrets key as files (mode 0600) named for SPELL_SECRETS_DIR:
    `spell_receipt_key` and `spell_secrets_key`. Every server of one platform mounts the same."""
    import os

    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    receipt = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, data in (("spell_receipt_key", receipt), ("spell_secrets_key", Fernet.generate_key())):
        path = directory / name
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            fail(
                f"{path} exists: a platform's keys are never replaced by accident "
                "(to rotate them, see docs/settings.md)"
            )
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        typer.echo(f"wrote {path}")


@catalog_app.command("rescan")
def rescan_command(home: HomeOption = None) -> None:
    """Re-scan every published version now (the server does it daily)."""
    from spell_mcp.catalog.scans import rescan

    settings = store(home)

    async def main() -> Any:
        async with local_platform(settings) as platform:
            return await rescan(platform)

    report = anyio.run(main)
    typer.echo(
        f"scanned {report.scanned} versions; "
        f"newly vulnerable: {', '.join(report.newly_vulnerable) or 'none'}; "
        f"delisted: {', '.join(report.delisted) or 'none'}"
    )


@ledger.command("verify")
def ledger_verify(home: HomeOption = None) -> None:
    """Recompute the hash chain and every balance; report the first broken entry. Exit 1 if any."""
    from spell_mcp.operations.ledger_watch import verify

    settings = store(home)

    async def main() -> Any:
        async with local_platform(settings) as platform:
            return await verify(platform.db)

    report = anyio.run(main)
    for problem in report.problems:
        typer.echo(f"BROKEN {problem}")
    if not report.ok:
        raise typer.Exit(FAILED)
    extra = f" ({report.unchained} written before the chain existed)" if report.unchained else ""
    typer.echo(f"OK {report.entries} entries{extra}: the chain is intact and every balance adds up")
