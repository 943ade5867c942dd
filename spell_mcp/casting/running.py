"""A spell version in the sandbox: the input as the spell reads it, the limits and the policy it
runs under, its output checked against what the spell promises, and its artifacts kept. Casts run
through here (spell_mcp/casting/pipeline.py); a replay (spell_mcp/casting/replay.py) uses the same
input, limits and policy."""

from __future__ import annotations

import json
import threading
from typing import Any

from registry import BlobStore, InputValidators, SpellVersion, TreeCache
from registry.grants import deterministic
from registry.schemas import broken_promise
from runtime import Limits, Mount, Policy, ResourceUsage, RunResult, Sandbox, SpellRunError
from spell_mcp import strict_json
from spell_mcp.casting.context import CastContext
from spell_mcp.errors import SpellError
from spell_mcp.settings import MIB, Settings

# What a run gives: the sandbox's result, and the artifacts it kept (name, size, sha256).
Ran = tuple[RunResult, list[dict[str, Any]]]


def input_json_of(arguments: Any) -> bytes:
    """A cast's input as the spell reads it, and as its receipt's `input_sha256` hashes it."""
    if not isinstance(arguments, dict):
        raise SpellError("input_invalid", "the input must be a JSON object")
    try:
        strict_json.check(arguments)
    except strict_json.NotStrictJSON as exc:
        raise SpellError("input_invalid", f"the input is not acceptable JSON: {exc}") from None
    return json.dumps(arguments, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def is_content(spell: SpellVersion) -> bool:
    """The spell writes a content document (registry/content.py) rather than a bare value."""
    return bool(spell.manifest.get("io", {}).get("output_format") == "content")


def limits_of(version: SpellVersion, settings: Settings) -> Limits:
    runtime = version.manifest["runtime"]
    ceiling = settings.operator_ceiling
    return Limits(
        timeout_ms=runtime["timeout_ms"],
        max_memory_bytes=runtime["max_memory_mb"] * MIB,
        max_output_bytes=runtime["max_output_mb"] * MIB,
        max_input_bytes=settings.max_input_bytes,
        fuel=settings.fuel_per_cast,
        max_artifact_bytes=ceiling.max_artifact_bytes,
        max_artifacts=ceiling.max_artifacts,
    ).clamp(ceiling)


def policy_of(
    version: SpellVersion, trees: TreeCache, env: tuple[tuple[str, str], ...], cast_id: str
) -> Policy:
    """What this version may touch: its package directories, scratch, secrets, domains; and,
    for a deterministic spell, the seed of its clocks and random source: the cast id, so a
    replay of the cast sees the same world."""
    granted = version.manifest["runtime"]["policy"]
    return Policy(
        read_only=tuple(
            Mount(str(trees.path(digest)), guest) for guest, digest in sorted(version.resources.items())
        ),
        scratch=bool(granted["fs_write"]),
        env=env,
        net_allow=tuple(granted["net_allow"]),
        seed=cast_id.encode() if deterministic(version) else None,
    )


class SpellRunner:
    def __init__(
        self,
        settings: Settings,
        sandbox: Sandbox,
        blobs: BlobStore,
        trees: TreeCache,
        validators: InputValidators,
    ) -> None:
        self.settings = settings
        self.sandbox = sandbox
        self.blobs = blobs
        self.trees = trees
        self.validators = validators

    def run(
        self, cast: CastContext, env: tuple[tuple[str, str], ...], stop: threading.Event | None = None
    ) -> Ran:
        """In a worker thread: run the cast's spell with the granted `env`, check its output, keep
        its artifacts. `stop`, once set, stops the spell at its next watchdog tick."""
        spell = cast.spell
        run = self.sandbox.run(
            spell.module_digest,
            cast.input_json,
            limits_of(spell, self.settings),
            policy_of(spell, self.trees, env, cast.cast_id),
            stop=stop,
        )
        self._check_output(spell, run.output, run.usage)
        artifacts = [
            {"name": artifact.name, "size": len(artifact.data), "sha256": self.blobs.put(artifact.data)}
            for artifact in run.artifacts
        ]
        return run, artifacts

    def _check_output(self, spell: SpellVersion, output: Any, usage: ResourceUsage) -> None:
        """The output keeps the spell's promises (registry/schemas.py: broken_promise)."""
        broken = broken_promise(
            self.validators, spell.id, output, content=is_content(spell), output_schema=spell.output_schema
        )
        if broken is not None:
            raise SpellRunError("spell_output_invalid", broken, usage)
