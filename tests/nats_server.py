"""A NATS server with JetStream of the test's own, which it may stop and start again (the one of
this machine, SPELL_TEST_NATS_URL, is shared and stays up)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES, free_port


def nats_server_binary() -> str:
    found = shutil.which("nats-server") or shutil.which("nats-server", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        message = "a private NATS needs the nats-server binary (Debian: nats-server)"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (SPELL_REQUIRE_SERVICES=1)")
        pytest.skip(message)
    return found


class PrivateNats:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start (again), keeping the streams stored in its directory."""
        log = open(self.directory / "nats.log", "ab")  # noqa: SIM115 - the child keeps its own copy
        with log:
            self.process = subprocess.Popen(
                [
                    nats_server_binary(),
                    "-a",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-js",
                    "-sd",
                    str(self.directory),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("nats-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def private_nats(directory: Path) -> Iterator[PrivateNats]:
    directory.mkdir(parents=True, exist_ok=True)
    server = PrivateNats(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
