"""The nightly drift report: what differs, grouped by kind, from a plan's ``drift`` section.

It reads the drift dictionary (``Plan.drift()``, or the ``drift`` of a saved plan), so that
``show --drift`` of a saved plan prints exactly what the nightly job printed. Keyword
changes are ``+``/``-`` keywords as in the plan (never a positional live/desired pair);
"In sync." is printed only when nothing at all is reported.
"""

from __future__ import annotations

import html
from typing import Any

from tatango_iac.engine.ignoring import ignored_line
from tatango_iac.engine.render.lines import change_lines, subscribers_text, value_text
from tatango_iac.terminal import safe

Drift = dict[str, Any]


def drift_failing(drift: Drift, disabled_webhooks_fail: bool = True) -> bool:
    """Whether the nightly job should fail (exit 2): anything but unmanaged lists, which are reported only.

    A disabled webhook fails it by default: the configuration says events reach that endpoint and they
    do not, and no plan can ever fix it (the API has no call to re-enable a webhook), so nothing else
    would ever tell anyone.
    """
    return bool(
        drift.get("changed_attributes")
        or drift.get("missing_lists")
        or drift.get("blocked")
        or (disabled_webhooks_fail and drift.get("disabled_webhooks"))
    )


def drift_of_list(drift: Drift, name: str) -> Drift:
    """The part of a drift report that concerns one managed list (one issue or pull request per list)."""
    mine: Drift = {
        key: [item for item in drift.get(key) or [] if str(item.get("list")) == name]
        for key in ("changed_attributes", "missing_lists", "blocked", "disabled_webhooks")
    }
    in_sync = not any(mine.values())
    mine.update(unmanaged_lists=[], in_sync=in_sync, lists=[] if in_sync else [name])
    return mine


def drift_status(drift: Drift) -> str:
    """One line that never says "In sync." while something is reported."""
    counts = [
        (len(drift.get("changed_attributes") or []), "changed attribute(s)"),
        (len(drift.get("missing_lists") or []), "missing list(s)"),
        (len(drift.get("blocked") or []), "blocked change(s)"),
        (len(drift.get("disabled_webhooks") or []), "disabled webhook(s)"),
        (len(drift.get("unmanaged_lists") or []), "unmanaged list(s) (reported only)"),
    ]
    found = [f"{n} {what}" for n, what in counts if n]
    if not found:
        return "In sync."
    return "Drift: " + ", ".join(found) + "."


def _changed_lines(item: dict[str, Any], same_address: bool) -> list[str]:
    if item.get("op"):  # a keyword or an opt-in request added or removed: the plan's own +/- lines
        change: dict[str, Any] = {
            "path": item["attribute"],
            "op": item["op"],
            "before": item["live"],
            "after": item["desired"],
            **{k: item[k] for k in ("from_list", "to_list") if k in item},
        }
        head = [] if same_address else [safe(f"  {item['address']}")]
        return head + [f"      {sign} {text}".rstrip() for sign, text in change_lines(change)]
    where = f"{item['address']}.{item['attribute']}" if item["attribute"] else f"{item['address']} ({item['action']})"
    return [
        safe(f"  {where}"),
        f"      live:    {value_text(item['live'])}",
        f"      desired: {value_text(item['desired'])}",
    ]


def render_drift_text(drift: Drift, summary_line: str = "") -> str:
    lines = ["Drift report: the live account compared with the configuration", ""]
    changed = drift.get("changed_attributes") or []
    lines.append(f"Managed attributes whose live value differs ({len(changed)}):")
    if any(item.get("attribute") == "keyword_names" for item in changed):
        lines.append(
            "  (+ keyword: in the configuration, not in the account; - keyword: in the account, not in "
            "the configuration)"
        )
    previous: dict[str, Any] = {}
    for item in changed:  # one heading per address for its +/- members
        lines += _changed_lines(
            item, bool(item.get("op") and previous.get("op")) and item["address"] == previous.get("address")
        )
        previous = item
    missing = drift.get("missing_lists") or []
    lines += ["", f"Managed lists missing from the account ({len(missing)}):"]
    for entry in missing:
        renamed = entry.get("probably_renamed_to")
        hint = f" (probably renamed to {value_text(renamed)} in the web UI: add `renamed_from`)" if renamed else ""
        lines.append(safe(f"  {value_text(entry['list'])}{hint}"))
    unmanaged = drift.get("unmanaged_lists") or []
    lines += ["", f"Lists in the account that no file manages ({len(unmanaged)}):"]
    lines += [
        safe(f"  {value_text(u['name'])} (id {u['id']}, {subscribers_text(u['subscribers'])})") for u in unmanaged
    ]
    if drift.get("ignored"):
        lines.append(safe(ignored_line(drift["ignored"])))
    disabled = drift.get("disabled_webhooks") or []
    if disabled:
        lines += [
            "",
            (
                f"Disabled webhooks ({len(disabled)}): they receive no events; re-enable them in the web "
                "UI (the API has no call for it)"
            ),
        ]
        lines += [
            safe(f"  {value_text(h['callback_url'])} of list {value_text(h['list'])} (id {h['id']})") for h in disabled
        ]
    blocked = drift.get("blocked") or []
    if blocked:
        lines += ["", f"Blocked: {len(blocked)} change(s) need your decision (apply refuses until then):"]
        lines += [safe(f"  ! {b['address']}: {b['message']}") for b in blocked]
    if drift.get("children_coverage") is not None:
        lines += [""] + coverage_lines(drift["children_coverage"])
    status = drift_status(drift)
    lines += ["", status]
    if summary_line and status != "In sync." and not summary_line.startswith("No changes"):
        lines.append(summary_line)
    return "\n".join(lines)


COVERAGE_SHOWN = 20  # the rest is in the JSON report (--out)


def coverage_lines(coverage: dict[str, Any]) -> list[str]:
    """Budgeted drift: whose webhooks and custom fields were checked tonight, and when the others were."""
    total, checked, nights = coverage["lists"], coverage["checked"], coverage["full_coverage_nights"]
    lines = [
        f"Webhooks and custom fields checked tonight: {checked} of {total} list(s)"
        + (
            f" (budget {coverage['budget']} calls, {coverage['fixed_calls']} for the list index and keyword checks)"
            if coverage["budget"] is not None
            else ""
        )
        + "."
    ]
    if coverage["budget"] is not None:
        lines.append(
            f"At this budget every list's are checked within {nights} night(s)."
            if nights is not None
            else "At this budget they are never checked: raise --budget."
        )
    skipped = coverage["not_checked"]
    if skipped:
        lines.append(f"Not checked tonight ({len(skipped)}), least recently checked first:")
        for item in skipped[:COVERAGE_SHOWN]:
            when = f"last checked {item['last_checked']}" if item["last_checked"] else "never checked by this state"
            lines.append(safe(f"  {item['list']} (id {item['id']}): {when}"))
        if len(skipped) > COVERAGE_SHOWN:
            lines.append(f"  ... and {len(skipped) - COVERAGE_SHOWN} more (all of them in the JSON report, --out)")
    lines += [safe(f"Warning: {w}") for w in coverage.get("warnings") or []]
    return lines


def _fence(body: str) -> str:
    ticks = "```"
    while ticks in body:
        ticks += "`"
    return ticks


def render_drift_markdown(drift: Drift, drift_text: str) -> str:
    fence = _fence(drift_text)
    return f"### tatango-iac drift\n\n**{html.escape(drift_status(drift))}**\n\n{fence}\n{safe(drift_text)}\n{fence}\n"
