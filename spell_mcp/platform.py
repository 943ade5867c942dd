"""Everything one server process holds: settings, database, blob store, sandbox, cast service."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from registry import LocalBlobStore
from runtime import Sandbox
from spell_mcp.casting import CastService
from spell_mcp.settings import Settings
from spell_mcp.storage import create_engine, migrate, session_factory


@dataclass
class Platform:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    blobs: LocalBlobStore
    sandbox: Sandbox
    casts: CastService

    @classmethod
    async def open(cls, settings: Settings) -> Platform:
        settings.home.mkdir(parents=True, exist_ok=True)
        engine = create_engine(settings.resolved_database_url())
        await migrate(engine)
        sessions = session_factory(engine)
        blobs = LocalBlobStore(settings.home / "blobs")
        sandbox = Sandbox(settings.home / "artifacts", blobs.get)
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            blobs=blobs,
            sandbox=sandbox,
            casts=CastService(settings, sessions, sandbox),
        )

    async def close(self) -> None:
        self.sandbox.close()
        await self.engine.dispose()
