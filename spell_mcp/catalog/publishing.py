"""Publishing: a maker's package and signature in, a castable, announced spell version out."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import anyio.to_thread
from sigstore.verify import Verifier

from registry import (
    BlobStore,
    CatalogError,
    CheckedVersion,
    RegistrationError,
    SpellSource,
    SpellVersion,
    check,
    record,
    signer_identities,
)
from runtime import Sandbox
from spell_mcp.accounts.keys import Caster
from spell_mcp.database.engine import Database
from spell_mcp.errors import SpellError
from spell_mcp.settings import Settings


@dataclass(frozen=True, slots=True)
class Published:
    version: SpellVersion
    # False when the very same package was already published (publishing is idempotent).
    created: bool


def refusal(error: CatalogError) -> SpellError:
    """A catalog refusal as the platform's error, with the problems a maker can fix."""
    if isinstance(error, RegistrationError):
        return SpellError(error.code, error.problems[0], problems=error.problems)
    return SpellError(error.code, str(error))


class PublishService:
    def __init__(
        self, settings: Settings, db: Database, sandbox: Sandbox, blobs: BlobStore, verifier: Verifier | None
    ) -> None:
        self.settings = settings
        self.db = db
        self.sandbox = sandbox
        self.blobs = blobs
        self.verifier = verifier

    async def publish(self, maker: Caster, package: bytes, bundle: bytes | None) -> Published:
        identities = await self.db.read(lambda session: signer_identities(session, maker.user_id))

        def check_package() -> CheckedVersion:
            source = SpellSource.from_package(package, self.settings.package_limits)
            return check(
                source,
                sandbox=self.sandbox,
                blobs=self.blobs,
                bundle=bundle,
                verifier=self.verifier,
                identities=identities,
                allow_unsigned=self.settings.dev_mode,
                licence_compatibility=self.settings.licence_table,
            )

        try:
            checked = await anyio.to_thread.run_sync(check_package)
            version, created = await self.db.write(partial(record, checked=checked, maker_id=maker.user_id))
        except CatalogError as error:
            raise refusal(error) from None
        return Published(version=version, created=created)
