"""Files and environment: a spell sees exactly what its policy grants, and nothing of the host."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime import Limits, Mount, Policy, PolicyError, Sandbox, SpellRunError
from runtime.policy import check_domain, guest_path_for

ERRNO_NOENT = 44  # WASI errno values, as wasi-libc reports them
ERRNO_NOTCAPABLE = 76


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path / "artifacts", lambda digest: b"")
    yield box
    box.close()


@pytest.fixture
def resources(tmp_path: Path) -> Path:
    directory = tmp_path / "package" / "resources"
    directory.mkdir(parents=True)
    (directory / "words.txt").write_text("alpha\nbeta\n")
    return directory


def probe(sandbox: Sandbox, wasm: bytes, command: str, policy: Policy | None = None) -> dict[str, object]:
    result = sandbox.run(sandbox.compile(wasm), command.encode(), Limits(), policy)
    output: dict[str, object] = result.output
    return output


def test_a_granted_directory_is_readable_at_its_fixed_path(
    sandbox: Sandbox, probe_wasm: bytes, resources: Path
) -> None:
    policy = Policy(read_only=(Mount(str(resources), "/resources"),))
    assert probe(sandbox, probe_wasm, "read /resources/words.txt", policy) == {"ok": True, "bytes": 11}


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        "/resources/../../etc/passwd",
        "../etc/passwd",
        "etc/passwd",
        "/proc/self/environ",
        "/resources/../artifacts",
    ],
)
def test_nothing_else_of_the_host_is_visible(
    sandbox: Sandbox, probe_wasm: bytes, resources: Path, path: str
) -> None:
    policy = Policy(read_only=(Mount(str(resources), "/resources"),))
    assert probe(sandbox, probe_wasm, f"read {path}", policy)["ok"] is False


def test_a_granted_directory_is_read_only(sandbox: Sandbox, probe_wasm: bytes, resources: Path) -> None:
    policy = Policy(read_only=(Mount(str(resources), "/resources"),))
    assert probe(sandbox, probe_wasm, "write /resources/words.txt", policy)["ok"] is False
    assert probe(sandbox, probe_wasm, "write /resources/new.txt", policy)["ok"] is False
    assert (resources / "words.txt").read_text() == "alpha\nbeta\n"
    assert not (resources / "new.txt").exists()


def test_without_fs_write_nothing_is_writable(sandbox: Sandbox, probe_wasm: bytes) -> None:
    assert probe(sandbox, probe_wasm, "write /scratch/out.txt")["ok"] is False


def test_files_written_to_scratch_become_artifacts(sandbox: Sandbox, probe_wasm: bytes) -> None:
    result = sandbox.run(
        sandbox.compile(probe_wasm), b"write /scratch/report.txt", Limits(), Policy(scratch=True)
    )
    assert result.output == {"ok": True}
    assert [(a.name, a.data) for a in result.artifacts] == [("report.txt", b"written by probe\n")]
    assert result.usage.artifacts_bytes == len(b"written by probe\n")


def test_scratch_is_fresh_for_every_cast(sandbox: Sandbox, probe_wasm: bytes) -> None:
    digest = sandbox.compile(probe_wasm)
    sandbox.run(digest, b"write /scratch/one.txt", Limits(), Policy(scratch=True))
    second = sandbox.run(digest, b"read /scratch/one.txt", Limits(), Policy(scratch=True))
    assert second.output["ok"] is False
    assert second.artifacts == ()


def test_filling_scratch_past_the_cap_stops_the_spell(sandbox: Sandbox, probe_wasm: bytes) -> None:
    limits = Limits(max_artifact_bytes=4 * 1024 * 1024, timeout_ms=10_000)
    with pytest.raises(SpellRunError) as caught:
        sandbox.run(sandbox.compile(probe_wasm), b"fill /scratch/big.bin", limits, Policy(scratch=True))
    assert caught.value.code == "spell_artifacts_too_large"


def test_only_granted_environment_variables_are_set(
    sandbox: Sandbox, probe_wasm: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOST_SECRET", "do-not-leak")
    policy = Policy(env=(("API_TOKEN", "t0ken"),))
    assert probe(sandbox, probe_wasm, "env API_TOKEN", policy) == {"ok": True, "value": "t0ken"}
    assert probe(sandbox, probe_wasm, "env HOST_SECRET", policy) == {"ok": False}
    assert probe(sandbox, probe_wasm, "env PATH", policy) == {"ok": False}


def test_a_cast_never_sees_the_output_of_the_previous_one(sandbox: Sandbox, probe_wasm: bytes) -> None:
    digest = sandbox.compile(probe_wasm)
    sandbox.run(digest, b"env " + b"X" * 5000, Limits())
    assert json.dumps(sandbox.run(digest, b"env Y", Limits()).output) == '{"ok": false}'


@pytest.mark.parametrize(
    ("listed", "guest"), [("./resources", "/resources"), ("resources", "/resources"), ("./data/", "/data")]
)
def test_package_directories_map_to_fixed_guest_paths(listed: str, guest: str) -> None:
    assert guest_path_for(listed) == guest


@pytest.mark.parametrize("listed", ["../etc", "/etc", "./a/b", ".", "./scratch", ""])
def test_package_directories_outside_the_package_are_refused(listed: str) -> None:
    with pytest.raises(PolicyError):
        guest_path_for(listed)


@pytest.mark.parametrize(
    "domain", ["127.0.0.1", "*.example.com", "localhost", "example.com:443", "ex ample.com"]
)
def test_net_allow_takes_domain_names_only(domain: str) -> None:
    with pytest.raises(PolicyError):
        check_domain(domain)


def test_subdomains_of_an_allowed_domain_are_allowed_and_lookalikes_are_not() -> None:
    policy = Policy(net_allow=("example.com",))
    assert policy.allows_host("example.com")
    assert policy.allows_host("api.example.com")
    assert not policy.allows_host("evilexample.com")
    assert not policy.allows_host("example.com.evil.net")
