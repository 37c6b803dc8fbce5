"""The Terraform-like text plan, and the nightly drift report."""
from __future__ import annotations

from typing import Callable

import click

from tatango_iac.engine.plan import Plan
from tatango_iac.engine.render.lines import body_lines, headline, subscribers_text, value_text
from tatango_iac.terminal import safe

COLOURS = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red"}
Colour = Callable[[str, str], str]


def _plain(text: str, kind: str) -> str:
    return text


def unmanaged_lines(plan: Plan) -> list[str]:
    if not plan.unmanaged_lists:
        return []
    pruning = any(u["action"] == "delete" for u in plan.unmanaged_lists)
    head = ("Unmanaged lists (in the account, in no file; account.prune is on: planned for deletion above):"
            if pruning else "Unmanaged lists (in the account, in no file; left alone):")
    lines = [head]
    for u in plan.unmanaged_lists:
        kws = f", keywords {', '.join(u['keyword_names'])}" if u["keyword_names"] else ""
        lines.append(safe(f"  * {value_text(u['name'])} (id {u['id']}, {subscribers_text(u['subscribers'])}{kws})"))
    return lines


def blocked_lines(plan: Plan) -> list[str]:
    if not plan.blocked:
        return []
    lines = [f"Blocked: {len(plan.blocked)} change(s) need your decision (apply refuses until then):"]
    lines += [safe(f"  ! {b['address']}: {b['message']}") for b in plan.blocked]
    return lines


def footer_lines(plan: Plan, colour: Colour) -> list[str]:
    lines: list[str] = []
    for section in (unmanaged_lines(plan), blocked_lines(plan), [safe(f"Note: {n}") for n in plan.notes]):
        if section:
            lines += section + [""]
    lines += [safe(f"Warning: {w}") for w in plan.warnings]
    review = plan.compliance()
    if review["breaks"] or review["fixes"]:
        lines.append(f"Compliance: this change breaks {review['breaks']} message rule(s) and fixes "
                     f"{review['fixes']} (lines marked ! above).")
    destructive = plan.summary()["destructive"]
    if destructive:
        lines.append(colour(f"{destructive} destructive action(s): apply needs --allow-destroy.", "delete"))
    lines.append(colour(plan.summary_line(), "update" if plan.has_changes else "create"))
    return lines


def render_text(plan: Plan, colour: Colour = _plain) -> str:
    lines: list[str] = []
    if plan.actions:
        lines += ["tatango-iac will perform these actions, in this order:", ""]
        for index, action in enumerate(plan.actions, 1):
            lines.append(f"  {index:>3}. " + colour(headline(action), action.action))
            lines += [f"         {sign} {text}".rstrip() for sign, text in body_lines(action)]
        lines.append("")
    return "\n".join(lines + footer_lines(plan, colour))


def render_text_tty(plan: Plan) -> str:
    return render_text(plan, lambda text, kind: click.style(text, fg=COLOURS[kind], bold=True))


def render_drift_text(plan: Plan) -> str:
    """The nightly view: what differs, grouped by kind, live and desired side by side."""
    drift = plan.drift()
    lines = ["Drift report: the live account compared with the configuration", ""]
    changed = drift["changed_attributes"]
    lines.append(f"Managed attributes whose live value differs ({len(changed)}):")
    for item in changed:
        where = f"{item['address']}.{item['attribute']}" if item["attribute"] else f"{item['address']} ({item['action']})"
        lines += [safe(f"  {where}"), f"      live:    {value_text(item['live'])}",
                  f"      desired: {value_text(item['desired'])}"]
    lines += ["", f"Managed lists missing from the account ({len(drift['missing_lists'])}):"]
    for missing in drift["missing_lists"]:
        renamed = missing.get("probably_renamed_to")
        hint = f" (probably renamed to {value_text(renamed)} in the web UI: add `renamed_from`)" if renamed else ""
        lines.append(safe(f"  {value_text(missing['list'])}{hint}"))
    lines += ["", f"Lists in the account that no file manages ({len(drift['unmanaged_lists'])}):"]
    lines += [safe(f"  {value_text(u['name'])} (id {u['id']}, {subscribers_text(u['subscribers'])})")
              for u in drift["unmanaged_lists"]]
    if drift["disabled_webhooks"]:
        lines += ["", f"Disabled webhooks ({len(drift['disabled_webhooks'])}):"]
        lines += [safe(f"  {value_text(h['callback_url'])} of list {value_text(h['list'])} (id {h['id']})")
                  for h in drift["disabled_webhooks"]]
    if plan.blocked:
        lines += [""] + blocked_lines(plan)
    in_sync = not plan.has_changes and not drift["unmanaged_lists"]
    lines += ["", "In sync." if in_sync else plan.summary_line()]
    return "\n".join(lines)
