"""The `spell` command."""

from __future__ import annotations

import hashlib
import socket
import sys
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer

from spell_mcp.settings import Settings

app = typer.Typer(help="Spell: cast sandboxed WebAssembly spells over MCP and REST.", no_args_is_help=True)
users = typer.Typer(help="Manage users of the local platform.", no_args_is_help=True)
app.add_typer(users, name="users")
receipt = typer.Typer(help="Cast receipts.", no_args_is_help=True)
app.add_typer(receipt, name="receipt")
ledger = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
app.add_typer(ledger, name="ledger")
vulndb = typer.Typer(help="The offline vulnerability (OSV) database.", no_args_is_help=True)
app.add_typer(vulndb, name="vulndb")
credits_app = typer.Typer(help="Credits an operator gives or takes back.", no_args_is_help=True)
app.add_typer(credits_app, name="credits")
payouts_app = typer.Typer(help="Paying makers their earnings.", no_args_is_help=True)
app.add_typer(payouts_app, name="payouts")
secrets = typer.Typer(
    help="Manage makers' secrets (set as granted environment variables).", no_args_is_help=True
)
app.add_typer(secrets, name="secrets")
retention_app = typer.Typer(help="Retention of records (docs/privacy.md).", no_args_is_help=True)
app.add_typer(retention_app, name="retention")

DevOption = Annotated[
    bool,
    typer.Option("--dev", help="Dev mode: operator account and unsigned example spells (SPELL_DEV_MODE=1)."),
]
HomeOption = Annotated[Path | None, typer.Option("--home", help="Store directory (SPELL_HOME).")]


def load_settings(**overrides: Any) -> Settings:
    settings = Settings()
    changes = {k: v for k, v in overrides.items() if v not in (None, False)}
    return settings.model_copy(update=changes) if changes else settings


def configure_logging(settings: Settings) -> None:
    """Log lines on stderr, as readable text or JSON (SPELL_LOG_FORMAT), each with the id of the
    request it belongs to."""
    from spell_mcp.observability import logs

    logs.configure(settings.log_format)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@app.command()
def serve(
    dev: DevOption = False,
    host: Annotated[str | None, typer.Option(help="Address to bind (SPELL_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (SPELL_PORT).")] = None,
    home: HomeOption = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            envvar="SPELL_WORKERS",
            help="Server processes sharing the port (SPELL_WORKERS).",
        ),
    ] = 1,
) -> None:
    """Serve REST (/v1) and MCP Streamable HTTP (/mcp)."""
    import uvicorn

    from spell_mcp.app import create_app

    settings = load_settings(dev_mode=dev, host=host, port=port, home=home)
    configure_logging(settings)
    if workers > 1 and settings.mcp_sessions:
        raise typer.BadParameter(
            "an MCP session lives in the process that made it: with --workers, serve MCP stateless "
            "(unset SPELL_MCP_SESSIONS)"
        )
    # Bound before anything starts, so that a busy address is said at once and nothing claims
    # to be serving on it.
    listener = listening_socket(settings.host, settings.port)
    if workers == 1:
        config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False)
        uvicorn.Server(config).run(sockets=[listener])
        return
    _serve_workers(settings, listener, workers)


def _serve_workers(settings: Settings, listener: socket.socket, workers: int) -> None:
    """`workers` processes on one listening socket (uvicorn's supervisor restarts any that dies).
    The first start (migrations, dev mode's operator and spells) runs once, here; the workers
    share what they must through the database (and Redis when configured), as separate hosts do."""
    import os
    import shutil

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from spell_mcp.bootstrap import first_start

    anyio.run(first_start, settings, _stdout)
    # The workers' metrics, in files summed at each scrape (prometheus-client's multiprocess
    # mode): a directory of this host's, emptied of a previous run's.
    metrics_dir = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or settings.home.resolve() / "metrics")
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    # Each worker loads its settings from the environment: the same ones as this process.
    os.environ.update(
        {
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "SPELL_HOME": str(settings.home.resolve()),
            "SPELL_HOST": settings.host,
            "SPELL_PORT": str(settings.port),
            "SPELL_DEV_MODE": "1" if settings.dev_mode else "0",
            "SPELL_MCP_SESSIONS": "0",
        }
    )
    config = uvicorn.Config(
        "spell_mcp.app:worker_app", factory=True, workers=workers, log_level="warning", access_log=False
    )
    Multiprocess(config, sockets=[listener]).run()


