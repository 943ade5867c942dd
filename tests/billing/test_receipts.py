"""Receipts verify offline against the published keys, through key rotations, and any change
to one is detected."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from billing.receipts import ReceiptInvalid, ReceiptSigner, digest_of, verify_receipt

STATEMENT = {
    "cast_id": "cast_1",
    "spell": {"key": "com.acme.echo", "version": "1.0.0", "module_digest": "ab" * 32},
    "input_sha256": "cd" * 32,
    "output_sha256": digest_of({"message": "hi"}),
    "price_micros": 100,
    "split": {"maker_micros": 80, "platform_micros": 20},
    "settled_at": "2026-11-25T12:00:00.000000+00:00",
    "ledger_hash": "ef" * 32,
}


def test_a_receipt_verifies_with_the_published_key(tmp_path: Path) -> None:
    signer = ReceiptSigner.for_home(tmp_path)
    signed = signer.sign(STATEMENT)
    assert verify_receipt(signed, [signer.public_key()]) == {**STATEMENT, "key_id": signer.key_id}
    # The key survives a restart: the same file, the same key.
    assert ReceiptSigner.for_home(tmp_path).key_id == signer.key_id
    assert (tmp_path / "receipt.key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("price_micros",), 1),
        (("spell", "version"), "9.9.9"),
        (("output_sha256",), "00" * 32),
        (("key_id",), "x"),
    ],
)
def test_a_changed_receipt_is_refused(tmp_path: Path, path: tuple[str, ...], value: object) -> None:
    signer = ReceiptSigner.for_home(tmp_path)
    forged = copy.deepcopy(signer.sign(STATEMENT))
    target = forged["receipt"]
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(ReceiptInvalid):
        verify_receipt(forged, [signer.public_key()])


def test_a_receipt_from_another_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    ours = ReceiptSigner.for_home(tmp_path / "ours")
    theirs = ReceiptSigner.for_home(tmp_path / "theirs")
    with pytest.raises(ReceiptInvalid, match="no published key"):
        verify_receipt(theirs.sign(STATEMENT), [ours.public_key()])


def test_output_digests_do_not_depend_on_key_order_or_spacing() -> None:
    assert digest_of({"a": 1, "b": [1, 2]}) == digest_of({"b": [1, 2], "a": 1})
    assert digest_of({"big": 2**80}) == digest_of({"big": 2**80})


def pem(key: Ed25519PrivateKey, *, public: bool = False) -> str:
    if public:
        return (
            key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_receipts_signed_before_a_rotation_still_verify_with_the_published_keys(tmp_path: Path) -> None:
    first, second, third = (Ed25519PrivateKey.generate() for _ in range(3))
    old_receipt = ReceiptSigner.for_home(tmp_path, pem(first)).sign(STATEMENT)
    older_receipt = ReceiptSigner.for_home(tmp_path, pem(second)).sign(STATEMENT)
    rotated = ReceiptSigner.for_home(tmp_path, pem(third), pem(first) + pem(second, public=True) + pem(third))
    published = rotated.public_keys()
    assert [k["status"] for k in published] == ["current", "retired", "retired"]  # the current one once
    for receipt in (old_receipt, older_receipt, rotated.sign(STATEMENT)):
        assert verify_receipt(receipt, published)["price_micros"] == STATEMENT["price_micros"]
    assert rotated.sign(STATEMENT)["receipt"]["key_id"] == published[0]["key_id"]


def test_a_retired_key_that_is_not_ed25519_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="Ed25519"):
        ReceiptSigner.for_home(tmp_path, None, other.decode())
    with pytest.raises(ValueError, match="no PEM key"):
        ReceiptSigner.for_home(tmp_path, None, "not a key")
