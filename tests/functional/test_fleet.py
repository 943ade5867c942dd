"""Three server processes as on three hosts: each its own empty SPELL_HOME, sharing only
PostgreSQL, Redis, an S3-compatible object store and the keys given as settings. What one
publishes the others cast, what one cast wrote another hands out, receipts verify with any of
their keys, and a key revoked on one is refused by all."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from billing.receipts import verify_receipt
from registry import ObjectBlobStore, pack_directory
from tests import wasm_modules as wat
from tests.conftest import RunningServer, redis_url, running_servers
from tests.object_store import ObjectStore
from tests.spellbook import write_spell

PROBE = "/v1/spells/test.spell.probe/cast"


@dataclass(frozen=True)
class Fleet:
    servers: list[RunningServer]
    blobs: ObjectBlobStore

    @property
    def operator(self) -> str:
        """The operator's key, kept in the home of the host that started first."""
        return self.servers[0].operator_key


@pytest.fixture(scope="module")
def fleet(
    tmp_path_factory: pytest.TempPathFactory, built_spells: Path, probe_wasm: bytes, objects: ObjectStore
) -> Iterator[Fleet]:
    bucket = objects.new_bucket()
    receipt_key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    shared = {
        **objects.env(bucket, "spell"),
        "SPELL_REDIS_URL": redis_url(),
        "SPELL_RECEIPT_KEY": receipt_key.decode(),
        "SPELL_SECRETS_KEY": Fernet.generate_key().decode(),
    }
    base = tmp_path_factory.mktemp("fleet")
    with running_servers(
        base, built_spells, probe_wasm, count=3, backend="postgresql", extra_env=shared, separate_homes=True
    ) as servers:
        yield Fleet(servers, objects.blobs(f"s3://{bucket}/spell"))


def test_each_host_keeps_no_blob_of_its_own(fleet: Fleet) -> None:
    for server in fleet.servers:
        assert not (server.home / "blobs").exists()
    listed = fleet.blobs.client.list_objects_v2(Bucket=fleet.blobs.bucket, Prefix="spell/")
    assert listed["KeyCount"] > 0


def test_what_one_host_publishes_another_casts(fleet: Fleet, tmp_path: Path) -> None:
    first, second, _ = fleet.servers
    package = pack_directory(write_spell(tmp_path, "com.fleet.hello", wat.writes('{"hello":"fleet"}')))
    with first.client(fleet.operator) as client:
        published = client.post("/v1/spells", files={"package": ("spell.tar", package, "application/x-tar")})
    assert published.status_code == 201, published.text
    # The second host has never seen the module: it compiles it from the store, digest checked.
    with second.client(fleet.operator) as client:
        cast = client.post("/v1/spells/com.fleet.hello/cast", json={"input": {}})
    assert cast.status_code == 200, cast.text
    assert cast.json()["output"] == {"hello": "fleet"}
    assert (second.home / "artifacts").is_dir()  # its compiled-module cache, its own


def test_an_artifact_written_on_one_host_is_fetched_through_another(fleet: Fleet) -> None:
    _, second, third = fleet.servers
    with second.client(fleet.operator) as client:
        cast = client.post(PROBE, json={"input": {"c": "write /scratch/report.txt"}})
    assert cast.status_code == 200, cast.text
    [artifact] = cast.json()["artifacts"]
    with third.client(fleet.operator) as client:
        answer = client.get(artifact["url"])
        assert answer.status_code == 307
        assert answer.headers["cache-control"] == "no-store"
        link = answer.headers["location"]
    assert link.startswith(fleet.blobs.client.meta.endpoint_url) and "X-Amz-Signature=" in link
    downloaded = httpx.get(link)
    assert downloaded.content == b"written by probe\n"
    assert downloaded.headers["content-disposition"] == "attachment; filename*=UTF-8''report.txt"
    with third.client(third.new_user()) as stranger:
        assert stranger.get(artifact["url"]).status_code == 404


def test_a_receipt_from_one_host_verifies_with_the_keys_another_publishes(fleet: Fleet) -> None:
    first, second, third = fleet.servers
    with first.client(fleet.operator) as client:
        cast = client.post("/v1/spells/dev.spell.echo/cast", json={"input": {"message": "hi"}}).json()
    with second.client(fleet.operator) as client:
        receipt = client.get(f"/v1/casts/{cast['cast_id']}/receipt").json()
    keys = httpx.get(f"{third.url}/v1/.well-known/spell-keys").json()["keys"]
    assert verify_receipt(receipt, keys)["cast_id"] == cast["cast_id"]
    assert json.dumps(receipt) == json.dumps(cast["receipt"])


def test_a_key_revoked_on_one_host_is_refused_by_every_host(fleet: Fleet) -> None:
    first, second, third = fleet.servers
    with first.client(fleet.operator) as client:
        made = client.post("/v1/keys", json={"name": "agent", "scopes": ["cast", "read"]}).json()
    for server in (second, third):
        with server.client(made["key"]) as agent:
            assert agent.get("/v1/spells").status_code == 200  # remembered as valid
    with first.client(fleet.operator) as client:
        assert client.delete(f"/v1/keys/{made['id']}").status_code == 204
    for server in (second, third):
        with server.client(made["key"]) as agent:
            refused = agent.get("/v1/spells")
            assert refused.status_code == 401, refused.text
