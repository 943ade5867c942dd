"""SQLite's WAL checkpoints, off the request path.

By default the connection whose commit takes the write-ahead log past 1000 pages copies the log
back into the database and syncs it: that cast waits several milliseconds, one in every fifty or
so. Here every connection of the platform has automatic checkpoints off, and one thread per
process checkpoints twice a second instead (PASSIVE: it never blocks a reader or a writer). Pages
written many times between two checkpoints are copied once. A process that never starts this
thread (a CLI command) still checkpoints when its last connection closes, as SQLite always does.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

log = logging.getLogger("spell.database")
INTERVAL_S = 0.5
# Every connection of the platform: no checkpoint in the middle of someone's commit.
NO_AUTOMATIC_CHECKPOINTS = "PRAGMA wal_autocheckpoint=0"


class Checkpointer:
    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        connection = None
        while connection is None:
            try:
                connection = self._connect()
            except sqlite3.Error as exc:  # locked by a migration or a schema change: later
                log.debug("checkpoint connection not open yet: %s", exc)
                if self._stopped.wait(INTERVAL_S):
                    return
        try:
            while not self._stopped.wait(INTERVAL_S):
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # busy (another process checkpoints), or gone
                    log.debug("checkpoint skipped: %s", exc)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
