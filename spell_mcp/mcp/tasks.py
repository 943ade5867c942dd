"""Long casts as MCP tasks (the 2025-11-25 revision's tasks): a `tools/call` that asks for a task
is held and queued like a REST cast with `Prefer: respond-async` (spell_mcp/queueing/), and
answered at once with the task, whose id is the cast's. The client then polls `tasks/get`,
waits for the tool's result with `tasks/result`, stops it with `tasks/cancel` (released, never
charged), and lists its tasks with `tasks/list`. Another caster's task does not exist as far
as anyone else can tell. Tasks live as long as their casts are kept (`ttl` null)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import anyio
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from registry.models import SpellVersion
from spell_mcp import queueing
from spell_mcp.accounts.keys import Caster
from spell_mcp.casting.records import Cast, cast_of, casts_of, version_of
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform

# How often a client should ask how a task is going, in milliseconds.
POLL_INTERVAL_MS = 1000
# How often tasks/result looks again while the cast runs.
RESULT_POLL_S = 0.1
LISTED = 100
RELATED_TASK = "io.modelcontextprotocol/related-task"
CAPABILITY = types.ServerTasksCapability(
    list=types.TasksListCapability(),
    cancel=types.TasksCancelCapability(),
    requests=types.ServerTasksRequestsCapability(
        tools=types.TasksToolsCapability(call=types.TasksCallCapability())
    ),
)
# What every spell tool says of tasks: the caller may ask for one.
EXECUTION = types.ToolExecution(task_support="optional")

ResolveCaster = Callable[[ServerRequestContext[Any, Any]], Awaitable[Caster]]
# A finished cast as the tool's result, given the version it cast (None if it is gone).
CastResultOf = Callable[[Cast, SpellVersion | None], types.CallToolResult]


async def create(
    platform: Platform, caster: Caster, key: str, arguments: Any, version: str | None, via: str
) -> types.CreateTaskResult:
    """A queued cast, as a task that is working."""
    if platform.queue is None:
        raise SpellError("overloaded", "this server cannot run tasks; call the tool without a task")
    cast_id = await queueing.submit(
        platform.casts, platform.queue, caster, key, arguments, version=version, via=via
    )
    cast = await cast_of(platform.db, caster.user_id, cast_id)
    return types.CreateTaskResult(task=task_of(cast))


def task_of(cast: Cast) -> types.Task:
    return types.Task(**_task_fields(cast))


def _task_fields(cast: Cast) -> dict[str, Any]:
    status, message = _status(cast)
    return {
        "task_id": cast.id,
        "status": status,
        "status_message": message,
        "created_at": _iso(cast.created_at),
        "last_updated_at": _iso(cast.finished_at or cast.created_at),
        "ttl": None,
        "poll_interval": POLL_INTERVAL_MS,
    }


def _status(cast: Cast) -> tuple[str, str | None]:
    if cast.status == "running":
        waited = (datetime.now(UTC) - cast.created_at).total_seconds()
        return "working", f"price held; queued or running for {waited:.0f} s"
    if cast.status == "succeeded":
        return "completed", None
    if cast.error_code == "cast_cancelled":
        return "cancelled", cast.error_detail
    return "failed", f"{cast.error_code}: {cast.error_detail}"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


METHODS = frozenset({"tasks/get", "tasks/result", "tasks/cancel", "tasks/list"})


class TaskHandlers:
    """The tasks/* requests, for the caster each request authenticates as."""

    def __init__(
        self, get_platform: Callable[[], Platform], resolve_caster: ResolveCaster, result_of: CastResultOf
    ) -> None:
        self.get_platform = get_platform
        self.resolve_caster = resolve_caster
        self.result_of = result_of

    def register(self, server: Any) -> None:
        """The METHODS, for 2025-11-25 requests (spell_mcp/mcp/server.py refuses them on others)."""
        server.add_request_handler("tasks/get", types.GetTaskRequestParams, self.get)
        server.add_request_handler("tasks/result", types.GetTaskPayloadRequestParams, self.result)
        server.add_request_handler("tasks/cancel", types.CancelTaskRequestParams, self.cancel)
        server.add_request_handler("tasks/list", types.PaginatedRequestParams, self.list)

    async def _own(self, ctx: ServerRequestContext[Any, Any], task_id: str) -> tuple[Caster, Cast]:
        platform = self.get_platform()
        try:
            caster = await self.resolve_caster(ctx)
            caster.require("read")
            cast = await cast_of(platform.db, caster.user_id, task_id)
        except SpellError as error:
            raise MCPError(INVALID_PARAMS, f"{error.code}: {error.detail}", {"taskId": task_id}) from None
        if not cast.queued:
            raise MCPError(INVALID_PARAMS, f"cast_not_found: {task_id} is not a task", {"taskId": task_id})
        return caster, cast

    async def get(
        self, ctx: ServerRequestContext[Any, Any], params: types.GetTaskRequestParams
    ) -> types.GetTaskResult:
        _, cast = await self._own(ctx, params.task_id)
        return types.GetTaskResult(**_task_fields(cast))

    async def result(
        self, ctx: ServerRequestContext[Any, Any], params: types.GetTaskPayloadRequestParams
    ) -> types.CallToolResult:
        """The tool's result, once the cast has finished (waiting for it meanwhile)."""
        caster, cast = await self._own(ctx, params.task_id)
        platform = self.get_platform()
        while cast.status == "running":
            await anyio.sleep(RESULT_POLL_S)
            cast = await cast_of(platform.db, caster.user_id, cast.id)
        result = self.result_of(cast, await version_of(platform.db, cast))
        result.meta = {**(result.meta or {}), RELATED_TASK: {"taskId": cast.id}}
        return result

    async def cancel(
        self, ctx: ServerRequestContext[Any, Any], params: types.CancelTaskRequestParams
    ) -> types.CancelTaskResult:
        caster, cast = await self._own(ctx, params.task_id)
        platform = self.get_platform()
        if cast.status != "running":
            raise MCPError(INVALID_PARAMS, f"task {cast.id} has already finished ({_status(cast)[0]})")
        await platform.cancel_cast(caster.user_id, cast.id)
        return types.CancelTaskResult(**_task_fields(await cast_of(platform.db, caster.user_id, cast.id)))

    async def list(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams
    ) -> types.ListTasksResult:
        """The caster's latest tasks, newest first."""
        try:
            caster = await self.resolve_caster(ctx)
            caster.require("read")
        except SpellError as error:
            raise MCPError(INVALID_PARAMS, f"{error.code}: {error.detail}") from None
        casts = await casts_of(self.get_platform().db, caster.user_id, LISTED, queued=True)
        return types.ListTasksResult(tasks=[task_of(cast) for cast in casts])
