"""Publishing through the real server (dev mode: unsigned packages are accepted and marked)."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from registry import pack_directory
from tests import wasm_modules as wat
from tests.conftest import ROOT, RunningServer
from tests.osv import GO_NET, OsvBucket, export, go_spell
from tests.registry.test_package import sparse_bomb
from tests.spellbook import spdx_sbom, write_spell

SPELL = [str(ROOT / ".venv" / "bin" / "spell")]


@pytest.fixture
def key() -> str:
    return f"com.maker{secrets.token_hex(3)}.hello"


def package(
    tmp_path: Path, key: str, output: str = '{"hello":"world"}', version: str = "1.0.0", **kw: str
) -> bytes:
    directory = write_spell(
        tmp_path / version / output.replace('"', "")[:20], key, wat.writes(output), version=version, **kw
    )
    return pack_directory(directory)


def publish(client: httpx.Client, data: bytes, bundle: bytes | None = None) -> httpx.Response:
    files = {"package": ("spell.tar", data, "application/x-tar")}
    if bundle is not None:
        files["bundle"] = ("spell.sigstore", bundle, "application/json")
    return client.post("/v1/spells", files=files)


@pytest.fixture
def maker(server: RunningServer) -> Iterator[httpx.Client]:
    with server.client(server.new_user(credits_usd="1")) as client:
        yield client


def test_a_published_spell_is_castable_at_once_and_marked_unsigned(
    server: RunningServer, maker: httpx.Client, tmp_path: Path, key: str
) -> None:
    response = publish(maker, package(tmp_path, key))
    assert response.status_code == 201, response.text
    version = response.json()["version"]
    assert (version["key"], version["version"], version["signed"], version["provenance"]) == (
        key,
        "1.0.0",
        False,
        None,
    )
    cast = maker.post(f"/v1/spells/{key}/cast", json={"input": {}})
    assert cast.status_code == 200 and cast.json()["output"] == {"hello": "world"}
    listed = {item["key"]: item for item in maker.get("/v1/spells").json()["items"]}
    assert listed[key]["signed"] is False


def test_publishing_the_same_package_again_is_idempotent(
    maker: httpx.Client, tmp_path: Path, key: str
) -> None:
    data = package(tmp_path, key)
    assert publish(maker, data).status_code == 201
    again = publish(maker, data)
    assert again.status_code == 200 and again.json()["created"] is False


def test_a_version_is_immutable(maker: httpx.Client, tmp_path: Path, key: str) -> None:
    assert publish(maker, package(tmp_path, key, '{"v":1}')).status_code == 201
    conflict = publish(maker, package(tmp_path, key, '{"v":2}'))
    assert conflict.status_code == 409 and conflict.json()["code"] == "version_conflict"


def test_a_key_belongs_to_its_first_maker(
    server: RunningServer, maker: httpx.Client, tmp_path: Path, key: str
) -> None:
    assert publish(maker, package(tmp_path, key)).status_code == 201
    with server.client(server.new_user()) as other:
        refused = publish(other, package(tmp_path, key, version="2.0.0"))
    assert refused.status_code == 403 and refused.json()["code"] == "spell_owned_by_other"


def test_latest_is_the_highest_unyanked_semver(maker: httpx.Client, tmp_path: Path, key: str) -> None:
    for number in ("1.0.0", "1.10.0", "1.2.0", "2.0.0-rc.1"):
        assert (
            publish(maker, package(tmp_path, key, f'{{"v":"{number}"}}', version=number)).status_code == 201
        )
    cast = lambda **extra: maker.post(f"/v1/spells/{key}/cast", json={"input": {}, **extra})  # noqa: E731
    # SemVer order, and a stable release wins over a later pre-release.
    assert cast().json()["output"] == {"v": "1.10.0"}
    assert cast(version="1.2.0").json()["output"] == {"v": "1.2.0"}
    versions = [v["version"] for v in maker.get(f"/v1/spells/{key}/versions").json()["items"]]
    assert versions == ["2.0.0-rc.1", "1.10.0", "1.2.0", "1.0.0"]

    yanked = maker.post(f"/v1/spells/{key}/versions/1.2.0/yank")
    assert yanked.status_code == 200 and yanked.json()["yanked"] is True
    maker.delete(f"/v1/spells/{key}/versions/1.2.0/yank")
    maker.post(f"/v1/spells/{key}/versions/1.10.0/yank")
    maker.post(f"/v1/spells/{key}/versions/1.2.0/yank")
    assert cast().json()["output"] == {"v": "1.0.0"}
    assert cast(version="1.10.0").json()["code"] == "spell_not_found"
    maker.delete(f"/v1/spells/{key}/versions/1.10.0/yank")
    assert cast().json()["output"] == {"v": "1.10.0"}
    for number in ("1.0.0", "1.10.0"):
        maker.post(f"/v1/spells/{key}/versions/{number}/yank")
    # Only a pre-release is left un-yanked: it becomes the latest.
    assert cast().json()["output"] == {"v": "2.0.0-rc.1"}


def test_only_the_maker_yanks_and_only_an_operator_suspends(
    server: RunningServer, maker: httpx.Client, tmp_path: Path, key: str
) -> None:
    assert publish(maker, package(tmp_path, key)).status_code == 201
    with server.client(server.new_user()) as stranger:
        assert stranger.post(f"/v1/spells/{key}/versions/1.0.0/yank").json()["code"] == "forbidden"
    assert maker.post(f"/v1/spells/{key}/suspend").json()["code"] == "forbidden"
    with server.client() as operator:
        assert operator.post(f"/v1/spells/{key}/suspend").status_code == 204
        assert key not in {item["key"] for item in operator.get("/v1/spells").json()["items"]}
        assert operator.post(f"/v1/spells/{key}/cast", json={"input": {}}).json()["code"] == "spell_not_found"
        assert operator.delete(f"/v1/spells/{key}/suspend").status_code == 204
    assert maker.post(f"/v1/spells/{key}/cast", json={"input": {}}).status_code == 200


def test_the_sbom_summary_lists_packages_and_licences(maker: httpx.Client, tmp_path: Path, key: str) -> None:
    assert publish(maker, package(tmp_path, key)).status_code == 201
    summary = maker.get(f"/v1/spells/{key}/sbom").json()
    assert (summary["format"], summary["packages"], summary["licences"]) == ("spdx-2.3", 1, {"MIT": 1})
    assert summary["vulnerabilities"] == {}
    provenance = maker.get(f"/v1/spells/{key}/provenance").json()
    assert provenance["signed"] is False and provenance["provenance"] is None


def hostile_tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("manifest.toml")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tar.addfile(info)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("case", "code", "needle"),
    [
        ("link", "package_invalid", "manifest.toml: links are not allowed"),
        ("gzip", "package_invalid", "uncompressed tar"),
        ("manifest", "manifest_invalid", "pricing.price_usd"),
        ("sbom", "sbom_invalid", "sbom.spdx.json"),
        ("import", "module_invalid", "env.launch_missiles"),
        ("bundle", "signature_invalid", "not a Sigstore bundle"),
    ],
)
def test_bad_packages_are_refused_with_the_rule_and_the_member(
    maker: httpx.Client, tmp_path: Path, key: str, case: str, code: str, needle: str
) -> None:
    bundle = None
    if case == "link":
        data = hostile_tar()
    elif case == "gzip":
        import gzip

        data = gzip.compress(package(tmp_path, key))
    else:
        directory = write_spell(
            tmp_path, key, wat.IMPORTS_UNKNOWN_HOST_FUNCTION if case == "import" else wat.writes("{}")
        )
        if case == "manifest":
            manifest = directory / "manifest.toml"
            manifest.write_text(manifest.read_text().replace('price_usd = "0.01"', 'price_usd = "0.0000001"'))
        if case == "sbom":
            sbom = spdx_sbom(key, "1.0.0")
            del sbom["creationInfo"]
            (directory / "sbom.spdx.json").write_text(json.dumps(sbom))
        if case == "bundle":
            bundle = b'{"mediaType": "nonsense"}'
        data = pack_directory(directory)
    refused = publish(maker, data, bundle)
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == code
    assert any(needle in problem for problem in body["problems"]), body
    assert maker.get(f"/v1/spells/{key}").json()["code"] == "spell_not_found"


def peak_rss_mib(pid: int) -> float:
    """The most memory the process has held at once (its VmHWM), in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def test_a_tar_bomb_is_refused_without_the_server_expanding_it(
    server: RunningServer, maker: httpx.Client, tmp_path: Path, key: str
) -> None:
    """A few KB whose sparse member declares 768 MiB: refused from its header, and the server's
    peak memory does not move by anything near it."""
    bomb = sparse_bomb(write_spell(tmp_path, key, wat.writes("{}")), tmp_path / "bomb.tar")
    before = peak_rss_mib(server.pid)
    refused = publish(maker, bomb)
    assert (refused.status_code, refused.json()["code"]) == (422, "package_invalid")
    assert refused.json()["problems"] == [
        "resources/big.bin: only regular files and directories are allowed, not a GNU sparse file"
    ]
    assert peak_rss_mib(server.pid) - before < 128


