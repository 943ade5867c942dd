"""`spell test`: every check publish runs, then the maker's examples cast in the same sandbox.

The checks are publish's own (`registry.check`, `registry.SpellSource`, the OSV matching of
`registry.vulns`), given a throwaway sandbox and blob store; only what needs the platform (who
may sign, who owns the key, the platform's OSV index) is left to publish. Each example in
`tests/examples.json` is cast under the spell's own limits, within the default ceilings, and its
output is compared with the expected value and checked against the output schema, as a cast's
output is.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry import (
    CheckedVersion,
    InputValidators,
    LocalBlobStore,
    PackageLimits,
    SpellSource,
    TreeCache,
    check,
)
from registry.schemas import broken_promise
from registry.vulns import Finding, declared_ecosystem, findings_for, index_keys, read_records
from runtime import Limits, Mount, Policy, Sandbox, SpellRunError
from runtime.limits import MIB

EXAMPLES = Path("tests") / "examples.json"


class ExamplesError(ValueError):
    """tests/examples.json is not a list of cases; the message says what is wrong where."""


@dataclass(frozen=True, slots=True)
class Example:
    name: str
    input: dict[str, Any]
    # The output expected, or the error code expected instead (`input_invalid`, `spell_failed`…).
    output: Any = None
    error: str | None = None
    has_output: bool = False


@dataclass(frozen=True, slots=True)
class CaseReport:
    name: str
    passed: bool
    detail: str
    duration_ms: float = 0.0
    fuel: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "detail": self.detail,
            "duration_ms": round(self.duration_ms, 3),
            "fuel": self.fuel,
        }


def read_examples(path: Path) -> list[Example]:
    """`[{"name": …, "input": {…}, "output": …}]`, or `"error": "code"` instead of `output`."""
    try:
        cases = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ExamplesError(f"{path}: not readable JSON ({exc})") from None
    if not isinstance(cases, list):
        raise ExamplesError(f"{path}: must be a JSON list of cases")
    examples = []
    for index, case in enumerate(cases):
        where = f"{path}[{index}]"
        if not isinstance(case, dict) or not isinstance(case.get("input"), dict):
            raise ExamplesError(f'{where}: each case is an object with an "input" object')
        unknown = set(case) - {"name", "input", "output", "error"}
        if unknown:
            raise ExamplesError(f"{where}: unknown field {sorted(unknown)[0]!r} (name, input, output, error)")
        if ("output" in case) == ("error" in case):
            raise ExamplesError(f'{where}: give the expected "output" or the expected "error" code')
        examples.append(
            Example(
                name=str(case.get("name") or f"case {index + 1}"),
                input=case["input"],
                output=case.get("output"),
                error=case.get("error"),
                has_output="output" in case,
            )
        )
    return examples


class Trial:
    """A throwaway sandbox and blob store in which a package is checked and its examples cast."""

    def __init__(self, workdir: Path, ceiling: Limits) -> None:
        self.blobs = LocalBlobStore(workdir / "blobs")
        self.trees = TreeCache(self.blobs, workdir / "trees")
        self.sandbox = Sandbox(workdir / "artifacts", self.blobs.get, max_concurrent_casts=2)
        self.validators = InputValidators()
        self.ceiling = ceiling

    def close(self) -> None:
        self.sandbox.close()

    def check(self, package: bytes, limits: PackageLimits | None = None) -> CheckedVersion:
        """Publish's checks, signature aside. Raises `RegistrationError` as publish would."""
        return check(
            SpellSource.from_package(package, limits),
            sandbox=self.sandbox,
            blobs=self.blobs,
            bundle=None,
            verifier=None,
            identities=[],
            allow_unsigned=True,
        )

    def limits(self, checked: CheckedVersion) -> Limits:
        asked = checked.source.manifest.runtime
        return Limits(
            timeout_ms=asked.timeout_ms,
            max_memory_bytes=asked.max_memory_mb * MIB,
            max_output_bytes=asked.max_output_mb * MIB,
        ).clamp(self.ceiling)

    def cast(self, checked: CheckedVersion, example: Example) -> CaseReport:
        manifest = checked.source.manifest
        problems = self.validators.problems(checked.module_digest, checked.source.input_schema, example.input)
        if problems:
            return self._expected(
                example, "input_invalid", f"the input does not match schema.json: {problems[0]}"
            )
        policy = Policy(
            read_only=tuple(
                Mount(str(self.trees.path(digest)), guest)
                for guest, digest in sorted(checked.resources.items())
            ),
            scratch=bool(manifest.runtime.policy.fs_write),
            net_allow=tuple(manifest.runtime.policy.net_allow),
            # As on the platform, where the seed is the cast id: each example sees a fixed world.
            seed=f"example:{example.name}".encode() if manifest.runtime.deterministic else None,
        )
        stdin = json.dumps(example.input, separators=(",", ":")).encode()
        try:
            run = self.sandbox.run(checked.module_digest, stdin, self.limits(checked), policy)
        except SpellRunError as error:
            stderr = error.stderr.decode("utf-8", "replace").strip() if error.stderr else ""
            detail = f"{error.detail}" + (f"\n      stderr: {stderr[:500]}" if stderr else "")
            return self._expected(
                example, error.code, detail, error.usage.duration_ms, error.usage.fuel_consumed
            )
        broken = broken_promise(
            self.validators,
            checked.module_digest,
            run.output,
            content=manifest.io.output_format == "content",
            output_schema=checked.source.output_schema,
        )
        usage = run.usage
        if broken is not None:
            return self._expected(
                example, "spell_output_invalid", broken, usage.duration_ms, usage.fuel_consumed
            )
        if example.error is not None:
            return CaseReport(
                example.name, False, f"expected {example.error}, but the cast succeeded", usage.duration_ms
            )
        if run.output != example.output:
            shown = json.dumps(run.output, sort_keys=True)[:500]
            wanted = json.dumps(example.output, sort_keys=True)[:500]
            return CaseReport(
                example.name,
                False,
                f"output {shown}\n      expected {wanted}",
                usage.duration_ms,
                usage.fuel_consumed,
            )
        return CaseReport(example.name, True, "output as expected", usage.duration_ms, usage.fuel_consumed)

    @staticmethod
    def _expected(
        example: Example, code: str, detail: str, duration_ms: float = 0.0, fuel: int = 0
    ) -> CaseReport:
        if example.error == code:
            return CaseReport(example.name, True, f"{code}, as expected", duration_ms, fuel)
        return CaseReport(example.name, False, f"{code}: {detail}", duration_ms, fuel)


@contextmanager
def trial(ceiling: Limits) -> Iterator[Trial]:
    with tempfile.TemporaryDirectory(prefix="spell-test-") as workdir:
        session = Trial(Path(workdir), ceiling)
        try:
            yield session
        finally:
            session.close()


def vulnerabilities(checked: CheckedVersion, osv: Path) -> list[Finding]:
    """The SBOM's known vulnerabilities in an OSV directory, matched as publish matches them."""
    index: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in read_records(osv):
        for key in index_keys(record):
            index.setdefault(key, []).append(record)

    # findings_for asks by (ecosystem, normalised name), the keys index_keys files records under.
    return findings_for(
        list(checked.sbom.components),
        lambda ecosystem, name: index.get((ecosystem, name), []),
        declared_ecosystem(checked.source.manifest.runtime.language),
    )
