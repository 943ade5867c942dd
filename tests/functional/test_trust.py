"""What an agent, and the person behind it, can check without taking the platform's word: the
provenance of every tool and of every result, casts replayed to their receipts, and versions
that ask for more waiting for the person's consent. A real server that accepts only signed
packages, against a private Sigstore."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from registry import pack_directory, tool_name
from tests import wasm_modules as wat
from tests.conftest import ROOT, RunningServer, running_servers
from tests.functional.test_mcp import GENERATIONS, http_client, meta
from tests.private_sigstore import PrivateSigstore
from tests.spellbook import write_spell

IDENTITY, ISSUER = "maker@acme.example", "https://accounts.acme.example"


@dataclass
class Platform:
    server: RunningServer
    sigstore: PrivateSigstore
    maker: httpx.Client
    base: Path

    def publish(self, key: str, wasm: bytes, *, version: str = "1.0.0", **manifest: Any) -> dict[str, Any]:
        folder = write_spell(self.base / key / version, key, wasm, version=version, **manifest)
        data = pack_directory(folder)
        files = {
            "package": ("spell.tar", data, "application/x-tar"),
            "bundle": ("spell.sigstore", self.sigstore.sign(data, IDENTITY, ISSUER), "application/json"),
        }
        published = self.maker.post("/v1/spells", files=files)
        assert published.status_code == 201, published.text
        version_info: dict[str, Any] = published.json()["version"]
        version_info["sbom_sha256"] = hashlib.sha256((folder / "sbom.spdx.json").read_bytes()).hexdigest()
        return version_info

    def caster(self, credits_usd: str = "1") -> httpx.Client:
        return self.server.client(self.server.new_user(credits_usd))


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory, built_spells: Path, probe_wasm: bytes
) -> Iterator[Platform]:
    base = tmp_path_factory.mktemp("trust")
    sigstore = PrivateSigstore(base)
    signed_only = {"SPELL_DEV_MODE": "0", "SPELL_TRUST_ROOT": str(sigstore.trusted_root)}
    with running_servers(base, built_spells, probe_wasm, extra_env=signed_only) as (server,):
        maker = server.client(server.new_user("0"))
        try:
            signer = maker.post("/v1/makers/me/signers", json={"identity": IDENTITY, "issuer": ISSUER})
            assert signer.status_code == 201, signer.text
            yield Platform(server, sigstore, maker, base)
        finally:
            maker.close()


@pytest.fixture(scope="module")
def fetcher(platform: Platform) -> dict[str, Any]:
    """A signed spell that may reach a domain and read a secret."""
    policy = 'net_allow = ["api.example.com"]\nenv_vars = ["API_TOKEN"]'
    return platform.publish(
        "com.acme.fetcher", wat.writes('{"fetched":true}'), policy=policy, price_usd="0.002"
    )


def expect_provenance(entries: dict[str, Any], published: dict[str, Any]) -> None:
    signer = published["provenance"]
    assert entries["dev.spell/key"] == published["key"]
    assert entries["dev.spell/version"] == published["version"]
    assert entries["dev.spell/price_micros"] == published["price"]["micros"]
    assert entries["dev.spell/module_digest"] == published["module_digest"]
    assert entries["dev.spell/package_sha256"] == published["package_sha256"]
    assert entries["dev.spell/signed"] is True
    assert entries["dev.spell/signer"]["identity"] == IDENTITY == signer["identity"]
    assert entries["dev.spell/signer"]["issuer"] == ISSUER
    assert entries["dev.spell/signer"]["rekor_log_index"] == signer["rekor_log_index"]
    sbom = entries["dev.spell/sbom"]
    assert (sbom["format"], sbom["sha256"]) == ("spdx-2.3", published["sbom_sha256"])
    assert sbom["vulnerabilities"] == {"critical": 0, "high": 0, "medium": 0, "low": 0, "unknown": 0}
    assert sbom["scanned_at"]


@pytest.mark.parametrize("mode", GENERATIONS)
async def test_tools_and_their_results_carry_the_provenance_of_the_version_that_ran(
    platform: Platform, fetcher: dict[str, Any], mode: str
) -> None:
    key = platform.server.new_user("1")
    async with http_client(platform.server, key, mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        tool = tools[tool_name("com.acme.fetcher")]
        result = await client.call_tool(tool.name, {})
    listed = tool.meta or {}
    expect_provenance(listed, fetcher)
    assert listed["dev.spell/policy"] == {
        "domains": ["api.example.com"],
        "secrets": ["API_TOKEN"],
        "files": {"read": [], "write": []},
        "price_micros": 2000,
        "deterministic": False,
    }
    assert not result.is_error
    ran = meta(result)
    expect_provenance(ran, fetcher)
    assert ran["dev.spell/policy"] == listed["dev.spell/policy"]
    receipt = ran["dev.spell/receipt"]["receipt"]
    assert receipt["cast_id"] == ran["dev.spell/cast_id"]
    assert receipt["spell"]["module_digest"] == fetcher["module_digest"]


@pytest.fixture(scope="module")
def dice(platform: Platform) -> dict[str, Any]:
    """A deterministic spell that reads the clocks and the random source."""
    return platform.publish(
        "com.acme.dice", wat.reads_clock_and_random(), deterministic=True, price_usd="0.001"
    )


def test_a_deterministic_cast_replays_to_its_receipt_and_costs_nothing(
    platform: Platform, dice: dict[str, Any]
) -> None:
    with platform.caster() as caster:
        first = caster.post("/v1/spells/com.acme.dice/cast", json={"input": {"sides": 6, "n": 3}}).json()
        second = caster.post("/v1/spells/com.acme.dice/cast", json={"input": {"sides": 6, "n": 3}}).json()
        # Each cast has its own seed: the same input, other random bytes.
        assert first["output"] != second["output"]
        balance = caster.get("/v1/users/me/balance").json()["available"]["micros"]
        replays = [
            caster.post(f"/v1/casts/{first['cast_id']}/replay", json={"input": {"sides": 6, "n": 3}}).json()
            for _ in range(100)
        ]
        assert caster.get("/v1/users/me/balance").json()["available"]["micros"] == balance
    receipt = first["receipt"]["receipt"]
    for replay in replays:
        assert replay["matches"] is True, replay
        assert replay["output"] == first["output"]
        assert replay["replayed_output_sha256"] == replay["output_sha256"] == receipt["output_sha256"]
        assert (replay["module_digest"], replay["input_sha256"]) == (
            dice["module_digest"],
            receipt["input_sha256"],
        )


def test_a_replay_needs_the_exact_input_and_a_deterministic_spell_of_ones_own(
    platform: Platform, dice: dict[str, Any], fetcher: dict[str, Any]
) -> None:
    with platform.caster() as caster, platform.caster() as stranger:
        cast = caster.post("/v1/spells/com.acme.dice/cast", json={"input": {"sides": 6, "n": 3}}).json()
        replay = f"/v1/casts/{cast['cast_id']}/replay"
        for tampered in ({"sides": 6, "n": 4}, {"n": 3, "sides": 6}):
            refused = caster.post(replay, json={"input": tampered})
            assert (refused.status_code, refused.json()["code"]) == (422, "input_mismatch")
        assert "exact input" in refused.json()["detail"]
        hidden = stranger.post(replay, json={"input": {"sides": 6, "n": 3}})
        assert (hidden.status_code, hidden.json()["code"]) == (404, "cast_not_found")
        other = caster.post("/v1/spells/com.acme.fetcher/cast", json={"input": {}}).json()
        refused = caster.post(f"/v1/casts/{other['cast_id']}/replay", json={"input": {}})
        assert (refused.status_code, refused.json()["code"]) == (409, "replay_unavailable")
        assert "not deterministic" in refused.json()["detail"]


def test_a_replay_runs_nothing_that_a_cast_could_not(platform: Platform) -> None:
    """Suspended spells and yanked versions do not run, replays included, and a spell that reads
    its maker's secrets is never replayed: a replay never receives them."""
    dice = {"sides": 6, "n": 3}
    platform.publish(
        "com.acme.dice-yanked", wat.reads_clock_and_random(), deterministic=True, price_usd="0.001"
    )
    platform.publish(
        "com.acme.dice-banned", wat.reads_clock_and_random(), deterministic=True, price_usd="0.001"
    )
    platform.publish(
        "com.acme.dice-keyed",
        wat.reads_clock_and_random(),
        deterministic=True,
        price_usd="0.001",
        policy='env_vars = ["API_TOKEN"]',
    )
    secret = platform.maker.put("/v1/spells/com.acme.dice-keyed/secrets/API_TOKEN", json={"value": "s3cret"})
    assert secret.status_code in (200, 204), secret.text
    operator = platform.server.client(platform.server.new_user(operator=True))
    with platform.caster() as caster, operator:
        casts = {
            key: caster.post(f"/v1/spells/{key}/cast", json={"input": dice}).json()["cast_id"]
            for key in ("com.acme.dice-yanked", "com.acme.dice-banned", "com.acme.dice-keyed")
        }
        assert platform.maker.post("/v1/spells/com.acme.dice-yanked/versions/1.0.0/yank").status_code == 200
        assert operator.post("/v1/spells/com.acme.dice-banned/suspend").status_code == 204
        balance = caster.get("/v1/users/me/balance").json()["available"]["micros"]
        for key, why in [
            ("com.acme.dice-yanked", "yanked"),
            ("com.acme.dice-banned", "suspended"),
            ("com.acme.dice-keyed", "secrets"),
        ]:
            refused = caster.post(f"/v1/casts/{casts[key]}/replay", json={"input": dice})
            assert (refused.status_code, refused.json()["code"]) == (409, "replay_unavailable"), key
            assert why in refused.json()["detail"]
        assert caster.get("/v1/users/me/balance").json()["available"]["micros"] == balance