@pytest.mark.parametrize("shape", sorted(wat.FORBIDDEN_IMPORTS))
def test_a_module_that_could_never_run_is_refused_naming_its_import(
    maker: httpx.Client, tmp_path: Path, key: str, shape: str
) -> None:
    wasm, named = wat.FORBIDDEN_IMPORTS[shape]
    refused = publish(maker, pack_directory(write_spell(tmp_path, key, wasm)))
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == "module_invalid"
    assert any(named in problem for problem in body["problems"]), body
    assert maker.get(f"/v1/spells/{key}").json()["code"] == "spell_not_found"
    tools = {item["key"] for item in maker.get("/v1/spells").json()["items"]}
    assert key not in tools


def test_a_go_module_with_an_advisory_synced_from_osv_is_refused_at_publish(
    server: RunningServer, maker: httpx.Client, bucket: OsvBucket, tmp_path: Path, key: str
) -> None:
    """`spell vulns sync` downloads the Go export over HTTP; publish then refuses the module."""
    bucket.files["Go/all.zip"] = export(GO_NET)
    env = {**server.env, "SPELL_OSV_BASE_URL": bucket.url, "SPELL_OSV_ECOSYSTEMS": '["Go"]'}
    synced = subprocess.run([*SPELL, "vulns", "sync"], env=env, capture_output=True, text=True, timeout=60)
    assert synced.returncode == 0, synced.stderr
    assert ["Go", "updated", "1", "records"] in [line.split() for line in synced.stdout.splitlines()]
    refused = publish(maker, go_spell(tmp_path, "pkg:golang/golang.org/x/net@v0.15.0", key=key))
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "vulnerable_dependency"
    assert "GHSA-4374-p667-p6c8, rated high by the advisory" in refused.json()["problems"][0]
    fixed = publish(maker, go_spell(tmp_path, "pkg:golang/golang.org/x/net@v0.17.0", "1.0.1", key=key))
    assert fixed.status_code == 201, fixed.text


