"""Everything one server process holds: settings, database, blob store, sandbox, cast service."""

from __future__ import annotations

from dataclasses import dataclass

from billing import Ledger
from registry import LocalBlobStore
from runtime import Sandbox
from spell_mcp.casting import CastService
from spell_mcp.settings import Settings
from spell_mcp.storage import Database


@dataclass
class Platform:
    settings: Settings
    db: Database
    blobs: LocalBlobStore
    sandbox: Sandbox
    casts: CastService

    @classmethod
    async def open(cls, settings: Settings) -> Platform:
        settings.home.mkdir(parents=True, exist_ok=True)
        db = Database(settings.resolved_database_url())
        await db.migrate()
        await db.write(lambda session: Ledger(session).open_platform_accounts())
        blobs = LocalBlobStore(settings.home / "blobs")
        sandbox = Sandbox(settings.home / "artifacts", blobs.get)
        return cls(
            settings=settings, db=db, blobs=blobs, sandbox=sandbox, casts=CastService(settings, db, sandbox)
        )

    async def close(self) -> None:
        self.sandbox.close()
        await self.db.dispose()
