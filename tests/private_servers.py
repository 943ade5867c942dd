"""Servers of a test's own, which it may stop and start again, kill the clients of, or empty:
NATS with JetStream and Redis. (The ones of this machine, SPELL_TEST_NATS_URL and
SPELL_TEST_REDIS_URL, are shared by every test process and stay up.)"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from tests.conftest import REQUIRE_SERVICES, free_port


def binary(name: str, package: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if found is None:
        message = f"a private server needs the {name} binary (Debian: {package})"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (SPELL_REQUIRE_SERVICES=1)")
        pytest.skip(message)
    return found


class PrivateServer:
    """A server process listening on a port of its own, logging into `directory`."""

    name = "server"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        """Start (again), keeping what it stores in its directory."""
        log = open(self.directory / f"{self.name}.log", "ab")  # noqa: SIM115 - the child keeps its own copy
        with log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


S = TypeVar("S", bound=PrivateServer)


class PrivateNats(PrivateServer):
    name = "nats"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        server = binary("nats-server", "nats-server")
        return [server, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.directory)]


class PrivateRedis(PrivateServer):
    name = "redis"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        server = binary("redis-server", "redis-server")
        options = ["--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        return [server, *options, "--dir", str(self.directory)]


@contextmanager
def running(server: S) -> Iterator[S]:
    server.directory.mkdir(parents=True, exist_ok=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def private_nats(directory: Path) -> AbstractContextManager[PrivateNats]:
    return running(PrivateNats(directory))


def private_redis(directory: Path) -> AbstractContextManager[PrivateRedis]:
    return running(PrivateRedis(directory))