def _stdout(line: str) -> None:
    print(line, flush=True)


def listening_socket(host: str, port: int) -> socket.socket:
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listener = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        raise typer.BadParameter(f"cannot listen on {host}: {exc.strerror or exc}") from None
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        _stderr(f"cannot listen on {host}:{port}: {exc.strerror or exc} (is another server there? set PORT)")
        raise typer.Exit(1) from None
    return listener


@app.command()
def openapi() -> None:
    """Print the REST API's OpenAPI document (the dashboard's client is generated from it)."""
    import json

    from spell_mcp.app import create_app

    typer.echo(json.dumps(create_app(Settings()).openapi(), indent=2, sort_keys=True))


@app.command()
def mcp(
    dev: DevOption = False,
    home: HomeOption = None,
    url: Annotated[
        str | None,
        typer.Option("--url", envvar="SPELL_URL", help="Relay to this remote platform instead."),
    ] = None,
    api_key: Annotated[
        str, typer.Option("--api-key", envvar="SPELL_API_KEY", help="Your API key on the remote platform.")
    ] = "",
) -> None:
    """Serve MCP over stdio: as the local operator of this store (for Claude Desktop, Claude
    Code, IDEs), or, with --url and --api-key, as you on a remote platform."""
    from mcp.server.stdio import stdio_server

    if url is not None:
        if not api_key:
            raise typer.BadParameter("a remote platform needs --api-key (or SPELL_API_KEY)")
        _relay_mcp(url, api_key)
        return

    from spell_mcp.accounts.users import find_operator
    from spell_mcp.bootstrap import dev_bootstrap
    from spell_mcp.mcp.server import build_mcp_server
    from spell_mcp.mcp.sessions import LASTING, LastingSessions
    from spell_mcp.platform import Platform

    settings = load_settings(dev_mode=dev, home=home)
    configure_logging(settings)

    async def main() -> None:
        platform = await Platform.open(settings)
        try:
            caster = (
                await dev_bootstrap(platform, _stderr)
                if settings.dev_mode
                else await platform.db.read(find_operator)
            )
            if caster is None:
                _stderr(f"No operator account in {settings.home}: start once with --dev, or set SPELL_HOME.")
                raise SystemExit(2)

            async def as_operator(_ctx: Any) -> Any:
                return caster

            lasting = LastingSessions(platform.announcer.bus)
            server = build_mcp_server(lambda: platform, as_operator, platform.announcer.bus, lasting)
            async with stdio_server() as (read, write), anyio.create_task_group() as relay:
                relay.start_soon(platform.announcer.relay_forever)
                relay.start_soon(lasting.forward_forever)
                await server.run(read, write, server.create_initialization_options(LASTING))
                relay.cancel_scope.cancel()
        finally:
            await platform.close()

    anyio.run(main)


def _relay_mcp(url: str, api_key: str) -> None:
    from importlib.metadata import version

    from mcp.server.stdio import stdio_server

    from spell_mcp.mcp.relay import build_proxy, remote_platform

    configure_logging(Settings())
    remote = remote_platform(url, api_key)

    async def main() -> None:
        try:  # the platform and the key, checked once before serving
            async with remote() as client:
                await client.list_tools()
        except Exception as exc:
            _stderr(f"cannot reach the Spell platform at {url}: {exc}")
            raise SystemExit(2) from None
        server = build_proxy(remote, version("spell-mcp"))
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(main)


@app.command()
def migrate(home: HomeOption = None) -> None:
    """Create or upgrade the database schema."""
    from spell_mcp.platform import Platform

    async def main() -> None:
        platform = await Platform.open(load_settings(home=home))
        await platform.close()

    anyio.run(main)
    typer.echo("schema is up to date")


