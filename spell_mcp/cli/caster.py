"""The caster's commands, against any Spell platform: login, search, cast, balance, budget,
usage, keys and receipts. Each takes `--json` for scripts; refusals print the problem document's
code, detail and problems, and exit with a stable status (spell_mcp/cli/common.py)."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

import spell_mcp.cli.remote as remote
from billing import micros_of_usd, usd
from spell_mcp.cli.common import FAILED, USAGE, JsonOption, emit, fail, stderr
from spell_mcp.cli.remote import KeyOption, UrlOption

spells_app = typer.Typer(help="The platform's catalog.", no_args_is_help=True)
budget_app = typer.Typer(help="Your spending caps.", no_args_is_help=True)
keys_app = typer.Typer(help="Your API keys.", no_args_is_help=True)
receipt_app = typer.Typer(help="Cast receipts.", no_args_is_help=True)
caster_app = typer.Typer()


def body(response: Any) -> Any:
    """The API's own JSON of a parsed SDK model (what --json prints)."""
    parsed = response.parsed
    return parsed.to_dict() if hasattr(parsed, "to_dict") else parsed


@caster_app.command()
def login(
    url: Annotated[str, typer.Argument(metavar="URL", help="The platform, e.g. https://spell.example.com.")],
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key", metavar="KEY", envvar="SPELL_API_KEY", help="Your key (asked when not given)."
        ),
    ] = None,
) -> None:
    """Check a key against a platform and keep both (in a file only you can read)."""
    from spell_client.api.users import me

    key = api_key or typer.prompt("API key", hide_input=True)
    where = remote.Platform(url.rstrip("/"), key.strip())
    who = body(remote.call(where, me.sync_detailed))
    path = remote.save(where.url, where.api_key)
    typer.echo(f"logged in to {where.url} as {who['name']} ({who['id']}); key kept in {path}")


@caster_app.command()
def logout() -> None:
    """Forget the platform and key `spell login` kept."""
    path = remote.config_path()
    path.unlink(missing_ok=True)
    typer.echo(f"logged out: {path} removed")


@caster_app.command()
def whoami(url: UrlOption = None, api_key: KeyOption = None, as_json: JsonOption = False) -> None:
    """Who the key is, on which platform, and what it may do."""
    from spell_client.api.users import me

    where = remote.platform(url, api_key)
    who = body(remote.call(where, me.sync_detailed))
    emit(
        as_json,
        who,
        lambda w: f"{w['name']} ({w['id']}) on {where.url}; key scopes: {', '.join(w['scopes'])}",
    )


