"""Which environment variables hold the credentials of an account.

One repository may hold several accounts, one directory each, each with ``account.name``.
A named account reads ``TATANGO_<NAME>_EMAIL`` / ``TATANGO_<NAME>_API_KEY`` (and an
optional ``TATANGO_<NAME>_API_URL``), and never falls back to the unnamed
``TATANGO_EMAIL`` / ``TATANGO_API_KEY``: a missing secret of brand B must stop the job,
not apply brand B's configuration to brand A's account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional
from urllib.parse import urlsplit


@dataclass(frozen=True)
class CredentialNames:
    email: str
    api_key: str
    api_url: str

    def missing(self, env: Mapping[str, str]) -> list[str]:
        return [name for name in (self.email, self.api_key) if not env.get(name)]


def credential_names(account: Optional[str]) -> CredentialNames:
    prefix = f"TATANGO_{account.upper()}_" if account else "TATANGO_"
    return CredentialNames(f"{prefix}EMAIL", f"{prefix}API_KEY", f"{prefix}API_URL")


def api_url(names: CredentialNames, env: Mapping[str, str]) -> str:
    """The account's own URL variable, else the shared TATANGO_API_URL (a sandbox or proxy for all)."""
    return env.get(names.api_url) or env.get("TATANGO_API_URL") or ""


def account_identity(account: Optional[str], base_url: str) -> dict[str, Any]:
    """What a plan says about the account it read: the configured name and the API's host."""
    return {"name": account, "api": urlsplit(base_url).netloc}
