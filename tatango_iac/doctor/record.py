"""``doctor --record DIR``: the answers the doctor saw, as a scrubbed vcrpy cassette for a bug report.

Scrubbed before anything is written: no Authorization header at all, the API key and its
Basic form, every e-mail address (``user@example.invalid``), the secret parts of every URL
(query values named like secrets, token-like path segments, passwords), and the account's
message texts (x's of the same length: one may carry a ${...} value). The file is a
vcrpy cassette the project's tests can replay (README: "Bug reports from the field").
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

import yaml

from tatango_iac.api.client import Exchange
from tatango_iac.secrets import redact

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
SCRUBBED_EMAIL = "user@example.invalid"


def scrub(text: str) -> str:
    return _EMAIL.sub(SCRUBBED_EMAIL, redact(text))


def _sent_strings(value: Any, into: set[str]) -> set[str]:
    if isinstance(value, str):
        into.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _sent_strings(item, into)
    elif isinstance(value, list):
        for item in value:
            _sent_strings(item, into)
    return into


def _withhold_texts(value: Any, sent: set[str]) -> Any:
    """The account's own message texts, as x's of the same length (their kind and size are what the checks
    read). The doctor reads no configuration, so it cannot know which part of a text came from a ${...}
    value (a promotion code); a text the doctor sent itself (the write probe) is kept for the replay."""
    if isinstance(value, dict):
        return {
            k: "x" * len(v) if isinstance(v, str) and "message" in k and v not in sent else _withhold_texts(v, sent)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_withhold_texts(item, sent) for item in value]
    return value


def _response_text(text: str, sent: set[str]) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text  # not JSON (an HTML error page): scrubbed as text only
    return json.dumps(_withhold_texts(data, sent))


class Recorder:
    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def __call__(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)

    def interactions(self) -> list[dict[str, Any]]:
        out = []
        sent: set[str] = set()
        for ex in self.exchanges:
            _sent_strings(ex.body, sent)
        for ex in self.exchanges:
            body = scrub(json.dumps(ex.body)) if ex.body is not None else None
            headers = {"Accept": ["application/json"], **({"Content-Type": ["application/json"]} if body else {})}
            kind = ex.headers.get("Content-Type") or ex.headers.get("content-type") or "application/json"
            response_headers = {"Content-Type": [kind]}
            for name in ("Retry-After", "Location"):
                if name in ex.headers:
                    response_headers[name] = [scrub(ex.headers[name])]
            out.append(
                {
                    "request": {"method": ex.method, "uri": scrub(ex.url), "body": body, "headers": headers},
                    "response": {
                        "status": {"code": ex.status, "message": ""},
                        "headers": response_headers,
                        "body": {"string": scrub(_response_text(ex.text, sent))},
                    },
                }
            )
        return out

    def write(self, directory: str) -> str:
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, f"doctor-{time.strftime('%Y%m%d-%H%M%S')}.yaml")
        text = yaml.safe_dump({"interactions": self.interactions(), "version": 1}, sort_keys=False, allow_unicode=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path