@spells_app.command("show")
def spells_show(
    key: Annotated[str, typer.Argument(metavar="SPELL_KEY")],
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """A spell's latest version: its price, what it may touch, and, when it asks for more than
    you accepted, the version you are served and what the latest adds."""
    from spell_client.api.spells import describe_spell

    found = body(remote.call(remote.platform(url, api_key), describe_spell.sync_detailed, key=key))

    def text(spell: dict[str, Any]) -> str:
        policy = spell["policy"]
        lines = [
            f"{spell['key']} {spell['version']}: {spell['name']}",
            f"  price      {spell['price']['usd']} USD per successful cast",
            f"  signed     {'yes' if spell['signed'] else 'no (development spell)'}",
            f"  network    {', '.join(policy.get('net_allow', [])) or 'none'}",
            f"  secrets    {', '.join(policy.get('env_vars', [])) or 'none'}",
            f"  files      read {', '.join(policy.get('fs_read', [])) or 'none'}; "
            f"write {', '.join(policy.get('fs_write', [])) or 'none'}",
            f"  replayable {_replayable(spell)}",
        ]
        pinned = spell.get("pinned")
        if pinned:
            lines.append(
                f"you are served {pinned['version']}: {pinned['latest']} waits for you to accept that it"
            )
            lines += [f"  {item}" for item in pinned["widened"]]
            lines.append(f"accept it with `spell spells accept {spell['key']}`")
        return "\n".join(lines)

    emit(as_json, found, text)


@spells_app.command("accept")
def spells_accept(
    key: Annotated[str, typer.Argument(metavar="SPELL_KEY")],
    version: Annotated[
        str | None,
        typer.Option("--version", metavar="V", help="Default: the latest."),
    ] = None,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Accept what a spell's version may touch and cost. A newer version that asks for more than
    you accepted (a domain, secret or file grant, or a higher price) waits for this; until then
    your casts run the version you know. `spell spells show KEY` says what it adds."""
    from spell_client.api.spells import accept_spell
    from spell_client.models import AcceptRequest

    request = AcceptRequest.from_dict({"version": version} if version else {})
    done = body(remote.call(remote.platform(url, api_key), accept_spell.sync_detailed, key=key, body=request))

    def text(accepted: dict[str, Any]) -> str:
        lines = [f"accepted {accepted['key']} {accepted['version']}"]
        lines += [f"  it {item}" for item in accepted["widened"]]
        return "\n".join(lines)

    emit(as_json, done, text)


@spells_app.command("search")
def spells_search(
    query: Annotated[str | None, typer.Argument(metavar="WORDS", help="Words to look for.")] = None,
    tag: Annotated[
        str | None, typer.Option("--tag", metavar="TAG", help="Only spells with this tag.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", min=1, max=200, help="At most N spells.")
    ] = 50,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Castable spells, searched by words in their name, key or description."""
    from spell_client.api.spells import list_spells

    where = remote.platform(url, api_key)
    arguments: dict[str, Any] = {"limit": limit}
    if query:
        arguments["q"] = query
    if tag:
        arguments["tag"] = tag
    found = body(remote.call(where, list_spells.sync_detailed, **arguments))

    def table(data: dict[str, Any]) -> str:
        if not data["items"]:
            return "no castable spell matches"
        rows = [f"{'KEY':<40} {'VERSION':<10} {'PRICE':>12}  NAME"]
        for spell in data["items"]:
            price = f"{spell['price']['usd']} USD"
            rows.append(f"{spell['key']:<40} {spell['version']:<10} {price:>12}  {spell['name']}")
        return "\n".join(rows)

    emit(as_json, found, table)


def read_input(text: str) -> dict[str, Any]:
    """`--input` as JSON, or `@file` for a file's JSON (`@-` reads standard input)."""
    try:
        if text.startswith("@"):
            raw = sys.stdin.read() if text == "@-" else Path(text[1:]).read_text(encoding="utf-8")
        else:
            raw = text
        value = json.loads(raw)
    except OSError as exc:
        fail(f"--input {text}: {exc.strerror or exc}", USAGE)
    except ValueError as exc:
        fail(f"--input is not JSON: {exc}", USAGE)
    if not isinstance(value, dict):
        fail("--input must be a JSON object (the spell's input schema describes it)", USAGE)
    return value


class Progress:
    """A line on stderr saying the cast is running, while it does (only on a terminal)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._show, daemon=True)

    def __enter__(self) -> Progress:
        if sys.stderr.isatty():
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        if self.thread.is_alive():
            self.thread.join()
            sys.stderr.write("\r\033[K")

    def _show(self) -> None:
        started = time.monotonic()
        while not self.done.wait(0.2):
            sys.stderr.write(f"\rcasting {self.key} … {time.monotonic() - started:.1f} s")
            sys.stderr.flush()


@caster_app.command()
def cast(
    key: Annotated[str, typer.Argument(metavar="SPELL_KEY", help="The spell, e.g. dev.spell.textstats.")],
    input_text: Annotated[
        str,
        typer.Option("--input", "-i", metavar="JSON|@FILE", help="The input: JSON, @file, or @- for stdin."),
    ] = "{}",
    version: Annotated[
        str | None, typer.Option("--version", metavar="V", help="A version other than the latest.")
    ] = None,
    receipt: Annotated[
        Path | None, typer.Option("--receipt", metavar="FILE", help="Save the signed receipt here.")
    ] = None,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue",
            help="Answer once the price is held and let the cast run on; follow it with `spell casts show`.",
        ),
    ] = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cast a spell and print its output (charged once, and only when it succeeds)."""
    from spell_client.api.casts import cast_spell
    from spell_client.models import CastRequest

    request = {"input": read_input(input_text), **({"version": version} if version else {})}
    where = remote.platform(url, api_key)
    if queue:
        queued = body(
            remote.call(
                where,
                cast_spell.sync_detailed,
                key=key,
                body=CastRequest.from_dict(request),
                prefer="respond-async",
            )
        )
        emit(as_json, queued, queued["cast_id"])
        if not as_json:
            stderr(f"queued: `spell casts show {queued['cast_id']} --wait` follows it")
        return
    with Progress(key):
        done = body(
            remote.call(where, cast_spell.sync_detailed, key=key, body=CastRequest.from_dict(request))
        )
    if receipt is not None:
        receipt.write_text(json.dumps(done["receipt"], indent=2) + "\n")
    if as_json:
        emit(True, done, "")
        return
    typer.echo(json.dumps(done["output"], indent=2, ensure_ascii=False))
    stderr(
        f"cast {done['cast_id']}: {done['spell_key']} {done['spell_version']}, "
        f"charged {done['charged']['usd']} USD, {done['usage']['duration_ms']:.1f} ms"
        + (f"; receipt in {receipt}" if receipt else "")
    )


@caster_app.command()
def balance(url: UrlOption = None, api_key: KeyOption = None, as_json: JsonOption = False) -> None:
    """Your credits: available, held by running casts, and any debt."""
    from spell_client.api.billing import my_balance

    found = body(remote.call(remote.platform(url, api_key), my_balance.sync_detailed))

    def text(data: dict[str, Any]) -> str:
        lines = [f"available {data['available']['usd']} USD"]
        lines += [f"{name:>9} {data[name]['usd']} USD" for name in ("balance", "held", "debt", "frozen")]
        return "\n".join(lines)

    emit(as_json, found, text)


def _usd_micros(text: str | None, option: str) -> int | None:
    if text is None or text.lower() in ("none", "off"):
        return None
    try:
        micros = micros_of_usd(text)
    except ValueError as exc:
        fail(f"{option} {exc}, or none", USAGE)
    if micros < 0:
        fail(f"{option} must not be negative", USAGE)
    return micros


def _budget_text(data: dict[str, Any]) -> str:
    caps = data["caps"]
    lines = [
        f"{name.removesuffix('_micros').replace('_', ' '):<16} "
        f"{'none' if value is None else usd(value) + ' USD'}"
        for name, value in caps.items()
    ]
    for window in data["windows"]:
        spent = usd(window["spent_micros"] + window["held_micros"])
        cap = usd(window["cap_micros"])
        lines.append(f"this {window['period']:<11} {spent} of {cap} USD (resets {window['resets_at']})")
    return "\n".join(lines)


@budget_app.command("show")
def budget_show(url: UrlOption = None, api_key: KeyOption = None, as_json: JsonOption = False) -> None:
    """Your caps and what you spent in the current day and month."""
    from spell_client.api.billing import my_budget

    emit(as_json, body(remote.call(remote.platform(url, api_key), my_budget.sync_detailed)), _budget_text)


@budget_app.command("set")
def budget_set(
    daily: Annotated[
        str | None, typer.Option("--daily", metavar="USD", help="Cap per day (none removes it).")
    ] = None,
    monthly: Annotated[str | None, typer.Option("--monthly", metavar="USD", help="Cap per month.")] = None,
    per_cast: Annotated[
        str | None, typer.Option("--per-cast", metavar="USD", help="Most one cast may cost.")
    ] = None,
    confirm_above: Annotated[
        str | None, typer.Option("--confirm-above", metavar="USD", help="Ask before casts dearer than this.")
    ] = None,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Set your caps (amounts in USD; a cap not given is removed)."""
    from spell_client.api.billing import put_my_budget
    from spell_client.models import BudgetCaps

    caps = {
        "daily_cap_micros": _usd_micros(daily, "--daily"),
        "monthly_cap_micros": _usd_micros(monthly, "--monthly"),
        "per_cast_max_micros": _usd_micros(per_cast, "--per-cast"),
        "confirm_above_micros": _usd_micros(confirm_above, "--confirm-above"),
    }
    where = remote.platform(url, api_key)
    emit(
        as_json,
        body(remote.call(where, put_my_budget.sync_detailed, body=BudgetCaps.from_dict(caps))),
        _budget_text,
    )


@caster_app.command()
def usage(
    group: Annotated[
        str, typer.Option("--group", metavar="day|spell|key", help="How to group the casts.")
    ] = "day",
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV (for a spreadsheet).")] = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """What your successful casts cost, by day, spell or key."""
    from spell_client.api.billing import my_usage
    from spell_client.models import MyUsageGroup

    try:
        grouping = MyUsageGroup(group)
    except ValueError:
        fail("--group must be day, spell or key", USAGE)
    where = remote.platform(url, api_key)
    if csv:
        # The SDK reads JSON bodies; the CSV is fetched as text through the same client.
        found = remote.get_text(where, "/v1/users/me/usage", {"group": grouping.value, "format": "csv"})
        sys.stdout.write(found)
        return

    def table(data: dict[str, Any]) -> str:
        rows = [f"{group.upper():<40} {'CASTS':>8} {'SPENT':>14}"]
        rows += [
            f"{row['group']:<40} {row['casts']:>8} {row['spent']['usd'] + ' USD':>14}" for row in data["rows"]
        ]
        return "\n".join(rows)

    emit(as_json, body(remote.call(where, my_usage.sync_detailed, group=grouping)), table)


@keys_app.command("list")
def keys_list(url: UrlOption = None, api_key: KeyOption = None, as_json: JsonOption = False) -> None:
    """Your keys (never their secrets), newest first."""
    from spell_client.api.keys import list_keys

    found = body(remote.call(remote.platform(url, api_key), list_keys.sync_detailed, limit=200))

    def table(data: dict[str, Any]) -> str:
        rows = [f"{'ID':<26} {'NAME':<24} {'SCOPES':<30} STATE"]
        for key in data["items"]:
            state = "revoked" if key.get("revoked_at") else "active"
            rows.append(f"{key['id']:<26} {key['name'][:24]:<24} {','.join(key['scopes'])[:30]:<30} {state}")
        return "\n".join(rows)

    emit(as_json, found, table)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="What the key is for, e.g. my-agent.")],
    scopes: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            metavar="SCOPE",
            help="cast, read, publish or admin; repeat for several (default cast, read).",
        ),
    ] = None,
    expires_at: Annotated[
        str | None,
        typer.Option("--expires-at", metavar="TIME", help="ISO 8601 time after which it stops working."),
    ] = None,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """A new key, e.g. for an agent; its secret is shown once."""
    from spell_client.api.keys import new_key
    from spell_client.models import KeyRequest

    request: dict[str, Any] = {"name": name, "scopes": scopes or ["cast", "read"]}
    if expires_at:
        request["expires_at"] = expires_at
    where = remote.platform(url, api_key)
    made = body(remote.call(where, new_key.sync_detailed, body=KeyRequest.from_dict(request)))
    emit(
        as_json, made, lambda d: f"key {d['id']} ({', '.join(d['scopes'])}), shown once:\n\n    {d['key']}\n"
    )


@keys_app.command("rotate")
def keys_rotate(
    key_id: Annotated[str, typer.Argument(metavar="KEY_ID", help="The key's id (`spell keys list`).")],
    grace_s: Annotated[
        int, typer.Option("--grace", metavar="SECONDS", min=0, help="How long the old secret still works.")
    ] = 86400,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """A new secret for a key; the old one keeps working for the grace period."""
    from spell_client.api.keys import rotate

    where = remote.platform(url, api_key)
    made = body(remote.call(where, rotate.sync_detailed, key_id=key_id, grace_s=grace_s))
    emit(as_json, made, lambda d: f"key {d['id']} rotated; the new secret, shown once:\n\n    {d['key']}\n")


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(metavar="KEY_ID", help="The key's id (`spell keys list`).")],
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke a key at once."""
    from spell_client.api.keys import revoke

    remote.call(remote.platform(url, api_key), revoke.sync_detailed, key_id=key_id)
    emit(as_json, {"id": key_id, "revoked": True}, f"key {key_id} is revoked")


@receipt_app.command("verify")
def receipt_verify(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help='A receipt: {"receipt": {...}, "signature": "..."}.')
    ],
    keys: Annotated[
        Path | None,
        typer.Option("--keys", metavar="FILE", help="The platform's published keys, saved (offline)."),
    ] = None,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a cast receipt against the platform's public keys. Exit 0 when genuine, 1 if not."""
    from billing.receipts import ReceiptInvalid, verify_receipt
    from spell_client.api.casts import spell_keys

    try:
        document = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        _invalid(f"INVALID {file.name}: cannot be read as JSON ({exc})")
    if keys is not None:
        try:
            published = json.loads(keys.read_text())
        except (OSError, ValueError) as exc:
            fail(f"--keys {keys}: cannot be read as JSON ({exc})", USAGE)
    else:
        published = body(remote.call(remote.platform(url, None, needs_key=False), spell_keys.sync_detailed))
    try:
        statement = verify_receipt(document, published["keys"])
    except (ReceiptInvalid, KeyError, TypeError, ValueError) as exc:
        _invalid(f"INVALID {file.name}: {exc}")
    emit(
        as_json,
        statement,
        lambda s: (
            f"OK {s['cast_id']}: {s['spell']['key']} {s['spell']['version']}, "
            f"{s['price_micros']} micro-USD, settled {s['settled_at']}"
        ),
    )


def _invalid(verdict: str) -> NoReturn:
    """The verdict is the command's output (stdout), as OK is; the status says it failed."""
    typer.echo(verdict)
    raise typer.Exit(FAILED)


@receipt_app.command("replay")
def receipt_replay(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The receipt `spell cast --receipt` saved.")],
    input_text: Annotated[
        str,
        typer.Option(
            "--input", "-i", metavar="@FILE|JSON", help="The cast's exact input (only its hash was kept)."
        ),
    ],
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a cast of a deterministic spell again and check that it gives what its receipt says:
    the same module, your input (which must hash to the receipt's input_sha256) and the cast's
    seed. Free. Exit 0 when it matches, 1 when it does not or the platform refuses."""
    import hashlib

    from spell_client.api.casts import replay_cast
    from spell_client.models import ReplayRequest

    try:
        statement = json.loads(file.read_text())["receipt"]
        cast_id, expected = str(statement["cast_id"]), str(statement["input_sha256"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        fail(f"{file}: not a cast receipt ({exc})", USAGE)
    text = input_text if input_text.startswith(("@", "{")) else f"@{input_text}"
    given = read_input(text)
    # The platform hashes the input as the spell read it: compact JSON, keys as given.
    digest = hashlib.sha256(json.dumps(given, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
    if digest != expected:
        fail(f"--input does not hash to the receipt's input_sha256 ({digest} is not {expected})", FAILED)
    where = remote.platform(url, api_key)
    done = body(
        remote.call(
            where, replay_cast.sync_detailed, cast_id=cast_id, body=ReplayRequest.from_dict({"input": given})
        )
    )

    def text_of(replay: dict[str, Any]) -> str:
        which = f"{replay['cast_id']}: {replay['spell_key']} {replay['spell_version']}"
        if replay["matches"]:
            return f"MATCHES {which} gave {replay['output_sha256']} again"
        got = replay["replayed_output_sha256"] or f"a failure ({replay['error_code']})"
        return f"DIFFERS {which}: the receipt says {replay['output_sha256']}, the replay gave {got}"

    emit(as_json, done, text_of)
    if not done["matches"]:
        raise typer.Exit(FAILED)


casts_app = typer.Typer(help="Your casts: follow or cancel a queued one.", no_args_is_help=True)


@casts_app.command("show")
def show_cast(
    cast_id: Annotated[str, typer.Argument(metavar="CAST_ID")],
    wait: Annotated[bool, typer.Option("--wait", help="Wait until it has finished.")] = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """A cast of yours: its status, output or error, and what it was charged. Exits 1 if it
    failed."""
    import time

    from spell_client.api.casts import get_cast

    where = remote.platform(url, api_key)
    found = body(remote.call(where, get_cast.sync_detailed, cast_id=cast_id))
    while wait and found["status"] == "running":
        time.sleep(0.5)
        found = body(remote.call(where, get_cast.sync_detailed, cast_id=cast_id))
    emit(as_json, found, _cast_text)
    if found["status"] == "failed":
        raise typer.Exit(FAILED)


@casts_app.command("cancel")
def cancel_cast(
    cast_id: Annotated[str, typer.Argument(metavar="CAST_ID")],
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cancel a queued cast that has not finished: its hold is released and it is never charged.
    A cast that has finished is shown as it is."""
    from spell_client.api.casts import cancel_cast as cancel

    found = body(remote.call(remote.platform(url, api_key), cancel.sync_detailed, cast_id=cast_id))
    emit(as_json, found, _cast_text)


def _cast_text(cast: dict[str, Any]) -> str:
    lines = [f"{cast['cast_id']}: {cast['spell_key']} {cast['spell_version']}, {cast['status']}"]
    if cast["status"] == "succeeded":
        lines.append(json.dumps(cast["output"], indent=2, ensure_ascii=False))
    elif cast["status"] == "failed":
        lines.append(f"{cast['error_code']}: {cast['error_detail']}")
    lines.append(f"charged {cast['charged']['usd']} USD")
    return "\n".join(lines)


def _replayable(spell: dict[str, Any]) -> str:
    """Whether its casts can be replayed (spell_mcp/casting/replay.py), as `spell describe` says it."""
    if not spell.get("deterministic"):
        return "no"
    return "no (it reads secrets)" if spell["policy"].get("env_vars") else "yes (deterministic)"
