"""Running a cast again, to check its receipt: the exact module, the caster's own input and the
cast's seed, in the same sandbox. Free, recorded nowhere, and only for deterministic spells,
whose clocks and random source the sandbox fixes from the cast id (runtime/determinism.py).

A replay is a cast in all but money: it obeys what stops casts (a suspended spell, a yanked or
delisted version). It never receives the maker's secrets: a deterministic spell's output depends
only on its input and files, and a replay that handed out the secrets would let a caster use
them again, free, for as long as the cast is kept. So a spell that reads secrets is not replayed
at all (its output may depend on them, and without them a replay could not tell a faithful
receipt from a false one)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from sqlalchemy.orm import Session

from billing.receipts import digest_of
from registry import SpellVersion
from registry.grants import deterministic, grants_of
from registry.models import Spell
from runtime import ResourceUsage, SpellRunError
from spell_mcp.accounts.keys import Caster
from spell_mcp.casting import records
from spell_mcp.casting.running import input_json_of, limits_of, policy_of
from spell_mcp.database.tables import Cast
from spell_mcp.errors import SpellError

if TYPE_CHECKING:
    from spell_mcp.casting.service import CastService


@dataclass(frozen=True, slots=True)
class Replay:
    cast_id: str
    spell_key: str
    spell_version: str
    module_digest: str
    input_sha256: str
    # What the receipt says the cast returned, and what the replay returned.
    output_sha256: str
    replayed_output_sha256: str | None
    output: Any
    usage: ResourceUsage
    # Set when the replay failed where the cast had succeeded: that is the answer, a mismatch.
    error_code: str | None = None

    @property
    def matches(self) -> bool:
        return self.output_sha256 == self.replayed_output_sha256


async def replay(service: CastService, caster: Caster, cast_id: str, arguments: Any) -> Replay:
    """Replay one of `caster`'s successful casts with `arguments`, which must hash to the
    input its receipt names. Admitted like a cast (the key's in-flight cap, the server's queue
    bound), since a replay costs the same CPU; charged to nobody."""
    cast, spell = await service.db.read(partial(_replayable, caster.user_id, cast_id))
    input_json = input_json_of(arguments)
    input_sha256 = hashlib.sha256(input_json).hexdigest()
    if input_sha256 != cast.input_sha256:
        raise SpellError(
            "input_mismatch",
            f"this input hashes to {input_sha256}; cast {cast_id} was given {cast.input_sha256}: "
            "send its exact input, keys in the same order",
        )
    # Only the sandbox, with no secrets: no output check and no artifact kept, since nothing of a
    # replay is.
    run = partial(
        service.sandbox.run,
        spell.module_digest,
        input_json,
        limits_of(spell, service.settings),
        policy_of(spell, service.trees, (), cast_id),
    )
    async with service.limits.casting(caster, queued=service.threads.waiting):
        try:
            ran = await anyio.to_thread.run_sync(run, limiter=service.threads.limiter)
        except SpellRunError as failure:
            # A cast that succeeded once and fails now is itself the answer: it did not replay.
            return Replay(
                cast_id, spell.spell_key, spell.version, spell.module_digest, input_sha256,
                _receipted_output(cast), None, None, failure.usage, failure.code,
            )  # fmt: skip
    return Replay(
        cast_id,
        spell.spell_key,
        spell.version,
        spell.module_digest,
        input_sha256,
        _receipted_output(cast),
        digest_of(ran.output),
        ran.output,
        ran.usage,
    )


def _receipted_output(cast: Cast) -> str:
    return str((cast.receipt or {})["receipt"]["output_sha256"])


def _replayable(caster_id: str, cast_id: str, session: Session) -> tuple[Cast, SpellVersion]:
    cast = records.own_cast(caster_id, cast_id, session)
    if cast.status != "succeeded" or not cast.receipt:
        raise SpellError("replay_unavailable", f"cast {cast_id} did not succeed: there is no output to check")
    spell = records.version_cast(cast, session)
    if spell is None or spell.module_digest != cast.module_digest:
        raise SpellError("replay_unavailable", f"the module cast {cast_id} ran is no longer here")
    named = f"{spell.spell_key} {spell.version}"
    if not deterministic(spell):
        raise SpellError(
            "replay_unavailable",
            f"{named} is not deterministic: its clocks, random source or network may differ on "
            "every run, so its casts cannot be replayed",
        )
    if (stopped := _stopped(session, spell)) is not None:
        raise SpellError("replay_unavailable", f"{named} {stopped}: nothing of it runs, replays included")
    if grants_of(spell).secrets:
        raise SpellError(
            "replay_unavailable",
            f"{named} reads its maker's secrets, which a replay never receives: its output may "
            "depend on them, so its casts cannot be replayed",
        )
    return cast, spell


def _stopped(session: Session, spell: SpellVersion) -> str | None:
    """Why casts of this version are refused (as transactions.begin refuses them), if they are."""
    listed = session.get(Spell, spell.spell_key)
    if listed is None or listed.status != "active":
        return "is suspended"
    if spell.yanked:
        return "was yanked by its maker"
    if spell.delisted:
        return "was delisted for a vulnerable dependency"
    return None
