"""Values the account holds in another form than the configuration writes (§13), found with no I/O.

The planner compares texts by form (``normalize.text_form``), so a value the API stored
in another form plans nothing. It is still not what the file says: each one is listed
here ("the API stored X as Y"), shown in the plan as a note, and reported by apply's
read-back as a failure the first time it writes it, so the user writes Y in the
configuration (or reports it with ``doctor --record``) instead of meeting it every night.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from tatango_iac.engine.diffs import plain
from tatango_iac.engine.normalize import text_form
from tatango_iac.engine.steps import list_address
from tatango_iac.identity.matching import Match
from tatango_iac.identity.scope import Scope
from tatango_iac.model import OPT_IN_MESSAGE_FIELDS, DesiredAccount, DesiredList, LiveAccount, LiveList, known
from tatango_iac.secrets import display


def _another_form(live: Any, wanted: Any) -> bool:
    live, wanted = plain(live), plain(wanted)
    return isinstance(live, str) and isinstance(wanted, str) and live != wanted and text_form(live) == text_form(wanted)


def _entry(address: str, attribute: str, configured: Any, held: Any) -> dict[str, Any]:
    return {
        "address": address,
        "attribute": attribute,
        "configured": display(configured),
        "held": display(held),
        "source": "form",  # compared by form (engine.normalize); engine.records adds "record" ones
    }


def _list_forms(d: DesiredList, lst: LiveList, live: LiveAccount) -> Iterator[dict[str, Any]]:
    address = list_address(d)
    for name, value in d.fields.items():
        held = lst.fields.get(name)
        if known(held) and _another_form(held, value):
            yield _entry(address, name, value, held)
    if d.opt_in_requests is not None and known(lst.opt_in_requests):
        for index, (wanted, held_request) in enumerate(zip(d.opt_in_requests, lst.opt_in_requests, strict=False)):
            for name in OPT_IN_MESSAGE_FIELDS:
                if (
                    name in wanted
                    and known(held_request.get(name))
                    and _another_form(held_request.get(name), wanted[name])
                ):
                    yield _entry(
                        f"{address}.opt_in_settings",
                        f"opt_in_requests[{index}].{name}",
                        wanted[name],
                        held_request.get(name),
                    )
    fields = {f.key: f for f in live.custom_fields.get(lst.id, [])}
    for wanted_field in d.custom_fields or []:
        current = fields.get(wanted_field.key)
        if current is None:
            continue
        for attr, value in wanted_field.attrs.items():
            held = current.attrs.get(attr)
            if known(held) and _another_form(held, value):
                yield _entry(f"{address}.custom_field[{json.dumps(wanted_field.key)}]", attr, value, held)


def stored_forms(desired: DesiredAccount, live: LiveAccount, match: Match, scope: Scope) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for d in desired.lists:
        lst = match.matched.get(d.key)
        if lst is not None and scope.selects(d) and not d.delete:
            out += _list_forms(d, lst, live)
    return out


def form_notes(forms: list[dict[str, Any]]) -> list[str]:
    return [
        f"{f['address']}: the account holds {f['attribute']} as {json.dumps(f['held'], ensure_ascii=False)}, "
        f"another form of the configured {json.dumps(f['configured'], ensure_ascii=False)} (the API stored it "
        "so; no change is planned for it): write the held form in the configuration to silence this note"
        for f in forms
        if f.get("source", "form") == "form"
    ]