@users.command("create")
def users_create(
    name: str,
    credits_usd: Annotated[
        str, typer.Option("--credits", help="Credits to grant, in USD (e.g. 5 or 0.25).")
    ] = "0",
    home: HomeOption = None,
) -> None:
    """Create a user with an API key (printed once) and optional starting credits."""
    from spell_mcp.accounts.users import create_user
    from spell_mcp.platform import Platform

    settings = load_settings(home=home)
    credits = micros_of(credits_usd, "--credits", settings, negative=False)

    async def main() -> str:
        platform = await Platform.open(settings)
        try:
            user = await platform.db.write(lambda session: create_user(session, name, credits_micros=credits))
            return user.api_key
        finally:
            await platform.close()

    typer.echo(anyio.run(main))


def micros_of(text: str, option: str, settings: Settings, *, negative: bool) -> int:
    """An amount of USD given on the command line, in micro-USD, within the grant ceiling."""
    try:
        amount = Decimal(text) * 1_000_000
    except InvalidOperation:
        raise typer.BadParameter(f"{option} must be a decimal amount of USD") from None
    if not amount.is_finite() or amount != amount.to_integral_value() or (amount < 0 and not negative):
        sign = "" if negative else "non-negative, "
        raise typer.BadParameter(f"{option} must be {sign}with at most 6 decimal places")
    if abs(amount) > settings.max_grant_micros:
        raise typer.BadParameter(
            f"{option} may be at most {settings.max_grant_usd} USD (SPELL_MAX_GRANT_USD)"
        )
    return int(amount)


@credits_app.command("grant")
def credits_grant(
    user_id: str,
    amount_usd: Annotated[str, typer.Argument(metavar="USD", help="Credits to give; negative takes back.")],
    reason: Annotated[str, typer.Option("--reason", help="Why: the caster sees it in their payments.")],
    home: HomeOption = None,
) -> None:
    """Give a caster credits (or take some back), recorded with its reason."""
    from sqlalchemy.orm import Session

    from billing import InsufficientCredits
    from spell_mcp import audit
    from spell_mcp.database.tables import Payment
    from spell_mcp.errors import SpellError
    from spell_mcp.payments.records import grant
    from spell_mcp.platform import Platform

    settings = load_settings(home=home)
    amount = micros_of(amount_usd, "USD", settings, negative=True)
    if amount == 0 or not reason.strip():
        raise typer.BadParameter("a grant moves a non-zero amount, with a reason")
    reference = f"grant:{uuid.uuid4().hex}:{user_id}"

    async def main() -> str:
        platform = await Platform.open(settings)
        try:

            def work(session: Session) -> Payment:
                made = grant(session, user_id, amount, reason[:500], reference)
                details = {"amount_micros": amount, "payment": made.id}
                audit.record(session, audit.CONSOLE, "credits.granted", "user", user_id, details=details)
                return made

            made = await platform.db.write(work)
            await platform.casts.credits_changed(user_id)
            return made.id
        finally:
            await platform.close()

    try:
        typer.echo(anyio.run(main))
    except SpellError as error:
        _stderr(f"{error.code}: {error.detail}")
        raise typer.Exit(1) from None
    except InsufficientCredits as exc:
        _stderr(f"insufficient_credits: the caster has {exc.available} micro-USD available")
        raise typer.Exit(1) from None


@payouts_app.command("run")
def payouts_run(home: HomeOption = None) -> None:
    """Pay makers now what is payable (the server does it every SPELL_PAYOUT_INTERVAL_S)."""
    from spell_mcp.payments.payouts import run_payouts
    from spell_mcp.platform import Platform

    async def main() -> list[str]:
        platform = await Platform.open(load_settings(home=home))
        try:
            if platform.stripe is None:
                raise typer.BadParameter(
                    "payouts need Stripe: set SPELL_STRIPE_SECRET_KEY and SPELL_STRIPE_WEBHOOK_SECRET"
                )
            return await run_payouts(platform.db, platform.stripe, platform.settings)
        finally:
            await platform.close()

    for line in anyio.run(main) or ["nothing to pay"]:
        typer.echo(line)


