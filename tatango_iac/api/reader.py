"""Read the live account with the fewest API calls (§4) and fingerprint what was read."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Optional

from tatango_iac.api.client import TatangoClient
from tatango_iac.model import (
    DesiredAccount,
    LiveAccount,
    live_custom_field_from_api,
    live_list_from_api,
    live_webhook_from_api,
)
from tatango_iac.engine.planner import PlanError, match_lists

# Server-side values that change without anyone touching the configuration.
_VOLATILE = {"counts"}

Progress = Callable[[str], None]


def _stable(value: Any) -> Any:
    """Canonical form for fingerprints: no volatile fields, timestamps as UTC instants."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in sorted(value.items()) if k not in _VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, str) and len(value) >= 20 and value[4:5] == "-" and "T" in value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc).isoformat()
        except ValueError:
            return value
    return value


def fingerprint(value: Any) -> str:
    return hashlib.sha256(json.dumps(_stable(value), sort_keys=True).encode()).hexdigest()[:16]


def claimed_new_keywords(desired: DesiredAccount, live_keywords: set[str], targets: Iterable[str] = ()) -> dict[str, str]:
    """Keywords the config wants that no list of the account holds now: keyword -> list name."""
    targets = set(targets)
    out: dict[str, str] = {}
    for d in desired.lists:
        if targets and d.name not in targets:
            continue
        for kw in sorted(d.keywords or ()):
            if kw not in live_keywords:
                out[kw] = d.name
    return out


def resolve_shortcode(client: TatangoClient, desired: DesiredAccount) -> str:
    if desired.account.shortcode:
        return desired.account.shortcode
    codes = client.shortcodes()
    if len(codes) == 1:
        return codes[0]
    if not codes:
        raise PlanError(["the account has no short code: keywords cannot be tested or claimed"])
    raise PlanError([f"the account has several short codes ({', '.join(codes)}): set account.shortcode"])


def read_live(client: TatangoClient, desired: DesiredAccount, targets: Iterable[str] = (),
              progress: Optional[Progress] = None) -> LiveAccount:
    targets = list(targets)
    say = progress or (lambda message: None)
    say("reading lists")
    raw_lists = client.list_lists()
    live = LiveAccount(lists=[live_list_from_api(r) for r in raw_lists])
    live.fingerprints["lists"] = fingerprint(sorted(r["id"] for r in raw_lists))
    for raw in raw_lists:
        live.fingerprints[f"list:{raw['id']}"] = fingerprint(raw)
    selected = [d for d in desired.lists if not targets or d.name in targets]
    matched, _problems = match_lists(selected, live.lists)  # ambiguity is reported by the planner
    for d in selected:
        lst = matched.get(d.name)
        if lst is None:
            continue
        if d.webhooks is not None:
            say(f"reading webhooks of '{d.name}'")
            raw_hooks = client.list_webhooks(lst.id)
            live.webhooks[lst.id] = [live_webhook_from_api(h) for h in raw_hooks]
            live.fingerprints[f"webhooks:{lst.id}"] = fingerprint(raw_hooks)
        if d.custom_fields is not None:
            say(f"reading custom fields of '{d.name}'")
            raw_fields = client.list_custom_fields(lst.id)
            live.custom_fields[lst.id] = [live_custom_field_from_api(f) for f in raw_fields]
            live.fingerprints[f"custom_fields:{lst.id}"] = fingerprint(raw_fields)
    check_keywords(client, desired, live, targets, say)
    return live


def check_keywords(client: TatangoClient, desired: DesiredAccount, live: LiveAccount, targets: Iterable[str],
                   say: Progress) -> None:
    """Test each keyword the plan claims from outside the account (§5 keyword prechecks)."""
    held = {kw for lst in live.lists for kw in lst.keywords}
    claimed = claimed_new_keywords(desired, held, targets)
    if not claimed:
        return
    live.shortcode = live.shortcode or resolve_shortcode(client, desired)
    for kw in claimed:
        say(f"testing keyword {kw}")
        available, _error = client.test_keyword(live.shortcode, kw)
        live.keyword_available[kw] = available
