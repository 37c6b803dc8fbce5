"""The destroy label approves the plan that was labelled, not later pushes (README: "Approving destructive
changes"). Called by the action (action/run.sh) with files ``gh`` fetched; no network here.

A reviewer adds the label (``tatango:allow-destroy``) after reading the pull request's plan comment. A later
push re-plans the pull request, and the label stays on it: it must not approve destructive actions the
reviewer never saw. The plan shown when the label was added is the newest plan artifact created at or
before the label event; a destructive action of the reviewed (last) plan that is not in it, with the same
digests (what is sent, to which ids), is not approved, and the apply names it and asks to re-apply the label.

    python -m tatango_iac.approval label-time EVENTS_JSON LABEL     -> time of the latest "labeled" event
    python -m tatango_iac.approval plan-at ARTIFACTS_JSON TIME      -> "RUN_ID CREATED_AT" of the plan then
    python -m tatango_iac.approval unapproved REVIEWED_PLAN [APPROVED_PLAN]  -> exit 1 naming each one
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any, Iterator, Optional

USAGE = "usage: python -m tatango_iac.approval label-time|plan-at|unapproved ..."


def _pages(text: str) -> Iterator[Any]:
    """``gh api --paginate`` prints one JSON document per page, back to back."""
    decoder = json.JSONDecoder()
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            return
        page, at = decoder.raw_decode(text, at)
        yield page


def _time(value: Any) -> Optional[datetime]:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def label_time(events_text: str, label: str) -> str:
    """When the label was last added (the ISO time GitHub gave), or '' if no event says so."""
    found = ""
    latest: Optional[datetime] = None
    for page in _pages(events_text):
        for event in page if isinstance(page, list) else []:
            if not isinstance(event, dict) or event.get("event") != "labeled":
                continue
            if (event.get("label") or {}).get("name") != label:
                continue
            when = _time(event.get("created_at"))
            if when is not None and (latest is None or when >= latest):
                latest, found = when, str(event["created_at"])
    return found


def _artifacts(text: str) -> list[dict[str, Any]]:
    found = []
    for page in _pages(text):
        items = page.get("artifacts") if isinstance(page, dict) else None
        found += [a for a in items or [] if isinstance(a, dict) and not a.get("expired")]
    return found


def plan_at(artifacts_text: str, when: str) -> str:
    """'RUN_ID CREATED_AT' of the newest plan artifact made at or before ``when`` ('' if none was)."""
    limit = _time(when)
    best: Optional[tuple[datetime, dict[str, Any]]] = None
    for artifact in _artifacts(artifacts_text):
        made = _time(artifact.get("created_at"))
        if limit is None or made is None or made > limit:
            continue
        if best is None or made > best[0]:
            best = (made, artifact)
    if best is None:
        return ""
    return f"{(best[1].get('workflow_run') or {}).get('id')} {best[1]['created_at']}"


def _destructive(plan: dict[str, Any]) -> dict[tuple[str, ...], dict[str, Any]]:
    """Each destructive action by what identifies it: kind, address and the keyed digests of what it sends
    and of the ids it acts on (a delete aimed at another list, or a replace with another definition, differs)."""
    found = {}
    for action in plan.get("actions") or []:
        if isinstance(action, dict) and action.get("destructive"):
            key = tuple(
                str(action.get(k) or "") for k in ("action", "resource", "address", "payload_digest", "target_digest")
            )
            found[key] = action
    return found


def unapproved(reviewed: dict[str, Any], approved: Optional[dict[str, Any]]) -> list[str]:
    """The destructive actions of the reviewed plan that the labelled plan did not hold, as lines."""
    held = _destructive(approved or {})
    lines = []
    for key, action in _destructive(reviewed).items():
        if key not in held:
            people = action.get("subscribers")
            reach = f" ({people:,} subscribers)" if isinstance(people, int) else ""
            lines.append(f"  {action.get('action')} {action.get('address')}{reach}")
    return lines


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "label-time":
        print(label_time(_read(argv[1]), argv[2]))
        return 0
    if len(argv) >= 3 and argv[0] == "plan-at":
        print(plan_at(_read(argv[1]), argv[2]))
        return 0
    if len(argv) >= 2 and argv[0] == "unapproved":
        approved = json.loads(_read(argv[2])) if len(argv) >= 3 and argv[2] else None
        lines = unapproved(json.loads(_read(argv[1])), approved)
        print("\n".join(lines))
        return 1 if lines else 0
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
