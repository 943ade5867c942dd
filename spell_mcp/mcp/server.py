"""The MCP face of the platform: one tool per castable spell, adapting to the cast pipeline.

Spells bring raw JSON Schemas, so this uses the SDK's low-level `Server` rather than a
signature-derived framework. Every failure becomes an `isError` result carrying the catalog
code: on 2025-era connections an uncaught exception's message would reach the client verbatim.
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import mcp_types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.models import InitializationOptions
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import TypeAdapter

from billing import usd
from registry import SpellVersion, tool_name
from spell_mcp.accounts.keys import Caster
from spell_mcp.casting.pipeline import CastResult
from spell_mcp.casting.records import Cast
from spell_mcp.casting.refusals import SHORT_OF_MONEY
from spell_mcp.casting.running import is_content
from spell_mcp.catalog import versions
from spell_mcp.catalog.pinning import Pin, served_to
from spell_mcp.catalog.provenance import PREFIX, provenance
from spell_mcp.errors import CATALOG, SpellError
from spell_mcp.mcp import cast_app, catalog_tools, resources, tasks
from spell_mcp.mcp.catalog_tools import CATALOG_TOOL_NAMES, CATALOG_TOOLS
from spell_mcp.mcp.confirmation import Confirmation, InputNeeded
from spell_mcp.mcp.http_sessions import counted
from spell_mcp.mcp.notifications import LogLevels, StepRelay, step_relay
from spell_mcp.mcp.protocol import INSTRUCTIONS, PROBLEM_META, SERVER_NAME, resource_not_found
from spell_mcp.mcp.sessions import LASTING, LastingSessions
from spell_mcp.mcp.strict_bodies import refuse_duplicates
from spell_mcp.mcp.top_up import offer_top_up
from spell_mcp.observability import metrics
from spell_mcp.platform import Platform

log = logging.getLogger(__name__)

# Where legacy SSE clients POST their messages (the stream itself is GET /sse).
SSE_MESSAGES_PATH = "/messages/"
CasterResolver = Callable[[ServerRequestContext[Any, Any]], Awaitable[Caster]]


def spell_key(name: str) -> str:
    """Inverse of `registry.tool_name`: keys never contain "_", so this is exact."""
    return name.replace("_", ".")


def tool_of(spell: SpellVersion, pin: Pin | None = None) -> types.Tool:
    """A spell's tool: `spell` is the version the caller is served (under `pin` when a newer
    one waits for their acceptance: spell_mcp/catalog/pinning.py)."""
    policy = spell.manifest["runtime"]["policy"]
    price = (
        f"Price: ${usd(spell.price_micros)} per successful cast (failed casts are free); "
        f"your credits and budget: {catalog_tools.BUDGET}."
    )
    unsigned = "" if spell.signed else " Unsigned development spell."
    meta = provenance(spell) | cast_app.TOOL_META
    waiting = ""
    if pin is not None:
        waiting = (
            f"\n\nVersion {pin.latest} waits for your person's acceptance: it {'; '.join(pin.widened)}. "
            f"Casts run {pin.version} until they accept it (POST /v1/spells/{spell.spell_key}/accept, "
            f"or `spell spells accept {spell.spell_key}`)."
        )
        meta[f"{PREFIX}pinned"] = {"version": pin.version, "latest": pin.latest, "widened": pin.widened}
    return types.Tool(
        name=tool_name(spell.spell_key),
        title=spell.name,
        description=f"{spell.description}\n\n{price}{unsigned}{waiting}",
        input_schema=spell.input_schema,
        output_schema=spell.output_schema if _is_object_schema(spell.output_schema) else None,
        annotations=types.ToolAnnotations(
            title=spell.name,
            read_only_hint=not policy["fs_write"],
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=bool(policy["net_allow"]),
        ),
        icons=[types.Icon(src=spell.icon, sizes=["any"])] if spell.icon else None,
        execution=tasks.EXECUTION,
        _meta=meta,
    )


def _is_object_schema(schema: dict[str, Any] | None) -> bool:
    return schema is not None and schema.get("type") == "object"


def error_result(error: SpellError) -> types.CallToolResult:
    """A refusal as a tool result. The text says everything an agent needs to correct itself:
    the code, the detail and each problem; the problem document is in `_meta` for programs.
    No `structuredContent`: clients check it against the tool's outputSchema, which describes
    the spell's output, not a refusal (and the official TypeScript SDK fails the call if not)."""
    problem = error.problem()
    problems = problem.get("problems") or []
    text = "\n".join([f"{error.code}: {error.detail}", *(f"- {item}" for item in problems)])
    return types.CallToolResult(
        content=[types.TextContent(text=text)], is_error=True, _meta={PROBLEM_META: problem}
    )


