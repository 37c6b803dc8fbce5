"""Helpers to build desired and live models for planner tests."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any, Optional

import yaml

from tatango_iac.api import coerce
from tatango_iac.config.loader import load
from tatango_iac.model import DesiredAccount, LiveAccount

BASE_LIST = {
    "email_digest": None,
    "email_subscribe": None,
    "email_unsubscribe": None,
    "first_optin_message": "",
    "second_optin_message": "",
    "message_help": None,
    "message_stop": None,
    "message_reply": None,
    "message_already_subscribed": None,
    "message_yes": None,
    "keyword_names": [],
    "counts": {"subscribers": 0, "unsubscribed": 0, "cleaned": 0},
    "opt_in_type": "single",
    "opt_in_requests": [],
}


def desired(text: str, env: Optional[dict[str, str]] = None, name: str = "config.yaml") -> DesiredAccount:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / name
        path.write_text(text)
        account, diagnostics = load([str(path)], env or {})
        assert account is not None, [d.text() for d in diagnostics]
        for lst in account.lists:  # keep sources readable after the directory is gone
            lst.source = lst.source.__class__(name, lst.source.line, lst.source.col)
            lst.keyword_sources = {k: s.__class__(name, s.line, s.col) for k, s in lst.keyword_sources.items()}
        return account


def desired_from(data: dict[str, Any], env: Optional[dict[str, str]] = None) -> DesiredAccount:
    return desired(yaml.safe_dump({"version": 1, **data}, sort_keys=False), env)


def raw_list(list_id: int, name: str, **fields: Any) -> dict[str, Any]:
    return {"id": list_id, "name": name, **copy.deepcopy(BASE_LIST), **fields}


def live(
    lists: list[dict[str, Any]],
    webhooks: Optional[dict[int, list]] = None,
    custom_fields: Optional[dict[int, list]] = None,
    available: Optional[dict[str, bool]] = None,
) -> LiveAccount:
    unreported: set[str] = set()
    return LiveAccount(
        lists=[coerce.live_list(r, f"lists[{i}]", unreported) for i, r in enumerate(lists)],
        webhooks={
            k: [coerce.live_webhook(h, "webhook", unreported, k) for h in v] for k, v in (webhooks or {}).items()
        },
        custom_fields={
            k: [coerce.live_custom_field(f, "custom_field", unreported) for f in v]
            for k, v in (custom_fields or {}).items()
        },
        keyword_available=available or {},
        shortcode="33733",
        unreported=unreported,
    )


def summary(plan) -> list[tuple[str, str, str]]:
    return [(a.action, a.resource, a.address) for a in plan.actions]
