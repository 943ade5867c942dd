"""Queued casts on NATS JetStream, for servers and workers on any number of hosts.

The stream is a work queue (a message is gone once acknowledged) whose messages are published
with the cast id as `Nats-Msg-Id`, so a publish retried within the duplicate window is stored
once. Workers share one durable pull consumer: each message goes to one worker at a time, which
says it is still working every third of the ack wait, and acknowledges it once the cast is
settled or recorded as failed. A worker that dies leaves its messages unacknowledged: JetStream
gives them to another worker after the ack wait, which runs the cast again only if it is still
running with its hold pending (CastService.resume), so a cast is never charged twice.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable

import anyio
import nats
import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from spell_mcp.casting.held import HeldCast, NewerFormat
from spell_mcp.casting.service import CastService
from spell_mcp.errors import SpellError
from spell_mcp.queueing.submitting import QueueUnavailable
from spell_mcp.settings import Settings

log = logging.getLogger("spell.queue")
CONSUMER = "workers"
# A publish retried within this window is stored once.
DUPLICATE_WINDOW_S = 120
PUBLISH_TIMEOUT_S = 5.0
# How long one fetch waits for messages (and so how soon a stopping worker notices).
FETCH_WAIT_S = 2.0
# A cast whose run broke (the database unreachable, say) is offered again after this.
RETRY_DELAY_S = 5.0


class JetStreamQueue:
    def __init__(self, client: Client, stream: str, *, ack_wait_s: int) -> None:
        self.client = client
        self.js: JetStreamContext = client.jetstream(timeout=PUBLISH_TIMEOUT_S)
        self.stream = stream
        self.subject = f"{stream}.queued"
        self.ack_wait_s = ack_wait_s
        # The casts this process runs: a copy delivered meanwhile is left to that run.
        self._running: set[str] = set()

    @classmethod
    async def connect(cls, settings: Settings, *, role: str = "server") -> JetStreamQueue:
        """Connected to SPELL_NATS_URL (reconnecting for ever after), with the stream created if
        it is missing."""
        assert settings.nats_url is not None
        client = await nats.connect(
            settings.nats_url,
            name=f"spell {role} {socket.gethostname()}",
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=5,
            error_cb=_log_error,
            disconnected_cb=_disconnected,
            reconnected_cb=_reconnected,
        )
        queue = cls(client, settings.nats_stream, ack_wait_s=settings.queue_ack_wait_s)
        try:
            await queue.js.stream_info(settings.nats_stream)
        except NotFoundError:
            try:
                await queue.js.add_stream(
                    StreamConfig(
                        name=settings.nats_stream,
                        subjects=[queue.subject],
                        retention=RetentionPolicy.WORK_QUEUE,
                        storage=StorageType.FILE,
                        duplicate_window=min(DUPLICATE_WINDOW_S, settings.hold_ttl_s),
                        # Older than its hold, a queued cast can only be found gone.
                        max_age=settings.hold_ttl_s,
                    )
                )
            except nats.errors.Error:
                # Another process created it meanwhile; if nobody did, this says why.
                await queue.js.stream_info(settings.nats_stream)
        return queue

    async def put(self, held: HeldCast) -> None:
        data = held.encode()
        if len(data) > self.client.max_payload:
            raise SpellError(
                "input_too_large",
                f"a queued cast's input may be at most about {self.client.max_payload - 1024} bytes; "
                "cast without respond-async",
            )
        try:
            await self.js.publish(self.subject, data, headers={"Nats-Msg-Id": held.cast_id})
        except nats.errors.Error as exc:
            log.warning("could not queue cast %s: %s", held.cast_id, exc)
            raise QueueUnavailable(str(exc)) from None

    async def consume(self, casts: CastService, workers: int, stopping: anyio.Event) -> None:
        """Run queued casts, `workers` at a time, until `stopping` is set; then finish the casts
        running (what is not acknowledged goes to another worker)."""
        subscription = await self.js.pull_subscribe(
            self.subject,
            durable=CONSUMER,
            stream=self.stream,
            config=ConsumerConfig(
                durable_name=CONSUMER,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=self.ack_wait_s,
                max_deliver=-1,
                max_ack_pending=-1,
            ),
        )
        slots = anyio.Semaphore(workers)
        async with anyio.create_task_group() as running:
            while not stopping.is_set():
                await slots.acquire()
                try:
                    # As many as there are free slots: the one just taken and those still free.
                    messages = await subscription.fetch(1 + slots.value, timeout=FETCH_WAIT_S)
                except TimeoutError:  # nothing came (nats-py raises asyncio's as well as its own)
                    slots.release()
                    continue
                except Exception as exc:  # NATS is away or restarting: the client reconnects
                    slots.release()
                    log.warning("could not fetch queued casts: %s", exc or type(exc).__name__)
                    await anyio.sleep(1)
                    continue
                for index, message in enumerate(messages):
                    if index:
                        slots.acquire_nowait()
                    running.start_soon(self._handle, casts, message, slots)
                if not messages:
                    slots.release()

    async def _handle(self, casts: CastService, message: Msg, slots: anyio.Semaphore) -> None:
        try:
            try:
                held = HeldCast.decode(message.data)
            except NewerFormat as exc:  # during a rolling upgrade: left for an upgraded worker
                log.warning("left a queued cast for a newer worker: %s", exc)
                await _settle_message(lambda: message.nak(delay=RETRY_DELAY_S))
                return
            except ValueError as exc:
                log.error("dropped a queued message that is not a held cast: %s", str(exc)[:200])
                await _settle_message(message.term)
                return
            if held.cast_id in self._running:
                await _settle_message(message.ack)
                return
            self._running.add(held.cast_id)
            try:
                await self._run(casts, held, message)
            finally:
                self._running.discard(held.cast_id)
        finally:
            slots.release()

    async def _run(self, casts: CastService, held: HeldCast, message: Msg) -> None:
        async with anyio.create_task_group() as beating:
            beating.start_soon(self._still_working, message)
            try:
                outcome = await casts.resume(held)
            except Exception:
                log.exception("queued cast %s broke; it is offered again", held.cast_id)
                await _settle_message(lambda: message.nak(delay=RETRY_DELAY_S))
            else:
                log.info("queued cast %s: %s", held.cast_id, outcome)
                await _settle_message(message.ack)
            finally:
                beating.cancel_scope.cancel()

    async def _still_working(self, message: Msg) -> None:
        while True:
            await anyio.sleep(self.ack_wait_s / 3)
            await _settle_message(message.in_progress)

    async def close(self) -> None:
        # close, not drain: draining a connection with a pull subscription waits for ever.
        # What was published or acknowledged has been answered already.
        await self.client.close()


async def _settle_message(action: Callable[[], Awaitable[None]]) -> None:
    """Acknowledge (or not) a message; if NATS cannot be told, the message is delivered again
    and found gone."""
    try:
        await action()
    except nats.errors.Error as exc:
        log.warning("could not tell NATS about a queued cast: %s", exc)


async def _log_error(exc: Exception) -> None:
    log.warning("NATS: %s", exc)


async def _disconnected() -> None:
    log.warning("NATS: disconnected")


async def _reconnected() -> None:
    log.warning("NATS: reconnected")