def refusal_code(result: types.CallToolResult | types.InputRequiredResult | types.CreateTaskResult) -> str:
    """The catalog code of a refused call's result; "" for any other."""
    if not isinstance(result, types.CallToolResult) or not result.is_error:
        return ""
    problem = (result.meta or {}).get(PROBLEM_META)
    return str(problem.get("code", "tool_error")) if isinstance(problem, dict) else "tool_error"


_CONTENT_BLOCKS: TypeAdapter[list[types.ContentBlock]] = TypeAdapter(list[types.ContentBlock])


def success_result(result: CastResult) -> types.CallToolResult:
    """The cast's output as MCP content: a text rendering and structured content (or the
    spell's own content blocks: images, audio, documents), plus a link to each artifact."""
    return _output_result(
        result.cast_id,
        result.output,
        result.artifacts,
        is_content=result.is_content,
        meta={
            **provenance(result.spell),
            "dev.spell/cast_id": result.cast_id,
            "dev.spell/charged_micros": result.charged_micros,
            "dev.spell/usage": result.usage.as_dict(),
            "dev.spell/receipt": result.receipt,
        },
    )


def recorded_result(cast: Cast, spell: SpellVersion | None) -> types.CallToolResult:
    """A finished cast, from its record, as the tool's result (a task's: spell_mcp/mcp/tasks.py)."""
    if cast.status != "succeeded":
        code = cast.error_code if cast.error_code in CATALOG else "internal_error"
        return error_result(SpellError(code, cast.error_detail or "the cast failed", cast_id=cast.id))
    return _output_result(
        cast.id,
        cast.output,
        cast.artifacts or [],
        is_content=spell is not None and is_content(spell),
        meta={
            **(provenance(spell) if spell is not None else {}),
            "dev.spell/cast_id": cast.id,
            "dev.spell/price_micros": cast.price_micros,
            "dev.spell/charged_micros": cast.charged_micros,
            "dev.spell/version": cast.spell_version,
            "dev.spell/module_digest": cast.module_digest,
            "dev.spell/signed": spell is not None and spell.signed,
            "dev.spell/usage": cast.usage,
            "dev.spell/receipt": cast.receipt,
        },
    )


def _output_result(
    cast_id: str, output: Any, artifacts: list[dict[str, Any]], *, is_content: bool, meta: dict[str, Any]
) -> types.CallToolResult:
    content: list[types.ContentBlock]
    if is_content:
        # Checked against registry/content.py's schema when the cast ran.
        content = _CONTENT_BLOCKS.validate_python(output["content"])
        structured = output.get("structured")
    else:
        content = [types.TextContent(text=json.dumps(output, ensure_ascii=False))]
        structured = output if isinstance(output, dict) else {"result": output}
    content += [resources.artifact_link(cast_id, artifact) for artifact in artifacts]
    return types.CallToolResult(content=content, structured_content=structured, is_error=False, _meta=meta)