def command_line(platform: Platform, cwd: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`spell` as a new caster with $1 of credits would run it."""
    server = platform.server
    env = {**server.env, "SPELL_API_KEY": server.new_user("1"), "SPELL_URL": server.url}

    def spell(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(ROOT / ".venv" / "bin" / "spell"), *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=cwd)

    return spell


def test_the_command_line_replays_a_saved_receipt(
    platform: Platform, dice: dict[str, Any], tmp_path: Path
) -> None:
    spell = command_line(platform, tmp_path)

    assert (
        spell("cast", "com.acme.dice", "--input", '{"sides": 20}', "--receipt", "receipt.json").returncode
        == 0
    )
    (tmp_path / "input.json").write_text('{"sides": 20}')
    done = spell("receipt", "replay", "receipt.json", "--input", "input.json")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("MATCHES cast_"), done.stdout
    (tmp_path / "other.json").write_text('{"sides": 12}')
    refused = spell("receipt", "replay", "receipt.json", "--input", "other.json")
    assert refused.returncode == 1
    assert "does not hash to the receipt's input_sha256" in refused.stderr


def test_a_version_that_asks_for_more_waits_for_the_casters_consent(platform: Platform) -> None:
    key, path = "com.acme.pinned", "/v1/spells/com.acme.pinned"
    platform.publish(key, wat.writes('{"v":1}'), version="1.0.0", price_usd="0.001")
    with platform.caster() as regular, platform.caster() as newcomer:
        assert regular.post(f"{path}/cast", json={"input": {}}).json()["output"] == {"v": 1}
        wider = 'net_allow = ["api.example.com"]'
        platform.publish(key, wat.writes('{"v":2}'), version="2.0.0", price_usd="0.002", policy=wider)

        # The caster who used 1.0.0 keeps it; the detail says what 2.0.0 adds.
        kept = regular.post(f"{path}/cast", json={"input": {}}).json()
        assert (kept["spell_version"], kept["output"]) == ("1.0.0", {"v": 1})
        pinned = regular.get(path).json()["pinned"]
        assert (pinned["version"], pinned["latest"]) == ("1.0.0", "2.0.0")
        assert pinned["widened"] == [
            "reaches api.example.com over the network",
            "costs $0.002 per cast instead of $0.001",
        ]
        asked = regular.post(f"{path}/cast", json={"input": {}, "version": "2.0.0"})
        assert (asked.status_code, asked.json()["code"]) == (409, "consent_required")
        assert asked.json()["widened"] == pinned["widened"]
        # Someone who never used it accepted nothing: they are served the latest.
        assert newcomer.post(f"{path}/cast", json={"input": {}}).json()["spell_version"] == "2.0.0"
        assert newcomer.get(path).json()["pinned"] is None

        # An agent's key (cast and read) cannot consent for the person.
        agent = regular.post("/v1/keys", json={"name": "agent", "scopes": ["cast", "read"]}).json()["key"]
        with platform.server.client(agent) as agent_client:
            refused = agent_client.post(f"{path}/accept", json={})
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
        accepted = regular.post(f"{path}/accept", json={})
        assert accepted.status_code == 200, accepted.text
        assert (accepted.json()["version"], accepted.json()["widened"]) == ("2.0.0", pinned["widened"])
        assert regular.post(f"{path}/cast", json={"input": {}}).json()["spell_version"] == "2.0.0"
        assert regular.get(path).json()["pinned"] is None

        # A version that only narrows moves on without asking.
        platform.publish(key, wat.writes('{"v":3}'), version="3.0.0", price_usd="0.001")
        assert regular.post(f"{path}/cast", json={"input": {}}).json()["spell_version"] == "3.0.0"
        trail = regular.get("/v1/users/me/audit").json()["items"]
    accepted_events = [event for event in trail if event["action"] == "spell.accepted"]
    assert [(event["target_id"], event["details"]["version"]) for event in accepted_events] == [
        (key, "2.0.0")
    ]


def test_the_command_line_shows_what_waits_and_accepts_it(platform: Platform, tmp_path: Path) -> None:
    key = "com.acme.pinned-cli"
    platform.publish(key, wat.writes('{"v":1}'), version="1.0.0", price_usd="0.001")
    spell = command_line(platform, tmp_path)
    assert spell("cast", key).returncode == 0
    platform.publish(
        key, wat.writes('{"v":2}'), version="2.0.0", price_usd="0.001", policy='fs_write = ["/scratch"]'
    )
    shown = spell("spells", "show", key).stdout
    assert "you are served 1.0.0: 2.0.0 waits for you to accept that it\n  writes files at /scratch" in shown
    assert spell("cast", key).stdout.strip() == '{\n  "v": 1\n}'
    accepted = spell("spells", "accept", key)
    assert accepted.stdout == f"accepted {key} 2.0.0\n  it writes files at /scratch\n", accepted.stderr
    assert spell("cast", key).stdout.strip() == '{\n  "v": 2\n}'
    assert "waits" not in spell("spells", "show", key).stdout


@pytest.mark.parametrize("mode", GENERATIONS)
async def test_mcp_serves_the_version_a_caster_knows_and_says_what_waits(
    platform: Platform, mode: str
) -> None:
    key = f"com.acme.pinned-{mode}"
    platform.publish(key, wat.writes('{"v":1}'), version="1.0.0", price_usd="0.001")
    caster = platform.server.new_user("1")
    async with http_client(platform.server, caster, mode) as client:
        assert not (await client.call_tool(tool_name(key), {})).is_error
        platform.publish(
            key, wat.writes('{"v":2}'), version="2.0.0", price_usd="0.001", policy='env_vars = ["TOKEN"]'
        )
        tool = {tool.name: tool for tool in (await client.list_tools()).tools}[tool_name(key)]
        ran = await client.call_tool(tool_name(key), {})
        described = (await client.call_tool("spells_describe", {"key": key})).structured_content or {}
    assert (tool.meta or {})["dev.spell/version"] == "1.0.0"
    assert (tool.meta or {})["dev.spell/pinned"] == {
        "version": "1.0.0",
        "latest": "2.0.0",
        "widened": ["reads the secret TOKEN"],
    }
    assert "Version 2.0.0 waits for your person's acceptance: it reads the secret TOKEN" in (
        tool.description or ""
    )
    assert meta(ran)["dev.spell/version"] == "1.0.0" and ran.structured_content == {"v": 1}
    # spells_describe describes the latest, with its provenance, and says it waits.
    assert described["provenance"]["dev.spell/policy"]["secrets"] == ["TOKEN"]
    assert described["pinned"] == (tool.meta or {})["dev.spell/pinned"]


def test_aggregators_list_spells_with_their_provenance_in_the_registrys_shape(
    platform: Platform, fetcher: dict[str, Any]
) -> None:
    url = platform.server.url
    with httpx.Client(base_url=url, timeout=30) as anyone:  # no key: the registry's API is public
        listed = anyone.get("/v0.1/servers", params={"search": "fetcher"})
        assert listed.status_code == 200, listed.text
        [entry] = listed.json()["servers"]
        assert listed.json()["metadata"] == {"count": 1, "nextCursor": None}
        server = entry["server"]
        name = quote(server["name"], safe="")
        one = anyone.get(f"/v0.1/servers/{name}/versions/latest").json()
        versions = anyone.get(f"/v0.1/servers/{name}/versions").json()
        # Every castable spell, a page at a time, each once.
        seen, cursor = [], None
        while True:
            page = anyone.get(
                "/v0.1/servers", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
            ).json()
            seen += [item["server"]["name"] for item in page["servers"]]
            if (cursor := page["metadata"]["nextCursor"]) is None:
                break
        refusals = [
            anyone.get("/v0.1/servers", params={"cursor": "not-ours"}),
            anyone.get("/v0.1/servers", params={"version": "1.0.0"}),
            anyone.get("/v0.1/servers", params={"limit": 1000}),
        ]
        missing = [
            anyone.get(f"/v0.1/servers/{quote('com.other/com.acme.fetcher', safe='')}/versions/latest"),
            anyone.get(f"/v0.1/servers/{name}/versions/9.9.9"),
            anyone.get(f"/v0.1/servers/{quote('local.spell/com.acme.nothing', safe='')}/versions"),
        ]
    assert server["name"] == "local.spell/com.acme.fetcher"  # the namespace of 127.0.0.1
    assert server["version"] == "1.0.0" and len(server["description"]) <= 100
    assert server["remotes"][0]["type"] == "streamable-http" and server["remotes"][0]["url"] == f"{url}/mcp"
    assert server["remotes"][0]["headers"][0]["name"] == "Authorization"
    provided = server["_meta"]["io.modelcontextprotocol.registry/publisher-provided"]
    assert provided["dev.spell/tool"] == "com_acme_fetcher"
    expect_provenance(provided, fetcher)
    assert entry["_meta"]["io.modelcontextprotocol.registry/official"]["isLatest"] is True
    assert one == entry and [item["server"]["version"] for item in versions["servers"]] == ["1.0.0"]
    assert len(seen) == len(set(seen)) and "local.spell/com.acme.fetcher" in seen
    assert all(refused.status_code in (400, 422) for refused in refusals), [r.text for r in refusals]
    assert [response.status_code for response in missing] == [404, 404, 404]


def test_the_platform_writes_its_server_json_for_the_official_registry(tmp_path: Path) -> None:
    env = {**os.environ, "SPELL_HOME": str(tmp_path), "SPELL_REGISTRY_NAME": "com.example/spell"}
    spell = [str(ROOT / ".venv" / "bin" / "spell"), "server-json"]
    done = subprocess.run(
        [*spell, "--url", "https://spell.example.com/"], env=env, capture_output=True, text=True
    )
    document = json.loads(done.stdout)
    assert document["name"] == "com.example/spell" and document["version"]
    assert document["$schema"].endswith("/server.schema.json")
    assert [remote["url"] for remote in document["remotes"]] == [
        "https://spell.example.com/mcp",
        "https://spell.example.com/sse",
    ]
    nowhere = subprocess.run(spell, env=env, capture_output=True, text=True)
    assert nowhere.returncode == 2 and "SPELL_PUBLIC_URL" in nowhere.stderr


def test_a_cast_that_failed_has_nothing_to_replay(platform: Platform) -> None:
    platform.publish("com.acme.broken-dice", wat.exits(1), deterministic=True, price_usd="0.001")
    with platform.caster() as caster:
        failed = caster.post("/v1/spells/com.acme.broken-dice/cast", json={"input": {}})
        assert failed.status_code == 502
        refused = caster.post(f"/v1/casts/{failed.json()['cast_id']}/replay", json={"input": {}})
    assert (refused.status_code, refused.json()["code"]) == (409, "replay_unavailable")
    assert "did not succeed" in refused.json()["detail"]


def test_when_the_version_a_caster_knows_is_yanked_the_wider_one_still_waits(platform: Platform) -> None:
    key, path = "com.acme.yanked-pin", "/v1/spells/com.acme.yanked-pin"
    platform.publish(key, wat.writes('{"v":1}'), version="1.0.0", price_usd="0.001")
    with platform.caster() as caster:
        assert caster.post(f"{path}/cast", json={"input": {}}).status_code == 200
        platform.publish(key, wat.writes('{"v":2}'), version="2.0.0", price_usd="0.005")
        assert platform.maker.post(f"{path}/versions/1.0.0/yank").status_code == 200
        refused = caster.post(f"{path}/cast", json={"input": {}})
    assert (refused.status_code, refused.json()["code"]) == (409, "consent_required")
    assert refused.json()["widened"] == ["costs $0.005 per cast instead of $0.001"]
