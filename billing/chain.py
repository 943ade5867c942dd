"""The ledger's hash chain: each entry commits to the one before it.

`hash = sha256(prev_hash ‖ canonical JSON of the entry)`, canonical per RFC 8785, over fields
that carry no personal data (account ids are opaque), so erasing a person never breaks it.
Changing, removing or reordering any entry changes every hash after it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from billing.canonical import canonical_json

GENESIS = "0" * 64
CHAINED_FIELDS = ("seq", "transfer_id", "account_id", "amount", "kind", "reference", "created_at")


def canonical(entry: dict[str, Any]) -> bytes:
    document = {field: entry[field] for field in CHAINED_FIELDS}
    created: datetime = document["created_at"]
    document["created_at"] = created.astimezone(UTC).isoformat(timespec="microseconds")
    return canonical_json(document)


def link(prev_hash: str, entry: dict[str, Any]) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical(entry)).hexdigest()