class SpellServer(Server[Any]):
    """The SDK's server, advertising tools/list_changed by default where sessions last (and so
    can hear it): stateful Streamable HTTP builds its initialization options itself."""

    def __init__(self, *args: Any, lasting_sessions: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lasting_sessions = lasting_sessions

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        if notification_options is None and self.lasting_sessions:
            notification_options = LASTING
        return super().create_initialization_options(
            notification_options, experimental_capabilities, extensions
        )

    def get_capabilities(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
        *,
        protocol_version: str | None = None,
    ) -> types.ServerCapabilities:
        capabilities = super().get_capabilities(
            notification_options, experimental_capabilities, extensions, protocol_version=protocol_version
        )
        if protocol_version not in MODERN_PROTOCOL_VERSIONS:  # tasks are of the 2025-11-25 revision
            capabilities.tasks = tasks.CAPABILITY
        else:  # extensions are declared from 2026-07-28; earlier clients find the app by _meta
            capabilities.extensions = {**(capabilities.extensions or {}), cast_app.EXTENSION: {}}
            # The SDK declares whatever subscriptions/listen could carry; Spell announces only
            # tool list changes (see `listen`): a published version never changes.
            capabilities.resources = types.ResourcesCapability(subscribe=False, list_changed=False)
        return capabilities


P = TypeVar("P")
R = TypeVar("R")


def measured(
    method: str, handler: Callable[[ServerRequestContext[Any, Any], P], Awaitable[R]]
) -> Callable[[ServerRequestContext[Any, Any], P], Awaitable[R]]:
    """`handler`, timed in mcp_server_operation_duration_seconds (error_type: the JSON-RPC error
    code it answered with, if any)."""

    async def timed(ctx: ServerRequestContext[Any, Any], params: P) -> R:
        started, error_type = time.perf_counter(), ""
        try:
            return await handler(ctx, params)
        except MCPError as error:
            error_type = str(error.error.code)
            raise
        except Exception:
            error_type = str(INTERNAL_ERROR)
            raise
        finally:
            metrics.MCP_OPERATION_DURATION.labels(method, "", error_type).observe(
                time.perf_counter() - started
            )

    return timed


def build_mcp_server(
    get_platform: Callable[[], Platform],
    resolve_caster: CasterResolver,
    bus: InMemorySubscriptionBus,
    lasting: LastingSessions | None = None,
    *,
    http_sessions: bool = False,
) -> Server[Any]:
    """`lasting` remembers the sessions of stdio, legacy SSE and (with `http_sessions`) stateful
    Streamable HTTP clients, to tell them when the tool list changes."""
    levels = LogLevels()

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        if lasting is not None:
            lasting.remember(ctx.session)
        try:
            caster_id = (await resolve_caster(ctx)).user_id
        except SpellError:
            caster_id = None  # refused when it casts; the list is the catalog's
        db = get_platform().db
        spells: list[tuple[SpellVersion, Pin | None]]
        if caster_id is None:
            spells = [(spell, None) for spell in await versions.castable_spells(db)]
        else:
            spells = await served_to(db, caster_id)
        return types.ListToolsResult(tools=[*CATALOG_TOOLS, *(tool_of(spell, pin) for spell, pin in spells)])

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult | types.CreateTaskResult:
        # (Its trace span, continuing the `traceparent` of `_meta`, is the SDK's own.)
        started = time.perf_counter()
        result = await cast_tool(ctx, params)
        code = refusal_code(result)
        # A name no tool has is not a label value (anyone could add labels).
        tool = "unknown" if code in ("spell_not_found", "not_found") else params.name
        if code:
            metrics.MCP_TOOL_FAILURES.labels(tool, code).inc()
        metrics.MCP_OPERATION_DURATION.labels("tools/call", tool, "tool_error" if code else "").observe(
            time.perf_counter() - started
        )
        return result

    async def cast_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult | types.CreateTaskResult:
        platform = get_platform()
        arguments = params.arguments or {}
        try:
            caster = await resolve_caster(ctx)
            caster.require("cast")
            await platform.limits.check(caster)
            via = "mcp-stdio" if ctx.request is None else "mcp-http"
            if params.task is not None and ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
                # The caller asks for a 2025-11-25 task: queued, answered at once. (2026-07-28
                # has no such field; its tasks are an extension this server does not offer.)
                return await _create_task(platform, caster, params, arguments, via)
            if params.name in CATALOG_TOOL_NAMES:
                if params.name != catalog_tools.CAST:
                    return structured_result(await _catalog(platform, caster, params.name, arguments))
                key = catalog_tools.string_argument(arguments, "key", required=True) or ""
                version = catalog_tools.string_argument(arguments, "version")
                # `"confirmed": true`: the agent asked the person itself after a confirmation_required.
                confirmation = Confirmation(
                    ctx, params, way_without_asking=True, confirmed=arguments.get("confirmed") is True
                )
                result = await platform.casts.cast(
                    caster,
                    key,
                    arguments.get("input"),
                    version=version,
                    via=via,
                    on_progress=step_relay(ctx, caster, levels),
                    confirm=confirmation,
                )
            else:
                steps = step_relay(ctx, caster, levels)
                result = await _cast_tool(platform, caster, params, arguments, via, steps, ctx)
        except InputNeeded as needed:
            return needed.result
        except SpellError as error:
            if error.code in SHORT_OF_MONEY and not error.extra.get("reloading"):
                error = await offer_top_up(ctx, platform, caster, error)
            return error_result(error)
        except MCPError:
            raise
        except Exception:
            log.exception("tools/call %s failed", params.name)
            return error_result(SpellError("internal_error", "the server could not complete the cast"))
        return success_result(result)

    async def require_read(ctx: ServerRequestContext[Any, Any]) -> None:
        """The catalog is for keys with the `read` scope, as over REST."""
        try:
            (await resolve_caster(ctx)).require("read")
        except SpellError as error:
            raise MCPError(INVALID_REQUEST, f"{error.code}: {error.detail}") from None

    async def list_resources(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        await require_read(ctx)
        return await resources.list_resources(get_platform())

    async def list_resource_templates(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=resources.TEMPLATES)

    async def read_resource(
        ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        try:
            caster = await resolve_caster(ctx)
            caster.require("read")
            return await resources.read_resource(get_platform(), caster, str(params.uri))
        except SpellError as error:
            code = resource_not_found(ctx.protocol_version) if error.status == 404 else INVALID_REQUEST
            raise MCPError(code, f"{error.code}: {error.detail}", {"uri": str(params.uri)}) from None
        except Exception:
            log.exception("resources/read %s failed", params.uri)
            raise MCPError(INTERNAL_ERROR, "the server could not read the resource") from None

    async def complete(
        ctx: ServerRequestContext[Any, Any], params: types.CompleteRequestParams
    ) -> types.CompleteResult:
        await require_read(ctx)
        return await resources.complete(get_platform(), params)

    async def set_logging_level(
        ctx: ServerRequestContext[Any, Any], params: types.SetLevelRequestParams
    ) -> types.EmptyResult:
        # Per lasting connection; on stateless HTTP, per API key (spell_mcp/mcp/notifications.py).
        try:
            caster: Caster | None = await resolve_caster(ctx)
        except SpellError:
            caster = None
        levels.set(ctx.session, caster, params.level)
        return types.EmptyResult()

    listener = ListenHandler(bus)

    async def listen(
        ctx: ServerRequestContext[Any, Any], params: types.SubscriptionsListenRequestParams
    ) -> types.SubscriptionsListenResult:
        """A subscriptions/listen stream (2026-07-28), acknowledging only what this server
        announces: tools/list_changed (no prompts, no resource changes)."""
        announced = types.SubscriptionFilter(tools_list_changed=params.notifications.tools_list_changed)
        return await listener(ctx, params.model_copy(update={"notifications": announced}))

    with warnings.catch_warnings():
        # logging/setLevel is deprecated in 2026-07-28 but part of the 2025 revisions served here.
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        server = SpellServer(
            SERVER_NAME,
            lasting_sessions=http_sessions,
            version=_version(),
            title="Spell",
            instructions=INSTRUCTIONS,
            on_list_tools=measured("tools/list", list_tools),
            on_call_tool=call_tool,
            on_list_resources=measured("resources/list", list_resources),
            on_list_resource_templates=measured("resources/templates/list", list_resource_templates),
            on_read_resource=measured("resources/read", read_resource),
            on_completion=measured("completion/complete", complete),
            on_set_logging_level=measured("logging/setLevel", set_logging_level),
            # 2026-07-28 clients listen for tools/list_changed on a subscriptions/listen stream.
            on_subscriptions_listen=listen,
        )
    tasks.TaskHandlers(get_platform, resolve_caster, recorded_result).register(server)

    async def task_calls(ctx: ServerRequestContext[Any, Any], call_next: Any) -> Any:
        """A tools/call asking for a task is answered with the task: the SDK's own check of a
        tools/call result knows only CallToolResult, so this answers before it."""
        raw = ctx.params
        if (
            ctx.method != "tools/call"
            or not isinstance(raw, Mapping)
            or raw.get("task") is None
            or ctx.protocol_version in MODERN_PROTOCOL_VERSIONS
        ):
            return await call_next(ctx)
        return await call_tool(ctx, types.CallToolRequestParams.model_validate(raw, by_name=False))

    async def tasks_of_2025(ctx: ServerRequestContext[Any, Any], call_next: Any) -> Any:
        """tasks/* are methods of the 2025-11-25 revision; 2026-07-28 removed them (its tasks
        are an extension this server does not offer), so they are unknown there, before any
        look at their params."""
        if ctx.method in tasks.METHODS and ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
            raise MCPError(METHOD_NOT_FOUND, "Method not found")
        return await call_next(ctx)

    async def rate_limited(ctx: ServerRequestContext[Any, Any], call_next: Any) -> Any:
        """Every request over HTTP counts against its key's and its caster's rate, as on REST: a
        cast counts itself (its refusal is a result the agent reads; stdio's too), and a session's
        opening request as the session opened (spell_mcp/mcp/http_sessions.py). Over stdio the
        local operator serves themselves."""
        if (
            ctx.request is None
            or ctx.method == "tools/call"
            or ctx.request_id is None  # a notification
            or counted(ctx.request.state)
        ):
            return await call_next(ctx)
        try:
            caster = await resolve_caster(ctx)
        except SpellError:
            return await call_next(ctx)  # each method refuses (or serves) a caller without a key itself
        try:
            await get_platform().limits.check(caster)
        except SpellError as error:
            raise MCPError(INVALID_REQUEST, f"{error.code}: {error.detail}", error.problem()) from None
        return await call_next(ctx)

    server.middleware.append(rate_limited)
    server.middleware.append(refuse_duplicates)
    server.middleware.append(task_calls)
    server.middleware.append(tasks_of_2025)
    return server


async def _create_task(
    platform: Platform,
    caster: Caster,
    params: types.CallToolRequestParams,
    arguments: dict[str, Any],
    via: str,
) -> types.CreateTaskResult:
    """A spell tool's cast (or spells_cast's) as a task (spell_mcp/mcp/tasks.py)."""
    if params.name == catalog_tools.CAST:
        key = catalog_tools.string_argument(arguments, "key", required=True) or ""
        version = catalog_tools.string_argument(arguments, "version")
        return await tasks.create(platform, caster, key, arguments.get("input"), version, via)
    if params.name in CATALOG_TOOL_NAMES:
        raise SpellError("request_invalid", f"{params.name} answers at once: call it without a task")
    return await tasks.create(platform, caster, spell_key(params.name), arguments, None, via)


async def _catalog(
    platform: Platform, caster: Caster, name: str, arguments: dict[str, Any]
) -> dict[str, Any]:
    if name == catalog_tools.SEARCH:
        return await catalog_tools.search(platform, arguments)
    if name == catalog_tools.DESCRIBE:
        return await catalog_tools.describe(platform, caster, arguments)
    return await catalog_tools.budget(platform, caster)


async def _cast_tool(
    platform: Platform,
    caster: Caster,
    params: types.CallToolRequestParams,
    arguments: dict[str, Any],
    via: str,
    steps: StepRelay | None,
    ctx: ServerRequestContext[Any, Any],
) -> CastResult:
    """A spell's own tool. A name that names no castable spell is no tool of this server: the
    protocol's error for an unknown tool, not a failed call."""
    try:
        return await platform.casts.cast(
            caster,
            spell_key(params.name),
            arguments,
            via=via,
            on_progress=steps,
            confirm=Confirmation(ctx, params),
        )
    except SpellError as error:
        if error.code == "spell_not_found":
            raise MCPError(
                INVALID_PARAMS,
                f"Unknown tool: {params.name[:200]}; tools/list names the tools, and "
                f"{catalog_tools.SEARCH} finds spells published since",
            ) from None
        raise


def structured_result(document: dict[str, Any]) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(text=json.dumps(document, ensure_ascii=False))],
        structured_content=document,
    )


def _version() -> str:
    from importlib.metadata import version

    return version("spell-mcp")
