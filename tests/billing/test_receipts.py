"""Receipts verify offline against the published key, and any change to one is detected."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

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
