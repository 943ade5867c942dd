"""Keyed hashes that stand for a person's identifiers in the audit trail and the logs: the same
address or user always gives the same pseudonym, so events can be matched, but nothing can be
recovered from one without the platform's key (an unkeyed hash of an IPv4 address is undone by
trying all four billion)."""

from __future__ import annotations

import hashlib
import hmac


class Pseudonyms:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def of(self, kind: str, value: str) -> str:
        """The pseudonym of `value`, one of the `kind` of identifiers ("address", "user")."""
        digest = hmac.new(self._key, f"{kind}\0{value}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    def of_address(self, address: str | None) -> str | None:
        return self.of("address", address) if address else None
