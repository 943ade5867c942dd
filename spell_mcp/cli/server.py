"""Running the platform: `spell serve`, `spell worker`, `spell mcp` (stdio), `spell migrate`,
`spell openapi`."""

from __future__ import annotations

import logging
import os
import socket
import sys
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer

from spell_mcp.cli.common import (
    USAGE,
    DevOption,
    HomeOption,
    InitOption,
    existing_store,
    fail,
    load_settings,
    local_platform,
    stderr,
    stdout,
)
from spell_mcp.settings import Settings

app = typer.Typer()


def exit_at_once() -> None:
    """End a `spell mcp` whose client closed it, once its work is flushed and its store closed:
    without tearing down every module one by one, which costs 0.6 s of CPU (MCP clients start
    the command for each connection and wait for it to end)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def configure_logging(settings: Settings) -> None:
    """Log lines on stderr, as readable text or JSON (SPELL_LOG_FORMAT), each with the id of the
    request it belongs to."""
    from spell_mcp.observability import logs

    logs.configure(settings.log_format)


@app.command()
def serve(
    dev: DevOption = False,
    host: Annotated[
        str | None, typer.Option("--host", metavar="ADDRESS", help="Address to bind (SPELL_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", metavar="PORT", help="Port to listen on (SPELL_PORT).")
    ] = None,
    home: HomeOption = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            metavar="N",
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

    anyio.run(first_start, settings, stdout)
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


@app.command()
def worker(
    home: HomeOption = None,
    casts: Annotated[
        int | None,
        typer.Option("--casts", min=1, metavar="N", help="Queued casts run at once (SPELL_WORKER_CASTS)."),
    ] = None,
) -> None:
    """Run queued casts from NATS JetStream (SPELL_NATS_URL), on any host that reaches the same
    database, Redis and object store. SIGTERM or Ctrl-C stops taking casts and lets those running
    finish; a second one stops them too (failed, never charged)."""
    settings = load_settings(home=home, worker_casts=casts)
    if not settings.nats_url:
        fail(
            "spell worker runs queued casts from NATS JetStream: set SPELL_NATS_URL "
            "(without it, each server runs the queued casts it accepts)",
            USAGE,
        )
    configure_logging(settings)
    anyio.run(_work, settings)


async def _work(settings: Settings) -> None:
    import signal

    from spell_mcp.platform import Platform
    from spell_mcp.queueing import JetStreamQueue

    platform = await Platform.open(settings)
    try:
        if settings.worker_metrics_port:
            from prometheus_client import start_http_server

            start_http_server(settings.worker_metrics_port, addr=settings.host)
        queue = platform.queue = await JetStreamQueue.connect(settings, role="worker")
        stopping = anyio.Event()
        async with anyio.create_task_group() as group:

            async def stop_on_signals() -> None:
                with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                    async for _ in signals:
                        if stopping.is_set():
                            stderr("stopping now: the casts running fail, uncharged")
                            group.cancel_scope.cancel()
                            return
                        stderr("stopping: no new casts; waiting for those running")
                        stopping.set()

            group.start_soon(stop_on_signals)
            # Hears revoked keys, erasures and cancelled casts, as the servers do.
            group.start_soon(platform.announcer.relay_forever)
            stdout(
                f"Spell worker running queued casts from {settings.nats_stream} on {settings.nats_url}, "
                f"{settings.worker_casts} at a time"
            )
            await queue.consume(platform.casts, settings.worker_casts, stopping)
            group.cancel_scope.cancel()
    finally:
        await platform.close()


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
        stderr(f"cannot listen on {host}:{port}: {exc.strerror or exc} (is another server there? set PORT)")
        raise typer.Exit(1) from None
    return listener


@app.command()
def openapi() -> None:
    """Print the REST API's OpenAPI document (the dashboard's client is generated from it)."""
    import json

    from spell_mcp.app import create_app

    typer.echo(json.dumps(create_app(Settings()).openapi(), indent=2, sort_keys=True))


@app.command("server-json")
def server_json_command(
    url: Annotated[
        str | None,
        typer.Option("--url", metavar="URL", help="Where clients reach it (default: SPELL_PUBLIC_URL)."),
    ] = None,
) -> None:
    """Print this platform's server.json for the official MCP registry (publish it with
    `mcp-publisher publish`): its name (SPELL_REGISTRY_NAME), version and remote endpoints."""
    import json

    from spell_mcp.catalog.discovery import server_json

    settings = Settings()
    base = url or settings.public_url
    if not base or not base.startswith(("https://", "http://")):
        fail("say where clients reach this platform: --url https://… or SPELL_PUBLIC_URL", USAGE)
    typer.echo(json.dumps(server_json(settings, base.rstrip("/")), indent=2))


@app.command()
def mcp(
    dev: DevOption = False,
    home: HomeOption = None,
    init: InitOption = False,
    url: Annotated[
        str | None,
        typer.Option(
            "--url", metavar="URL", envvar="SPELL_URL", help="Relay to this remote platform instead."
        ),
    ] = None,
    api_key: Annotated[
        str,
        typer.Option(
            "--api-key", metavar="KEY", envvar="SPELL_API_KEY", help="Your API key on the remote platform."
        ),
    ] = "",
) -> None:
    """Serve MCP over stdio: as the local operator of this store (for Claude Desktop, Claude Code,
    IDEs), or, with --url and --api-key, as you on a remote platform."""
    from mcp.server.stdio import stdio_server

    if url is not None:
        if not api_key:
            raise typer.BadParameter("a remote platform needs --api-key (or SPELL_API_KEY)")
        _relay_mcp(url, api_key)
        return

    from spell_mcp.bootstrap import local_operator
    from spell_mcp.mcp.server import build_mcp_server
    from spell_mcp.mcp.sessions import LASTING, LastingSessions
    from spell_mcp.platform import Platform
    from spell_mcp.queueing import open_queue

    # Dev mode makes its store as `spell serve --dev` does; otherwise it must be there already.
    settings = load_settings(dev_mode=dev, home=home)
    settings = existing_store(settings, init or settings.dev_mode)
    configure_logging(settings)

    async def main() -> None:
        platform = await Platform.open(settings)
        try:
            caster = await local_operator(platform, stderr)
            if caster is None:
                stderr(f"No operator account in {settings.home}: start once with --dev, or set SPELL_HOME.")
                raise SystemExit(2)

            async def as_operator(_ctx: Any) -> Any:
                return caster

            lasting = LastingSessions(platform.announcer.bus)
            server = build_mcp_server(lambda: platform, as_operator, platform.announcer.bus, lasting)
            async with stdio_server() as (read, write), anyio.create_task_group() as relay:
                platform.queue = await open_queue(settings, platform.casts, relay)  # MCP tasks
                await relay.start(platform.announcer.relay_forever)  # hears every change from here on
                relay.start_soon(lasting.forward_forever)
                await server.run(read, write, server.create_initialization_options(LASTING))
                relay.cancel_scope.cancel()
        finally:
            await platform.close()

    anyio.run(main)
    exit_at_once()


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
            stderr(f"cannot reach the Spell platform at {url}: {exc}")
            raise SystemExit(2) from None
        server = build_proxy(remote, version("spell-mcp"))
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(main)
    exit_at_once()


@app.command()
def migrate(home: HomeOption = None) -> None:
    """Create or upgrade the store's database schema (a new store is made here)."""

    async def main() -> None:
        async with local_platform(load_settings(home=home)):
            pass

    anyio.run(main)
    typer.echo("schema is up to date")
