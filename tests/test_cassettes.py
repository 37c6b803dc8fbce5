"""vcrpy cassettes, recorded from the sandbox (cassettes/sandbox/README.md), pin two things:

- the exact request the client sends for each operation: replayed with record mode
  "none", so CI never records and a changed request (method, path, query or JSON body)
  fails the test;
- the sandbox's answers: each operation also runs against a fresh sandbox over real
  HTTP and its answers must equal the recorded ones, so a change to the sandbox is seen.

Re-record from the sandbox with:

    TATANGO_RECORD=1 python -m pytest tests/test_cassettes.py

The Authorization header is scrubbed before anything is written.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

import pytest
import vcr
import yaml

from tatango_iac.api.client import TatangoClient
from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL, SandboxServer
from tests.conftest import ROOT

CASSETTES = ROOT / "cassettes" / "sandbox"
RECORDING = bool(os.environ.get("TATANGO_RECORD"))
RECORDER = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="all" if RECORDING else "none",
    match_on=["method", "path", "query", "body"],
    filter_headers=["authorization"],
    decode_compressed_response=True,
)
LIST = {"name": "ACME VIP", "message_help": "Help: help@acme.example. Text STOP to end.", "email_subscribe": True}
HOOK = {
    "callback_url": "https://hooks.acme.example/t?ref=tatango",
    "subscribe": True,
    "unsubscribe": False,
    "message_sent": False,
    "reply_received": True,
    "cleaned": False,
}
FIELD = {"key": "zip_code", "label": "Zip code", "content_type": "text", "max_length": 5, "pattern": "^[0-9]{5}$"}
OPT_IN = {
    "opt_in_type": "double",
    "bypass_opt_in_response": False,
    "opt_in_requests": [
        {
            "collected_data": "yes",
            "request_message": "Reply YES. Msg&data rates may apply.",
            "follow_up": False,
            "success_action": "optinsubscriber",
        }
    ],
}


def _with_list(c: TatangoClient) -> int:
    return c.create_list(LIST, ["VIP"])["id"]


OPERATIONS: dict[str, Callable[[TatangoClient], object]] = {
    "accounts_me": lambda c: c.me(),
    "shortcodes": lambda c: c.shortcodes(),
    "test_keyword": lambda c: c.test_keyword("33733", "NEWKW"),
    "lists_index": lambda c: c.list_lists(),
    "list_create": lambda c: c.create_list(LIST, ["VIP", "GOLD"]),
    "list_show": lambda c: c.get_list(_with_list(c)),
    "list_update": lambda c: c.update_list(_with_list(c), {"name": "ACME VIP 2", "message_stop": None}),
    "list_delete": lambda c: c.delete_list(_with_list(c)),
    "keywords_set": lambda c: c.set_keywords(_with_list(c), ["VIP", "ELITE"]),
    "opt_in_settings": lambda c: c.set_opt_in_settings(_with_list(c), OPT_IN),
    "custom_fields_index": lambda c: c.list_custom_fields(_with_list(c)),
    "custom_field_create": lambda c: c.create_custom_field(_with_list(c), FIELD),
    "custom_field_delete": lambda c: (
        lambda i: (c.create_custom_field(i, FIELD), c.delete_custom_field(i, "zip_code"))
    )(_with_list(c)),
    "webhooks_index": lambda c: c.list_webhooks(_with_list(c)),
    "webhook_create": lambda c: c.create_webhook(_with_list(c), HOOK),
    "webhook_show": lambda c: (lambda i: c.get_webhook(i, c.create_webhook(i, HOOK)["id"]))(_with_list(c)),
    "webhook_update": lambda c: (lambda i: c.update_webhook(i, c.create_webhook(i, HOOK)["id"], {"cleaned": True}))(
        _with_list(c)
    ),
    "webhook_delete": lambda c: (lambda i: c.delete_webhook(i, c.create_webhook(i, HOOK)["id"]))(_with_list(c)),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_operation_sends_the_pinned_request(operation):
    if RECORDING:
        (CASSETTES / f"{operation}.yaml").unlink(missing_ok=True)  # record afresh, never append
    with SandboxServer() as server:  # only reached over HTTP while recording; replay never leaves vcrpy
        client = TatangoClient(server.url, SANDBOX_EMAIL, SANDBOX_API_KEY, rate_per_hour=0, retries=0)
        with RECORDER.use_cassette(f"{operation}.yaml") as cassette:
            OPERATIONS[operation](client)
        if not RECORDING:
            assert cassette.all_played, f"{operation}: the client sent fewer requests than pinned"
            assert server.api_requests() == [], "replay must not reach the network"


def _exchange(method: str, uri: str, body: Any, status: int, text: str) -> tuple:
    parts = urlsplit(uri)
    sent = json.loads(body) if isinstance(body, (str, bytes)) and body else body
    return method, parts.path, sorted(parse_qsl(parts.query)), sent, status, json.loads(text) if text else None


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_the_sandbox_still_gives_the_recorded_answers(operation):
    if RECORDING:
        pytest.skip("recording")
    recorded = [
        _exchange(
            i["request"]["method"],
            i["request"]["uri"],
            i["request"]["body"],
            i["response"]["status"]["code"],
            i["response"]["body"]["string"],
        )
        for i in yaml.safe_load((CASSETTES / f"{operation}.yaml").read_text())["interactions"]
    ]
    with SandboxServer() as server:
        client = TatangoClient(server.url, SANDBOX_EMAIL, SANDBOX_API_KEY, rate_per_hour=0, retries=0)
        seen: list[tuple] = []
        client.observers.append(
            lambda ex: seen.append(_exchange(ex.method, ex.url, ex.body and json.dumps(ex.body), ex.status, ex.text))
        )
        OPERATIONS[operation](client)
    assert seen == recorded


def test_cassettes_hold_no_credentials():
    encoded = base64.b64encode(f"{SANDBOX_EMAIL}:{SANDBOX_API_KEY}".encode()).decode()
    files = sorted(CASSETTES.glob("*.yaml"))
    assert {f.stem for f in files} == set(OPERATIONS)
    for path in files:
        text = path.read_text()
        assert SANDBOX_API_KEY not in text and encoded not in text and "Authorization" not in text, path


def test_a_changed_request_fails_the_replay():
    from vcr.errors import CannotOverwriteExistingCassetteException

    if RECORDING:
        pytest.skip("recording")
    client = TatangoClient("http://127.0.0.1:9/api/v2", SANDBOX_EMAIL, SANDBOX_API_KEY, rate_per_hour=0, retries=0)
    with RECORDER.use_cassette("list_create.yaml"), pytest.raises(CannotOverwriteExistingCassetteException):
        client.create_list({**LIST, "message_help": "changed"}, ["VIP", "GOLD"])