@secrets.command("set")
def secrets_set(
    spell_key: str,
    name: str,
    home: HomeOption = None,
) -> None:
    """Set a spell's secret NAME from standard input (encrypted at rest; never shown again)."""
    from sqlalchemy.orm import Session

    from registry.models import Spell
    from runtime.policy import PolicyError, check_env_name
    from spell_mcp import audit
    from spell_mcp.accounts.secrets import set_secret
    from spell_mcp.platform import Platform

    try:
        check_env_name(name)
    except PolicyError as exc:
        raise typer.BadParameter(str(exc)) from None
    value = sys.stdin.read().rstrip("\n")

    async def main() -> None:
        platform = await Platform.open(load_settings(home=home))
        try:

            def work(session: Session) -> None:
                set_secret(session, platform.secrets, spell_key, name, value)
                owner = session.get(Spell, spell_key)
                audit.record(
                    session,
                    audit.CONSOLE,
                    "secret.set",
                    "spell",
                    spell_key,
                    subject_id=owner.maker_id if owner is not None else None,
                    details={"name": name},
                )

            await platform.db.write(work)
        finally:
            await platform.close()

    anyio.run(main)
    typer.echo(f"secret {name} of {spell_key} is set")


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would go; remove nothing.")] = False,
    home: HomeOption = None,
) -> None:
    """Remove what is past its retention period now (the server does it daily)."""
    from datetime import UTC, datetime
    from functools import partial

    from spell_mcp.platform import Platform
    from spell_mcp.privacy import retention

    async def main() -> retention.Removed:
        platform = await Platform.open(load_settings(home=home))
        try:
            now = datetime.now(UTC)
            work = partial(retention.run, blobs=platform.blobs, now=now, dry_run=dry_run)
            return await (platform.db.read(work) if dry_run else platform.db.write(work))
        finally:
            await platform.close()

    removed = anyio.run(main)
    verb = "would remove" if dry_run else "removed"
    for kind, count in removed.as_dict().items():
        typer.echo(f"{verb} {count:>8} {kind.replace('_', ' ')}")


@app.command()
def pack(
    directory: Annotated[Path, typer.Argument(help="The spell's directory.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the package.")] = Path(
        "spell.tar"
    ),
) -> None:
    """Write the canonical package of a spell directory (what a maker signs and publishes)."""
    from registry import PackageError, pack_directory

    try:
        data = pack_directory(directory)
    except (PackageError, OSError) as exc:
        typer.echo(f"cannot pack {directory}: {exc}", err=True)
        raise typer.Exit(1) from None
    output.write_bytes(data)
    typer.echo(f"{output} ({len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()})")


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="The signed file.")],
    bundle: Annotated[Path, typer.Option("--bundle", help="Its Sigstore bundle.")],
    cert_identity: Annotated[str, typer.Option("--cert-identity", help="Expected signer (certificate SAN).")],
    cert_oidc_issuer: Annotated[str, typer.Option("--cert-oidc-issuer", help="Expected OIDC issuer.")],
    trust_root: Annotated[
        str, typer.Option("--trust-root", help="production, staging, or a trusted_root.json path.")
    ] = "production",
) -> None:
    """Verify a Sigstore signature offline. Exit 0 when valid, 1 with a one-line reason when not."""
    import logging

    # The offline trust root is the point here; sigstore's notice about it is noise.
    logging.getLogger("sigstore").setLevel(logging.ERROR)
    from registry.signing import SignatureError, SignerIdentity, verifier_for
    from registry.signing import verify as verify_signature

    try:
        provenance = verify_signature(
            file.read_bytes(),
            bundle.read_bytes(),
            verifier_for(trust_root),
            [SignerIdentity(identity=cert_identity, issuer=cert_oidc_issuer)],
        )
    except (SignatureError, OSError) as exc:
        typer.echo(f"FAIL {file.name}: {exc}")
        raise typer.Exit(1) from None
    typer.echo(
        f"OK {file.name}: signed by {provenance.identity} ({provenance.issuer}), "
        f"Rekor log index {provenance.log_index}"
    )


