"""Fingerprints of what a plan depends on, for refusing a stale saved plan (§6, §10).

They cover the managed attributes of managed objects as the planner compares them,
plus the id, name and keywords of every list: an edit to an unmanaged list's messages,
a new subscriber or a timestamp the server rewrites never makes a saved plan stale.
"""

from __future__ import annotations

from typing import Any

from tatango_iac.digests import DigestKey
from tatango_iac.engine.diffs import plain
from tatango_iac.engine.normalize import norm_cf_attr, norm_list_field, norm_request
from tatango_iac.identity.matching import Match
from tatango_iac.identity.scope import Scope
from tatango_iac.identity.urls import canonical_url
from tatango_iac.model import DesiredAccount, DesiredList, LiveAccount, LiveList, known


def _list_state(d: DesiredList, lst: LiveList) -> dict[str, Any]:
    state: dict[str, Any] = {name: norm_list_field(name, lst.fields.get(name)) for name in d.fields}
    if d.manages_opt_in:
        requests_ = [norm_request(r) for r in lst.opt_in_requests] if known(lst.opt_in_requests) else None
        state["opt_in"] = [lst.opt_in_type, requests_, lst.bypass_opt_in_response]
    return state


def fingerprints(
    desired: DesiredAccount, live: LiveAccount, match: Match, scope: Scope, key: DigestKey
) -> dict[str, str]:
    """Keyed: a webhook's live URL carries its token, and a plain hash of it could be brute-forced."""
    digest = key.digest
    prints = {"lists": digest(sorted([lst.id, lst.name, sorted(lst.keywords)] for lst in live.lists))}
    for d in desired.lists:
        lst = match.matched.get(d.key)
        if lst is None or not scope.selects(d):
            continue
        prints[f"list:{lst.id}"] = digest(plain(_list_state(d, lst)))
        if d.webhooks is not None and lst.id in live.webhooks:
            managed = {canonical_url(h.callback_url): sorted(h.events) for h in d.webhooks}
            prints[f"webhooks:{lst.id}"] = digest(
                sorted(
                    [
                        h.id,
                        canonical_url(h.callback_url),
                        {e: h.events.get(e) for e in managed.get(canonical_url(h.callback_url), [])},
                    ]
                    for h in live.webhooks[lst.id]
                )
            )
        if d.custom_fields is not None and lst.id in live.custom_fields:
            written = {f.key: sorted(f.attrs) for f in d.custom_fields}
            prints[f"custom_fields:{lst.id}"] = digest(
                sorted(
                    [f.key, {a: norm_cf_attr(a, f.attrs.get(a)) for a in written.get(f.key, [])}]
                    for f in live.custom_fields[lst.id]
                )
            )
    return prints
