"""``doctor --record DIR``: the answers the doctor saw, as a scrubbed vcrpy cassette for a bug report.

Scrubbed before anything is written: no Authorization header at all, the API key and its
Basic form, every e-mail address (``user@example.invalid``), the secret parts of every URL
(query values named like secrets, token-like path segments, passwords). The file is a
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


class Recorder:
    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def __call__(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)

    def interactions(self) -> list[dict[str, Any]]:
        out = []
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
                        "body": {"string": scrub(ex.text)},
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