@app.command()
def publish(
    package: Annotated[Path, typer.Argument(help="The package made by `spell pack`.")],
    bundle: Annotated[Path | None, typer.Option("--bundle", help="Its Sigstore bundle.")] = None,
    url: Annotated[
        str, typer.Option("--url", envvar="SPELL_URL", help="The platform.")
    ] = "http://127.0.0.1:8000",
    api_key: Annotated[str, typer.Option("--api-key", envvar="SPELL_API_KEY", help="Your API key.")] = "",
) -> None:
    """Publish a package (and its signature) to a platform."""
    import httpx

    files = {"package": (package.name, package.read_bytes(), "application/x-tar")}
    if bundle is not None:
        files["bundle"] = (bundle.name, bundle.read_bytes(), "application/json")
    try:
        response = httpx.post(
            f"{url.rstrip('/')}/v1/spells",
            files=files,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=120,
        )
    except httpx.HTTPError as exc:
        typer.echo(f"cannot reach {url}: {exc}", err=True)
        raise typer.Exit(2) from None
    body = response.json()
    if response.status_code >= 400:
        typer.echo(f"refused ({body.get('code')}): {body.get('detail')}", err=True)
        for problem in body.get("problems") or []:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(1)
    version = body["version"]
    state = "published" if body["created"] else "already published"
    signed = "signed" if version["signed"] else "unsigned"
    typer.echo(
        f"{state}: {version['key']} {version['version']} ({signed}, "
        f"package sha256 {version['package_sha256']})"
    )


@vulndb.command("import")
def vulndb_import(
    path: Annotated[Path, typer.Argument(help="OSV directory: <Ecosystem>/all.zip or *.json records.")],
    home: HomeOption = None,
) -> None:
    """Index an offline OSV database for publish-time scans and re-scans."""
    from spell_mcp.catalog.scans import import_vulnerabilities
    from spell_mcp.platform import Platform

    async def main() -> int:
        platform = await Platform.open(load_settings(home=home))
        try:
            return await import_vulnerabilities(platform, path)
        finally:
            await platform.close()

    try:
        count = anyio.run(main)
    except FileNotFoundError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"indexed {count} OSV records from {path}")


@app.command("rescan")
def rescan_command(home: HomeOption = None) -> None:
    """Re-scan every published version now (the server does it daily)."""
    from spell_mcp.catalog.scans import rescan
    from spell_mcp.platform import Platform

    async def main() -> Any:
        platform = await Platform.open(load_settings(home=home))
        try:
            return await rescan(platform)
        finally:
            await platform.close()

    report = anyio.run(main)
    typer.echo(
        f"scanned {report.scanned} versions; "
        f"newly vulnerable: {', '.join(report.newly_vulnerable) or 'none'}; "
        f"delisted: {', '.join(report.delisted) or 'none'}"
    )


@ledger.command("verify")
def ledger_verify(home: HomeOption = None) -> None:
    """Recompute the hash chain and every balance; report the first broken entry. Exit 1 if any."""
    from billing import audit
    from spell_mcp.platform import Platform

    async def main() -> Any:
        platform = await Platform.open(load_settings(home=home))
        try:
            return await platform.db.read(audit)
        finally:
            await platform.close()

    report = anyio.run(main)
    for problem in report.problems:
        typer.echo(f"BROKEN {problem}")
    if not report.ok:
        raise typer.Exit(1)
    extra = f" ({report.unchained} written before the chain existed)" if report.unchained else ""
    typer.echo(f"OK {report.entries} entries{extra}: the chain is intact and every balance adds up")


@receipt.command("verify")
def receipt_verify(
    file: Annotated[Path, typer.Argument(help='A receipt: {"receipt": {...}, "signature": "..."}.')],
    keys: Annotated[
        Path | None, typer.Option("--keys", help="The platform's published keys (saved spell-keys JSON).")
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="Fetch the keys from this platform instead.")
    ] = None,
) -> None:
    """Check a cast receipt against the platform's public keys. Exit 0 when genuine, 1 if not."""
    import json

    import httpx

    from billing.receipts import ReceiptInvalid, verify_receipt

    if (keys is None) == (url is None):
        raise typer.BadParameter("give either --keys FILE or --url URL")
    try:
        published = (
            json.loads(keys.read_text())
            if keys is not None
            else httpx.get(f"{str(url).rstrip('/')}/v1/.well-known/spell-keys", timeout=30).json()
        )
        statement = verify_receipt(json.loads(file.read_text()), published["keys"])
    except (ReceiptInvalid, OSError, ValueError, KeyError, httpx.HTTPError) as exc:
        typer.echo(f"INVALID {file.name}: {exc}")
        raise typer.Exit(1) from None
    typer.echo(
        f"OK {statement['cast_id']}: {statement['spell']['key']} {statement['spell']['version']}, "
        f"{statement['price_micros']} micro-USD, settled {statement['settled_at']}"
    )