def test_makers_register_who_may_sign_their_spells(maker: httpx.Client) -> None:
    signer = {
        "identity": "https://github.com/acme/spells/.github/workflows/release.yml@refs/tags/v1.0.0",
        "issuer": "https://token.actions.githubusercontent.com",
        "repository": "acme/spells",
    }
    created = maker.post("/v1/makers/me/signers", json=signer)
    assert created.status_code == 201
    listed = maker.get("/v1/makers/me/signers").json()["items"]
    assert [s["repository"] for s in listed] == ["acme/spells"]
    assert maker.post("/v1/makers/me/signers", json={"identity": "a@b.c", "issuer": ""}).status_code == 400


def test_spell_pack_and_spell_publish_from_the_command_line(
    server: RunningServer, tmp_path: Path, key: str
) -> None:
    directory = write_spell(tmp_path, key, wat.writes('{"cli":true}'))
    server.spell("pack", str(directory), "-o", str(tmp_path / "spell.tar"))
    api_key = server.new_user()
    out = server.spell("publish", str(tmp_path / "spell.tar"), "--url", server.url, "--api-key", api_key)
    assert out.startswith(f"published: {key} 1.0.0 (unsigned")
    with server.client(api_key) as client:
        assert client.get(f"/v1/spells/{key}").status_code == 200


def test_the_published_package_can_be_fetched_back_byte_for_byte(
    maker: httpx.Client, tmp_path: Path, key: str
) -> None:
    data = package(tmp_path, key)
    version = publish(maker, data).json()["version"]
    fetched = maker.get(f"/v1/spells/{key}/versions/1.0.0/package")
    assert fetched.status_code == 200 and fetched.content == data
    assert hashlib.sha256(fetched.content).hexdigest() == version["package_sha256"]
    unsigned = maker.get(f"/v1/spells/{key}/versions/1.0.0/bundle")
    assert unsigned.status_code == 404 and unsigned.json()["code"] == "not_found"


def test_a_maker_sets_its_spells_secrets_over_rest_and_nobody_else_can(
    server: RunningServer, maker: httpx.Client, tmp_path: Path, key: str
) -> None:
    assert publish(maker, package(tmp_path, key, policy='env_vars = ["API_TOKEN"]')).status_code == 201
    assert maker.put(f"/v1/spells/{key}/secrets/API_TOKEN", json={"value": "s3cret"}).status_code == 204
    listed = maker.get(f"/v1/spells/{key}/secrets").json()["items"]
    assert [item["name"] for item in listed] == ["API_TOKEN"] and "s3cret" not in str(listed)
    bad = maker.put(f"/v1/spells/{key}/secrets/not-a-name", json={"value": "x"})
    assert bad.status_code == 400 and bad.json()["code"] == "request_invalid"
    with server.client(server.new_user()) as stranger:
        assert stranger.put(f"/v1/spells/{key}/secrets/API_TOKEN", json={"value": "mine"}).status_code == 404
        assert stranger.get(f"/v1/spells/{key}/secrets").status_code == 404
    assert maker.delete(f"/v1/spells/{key}/secrets/API_TOKEN").status_code == 204
    assert maker.delete(f"/v1/spells/{key}/secrets/API_TOKEN").status_code == 404


def test_an_operator_lists_suspended_spells_and_reinstates_them(
    server: RunningServer, maker: httpx.Client, tmp_path: Path, key: str
) -> None:
    assert publish(maker, package(tmp_path, key)).status_code == 201
    with server.client() as operator:
        assert operator.post(f"/v1/spells/{key}/suspend").status_code == 204
        assert key in [s["key"] for s in operator.get("/v1/admin/spells/suspended").json()["items"]]
        assert operator.delete(f"/v1/spells/{key}/suspend").status_code == 204
        assert key not in [s["key"] for s in operator.get("/v1/admin/spells/suspended").json()["items"]]
    assert maker.get("/v1/admin/spells/suspended").status_code == 403
