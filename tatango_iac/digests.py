"""Keyed digests: what a saved plan may carry about values it must not reveal.

A plan file travels (a pull-request artifact, a job summary). A plain hash of a webhook
URL with its token, or of a ``${...}`` value, lets anyone with the file test guesses
offline: a short or human-chosen token falls to a word list in seconds. So every digest
a plan carries is an HMAC under a key that never leaves the runner: derived from the API
credentials (the plan job and the apply job of one account both hold them, and nobody who
only sees the artifact does). Without credentials (tests, pure planning) the key is a
random one for this process: digests then compare only within the process, and still
reveal nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

_CONTEXT = b"tatango-iac plan digests v1"
PREFIX = "hmac-sha256:"


class DigestKey:
    """An HMAC key; its repr and str never show it."""

    __slots__ = ("_key",)

    def __init__(self, material: bytes):
        if not material:
            raise ValueError("a digest key needs key material")
        self._key = hmac.new(material, _CONTEXT, hashlib.sha256).digest()

    @classmethod
    def from_credentials(cls, email: str, api_key: str) -> DigestKey:
        return cls(f"{email}\0{api_key}".encode())

    @classmethod
    def ephemeral(cls) -> DigestKey:
        return cls(secrets.token_bytes(32))

    def digest(self, value: Any) -> str:
        """A keyed digest of a JSON-able value (str subclasses such as resolved ${...} values as their value)."""
        data = json.dumps(value, sort_keys=True, default=repr, ensure_ascii=False).encode()
        return PREFIX + hmac.new(self._key, data, hashlib.sha256).hexdigest()[:32]

    def __repr__(self) -> str:
        return "DigestKey(****)"

    __str__ = __repr__


_PROCESS_KEY = DigestKey.ephemeral()


def process_key() -> DigestKey:
    """The key for digests that are never compared across processes (no credentials at hand)."""
    return _PROCESS_KEY
