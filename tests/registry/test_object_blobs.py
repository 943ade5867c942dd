"""Blobs in an S3-compatible bucket: content-addressed, checked on every read, shared by hosts,
and fetched by casters through short-lived presigned links."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from registry import BlobCorrupt, ObjectBlobStore
from tests.object_store import ObjectStore


@pytest.fixture
def store(objects: ObjectStore) -> ObjectBlobStore:
    return objects.blobs(f"s3://{objects.new_bucket()}/spell/blobs")


def test_a_blob_is_stored_under_its_digest_and_read_back(store: ObjectBlobStore) -> None:
    digest = store.put(b"a module")
    assert digest == hashlib.sha256(b"a module").hexdigest()
    assert store.get(digest) == b"a module"
    keys = [o["Key"] for o in store.client.list_objects_v2(Bucket=store.bucket)["Contents"]]
    assert keys == [f"spell/blobs/{digest[:2]}/{digest}"]


def test_putting_the_same_bytes_again_writes_nothing(store: ObjectBlobStore) -> None:
    writes: list[str] = []
    store.client.meta.events.register(
        "before-call.s3.PutObject", lambda params, **_: writes.append(params["url_path"])
    )
    digest = store.put(b"same")
    assert store.put(b"same") == digest
    assert len(writes) == 1


def test_another_host_reads_what_one_wrote(objects: ObjectStore) -> None:
    bucket = objects.new_bucket()
    digest = objects.blobs(f"s3://{bucket}/p").put(b"shared")
    assert objects.blobs(f"s3://{bucket}/p").get(digest) == b"shared"


def test_a_missing_blob_is_a_key_error_and_deleting_says_whether_it_was_there(store: ObjectBlobStore) -> None:
    digest = store.put(b"short-lived")
    assert store.delete(digest) is True
    assert store.delete(digest) is False
    with pytest.raises(KeyError):
        store.get(digest)


def test_bytes_changed_in_the_store_are_refused(store: ObjectBlobStore) -> None:
    digest = store.put(b"the real module")
    store.client.put_object(Bucket=store.bucket, Key=store._key(digest), Body=b"a swapped module")
    with pytest.raises(BlobCorrupt):
        store.get(digest)


@pytest.mark.parametrize("digest", ["../../etc/passwd", "ABC", "0" * 63])
def test_only_digests_name_objects(store: ObjectBlobStore, digest: str) -> None:
    with pytest.raises(KeyError):
        store.get(digest)


def test_a_presigned_link_serves_the_blob_as_a_download_for_a_while(store: ObjectBlobStore) -> None:
    digest = store.put(b"an artifact")
    disposition = "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.csv"
    url = store.download_url(digest, disposition=disposition, media_type="text/csv", expires_s=60)
    fetched = httpx.get(url)
    assert fetched.status_code == 200 and fetched.content == b"an artifact"
    assert fetched.headers["content-disposition"] == disposition
    # The store checks the signature and the expiry (the stand-in, moto, checks neither).
    assert "X-Amz-Expires=60&" in url and "X-Amz-Signature=" in url


@pytest.mark.parametrize("url", ["https://bucket/prefix", "s3:///prefix", "bucket/prefix"])
def test_an_object_store_is_named_by_an_s3_url(url: str) -> None:
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        ObjectBlobStore.from_url(url)
