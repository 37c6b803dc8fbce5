"""Plan renderers: Terraform-like text, JSON (documented in the README), Markdown for PR comments."""
from __future__ import annotations

import html
import json
from typing import Any, Callable

import click

from tatango_iac.engine.plan import Action, Plan
from tatango_iac.secrets import display

GITHUB_COMMENT_LIMIT = 65_536
MARKDOWN_BUDGET = 60_000  # leave room for the sticky-comment marker and the wrapper
SYMBOLS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}
COLOURS = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red"}


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _headline(action: Action) -> str:
    notes = [action.action]
    if action.destructive:
        notes.append("DESTRUCTIVE")
    if action.resource == "list" and action.action == "delete":
        notes.append(f"{action.subscribers:,} subscribers")
    if action.reason:
        notes.append(action.reason)
    return f"{SYMBOLS[action.action]} {action.address} ({'; '.join(notes)})"


def action_lines(action: Action) -> list[str]:
    """The body of one action: attributes for create/delete, changed paths for update/replace."""
    if action.action in ("update", "replace"):
        return [f"~ {c['path']}: {_value(c['before'])} -> {_value(c['after'])}" for c in action.changes()]
    shown = dict(_flatten(display(action.after if action.action == "create" else action.before) or {}))
    width = max((len(k) for k in shown), default=0)
    sign = "+" if action.action == "create" else "-"
    return [f"{sign} {k.ljust(width)} = {_value(v)}" for k, v in shown.items()]


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested values (opt-in requests) as one line per leaf: opt_in_requests[0].collected_data."""
    if isinstance(value, dict) and (value or not prefix):
        items = [(f"{prefix}.{k}" if prefix else str(k), v) for k, v in value.items()]
    elif isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
        items = [(f"{prefix}[{i}]", v) for i, v in enumerate(value)]
    else:
        return [(prefix, value)]
    return [pair for key, v in items for pair in _flatten(v, key)]


def _unmanaged_lines(plan: Plan) -> list[str]:
    if not plan.unmanaged_lists:
        return []
    pruning = any(u["action"] == "delete" for u in plan.unmanaged_lists)
    head = ("Unmanaged lists (in the account, in no file; account.prune is on: planned for deletion above):"
            if pruning else
            "Unmanaged lists (in the account, in no file; left alone - set account.prune: true to delete them):")
    lines = [head]
    for u in plan.unmanaged_lists:
        kws = f", keywords {', '.join(u['keyword_names'])}" if u["keyword_names"] else ""
        lines.append(f"  * {_value(u['name'])} (id {u['id']}, {u['subscribers']:,} subscribers{kws})")
    return lines


def render_text(plan: Plan, colour: Callable[[str, str], str] = lambda text, action: text) -> str:
    lines: list[str] = []
    if plan.actions:
        lines.append("tatango-iac will perform these actions, in this order:")
        lines.append("")
        for index, action in enumerate(plan.actions, 1):
            lines.append(f"  {index:>3}. " + colour(_headline(action), action.action))
            lines.extend(f"         {line}" for line in action_lines(action))
        lines.append("")
    lines.extend(_unmanaged_lines(plan))
    if plan.unmanaged_lists:
        lines.append("")
    for warning in plan.warnings:
        lines.append(f"Warning: {warning}")
    destructive = plan.summary()["destructive"]
    if destructive:
        lines.append(colour(f"{destructive} destructive action(s): apply needs --allow-destroy.", "delete"))
    lines.append(colour(plan.summary_line(), "update" if plan.actions else "create"))
    return "\n".join(lines)


def render_text_tty(plan: Plan) -> str:
    return render_text(plan, lambda text, action: click.style(text, fg=COLOURS[action], bold=True))


def render_drift_text(plan: Plan) -> str:
    """The nightly view: what differs, grouped by kind, live and desired side by side."""
    drift = plan.drift()
    lines = ["Drift report: the live account compared with the configuration", ""]
    changed = drift["changed_attributes"]
    lines.append(f"Managed attributes whose live value differs ({len(changed)}):")
    for item in changed:
        where = f"{item['address']}.{item['attribute']}" if item["attribute"] else f"{item['address']} ({item['action']})"
        lines.append(f"  {where}")
        lines.append(f"      live:    {_value(item['live'])}")
        lines.append(f"      desired: {_value(item['desired'])}")
    lines += ["", f"Managed lists missing from the account ({len(drift['missing_lists'])}):"]
    lines += [f"  {_value(m['list'])}" for m in drift["missing_lists"]]
    lines += ["", f"Lists in the account that no file manages ({len(drift['unmanaged_lists'])}):"]
    lines += [f"  {_value(u['name'])} (id {u['id']}, {u['subscribers']:,} subscribers)" for u in drift["unmanaged_lists"]]
    lines += ["", "In sync." if not plan.actions and not drift["unmanaged_lists"] else plan.summary_line()]
    return "\n".join(lines)


def render_json(plan: Plan) -> str:
    return plan.dumps()


def _fence(body: str) -> str:
    ticks = "```"
    while ticks in body:
        ticks += "`"
    return ticks


def render_markdown(plan: Plan, budget: int = MARKDOWN_BUDGET) -> str:
    s = plan.summary()
    out = ["### tatango-iac plan", "", f"**{html.escape(plan.summary_line())}**", ""]
    if plan.actions:
        out += ["| create | update | replace | delete | destructive |", "|---:|---:|---:|---:|---:|",
                f"| {s['create']} | {s['update']} | {s['replace']} | {s['delete']} | {s['destructive']} |", ""]
    if s["destructive"]:
        out.append(f"> **Warning:** {s['destructive']} destructive action(s); apply needs `--allow-destroy`:")
        for action in plan.actions:
            if action.destructive:
                out.append(f"> - `{action.address}` ({action.action})")
        out.append("")
    body_lines: list[str] = []
    for index, action in enumerate(plan.actions, 1):
        # GitHub colours a diff block's lines by their first character: keep the sign in column 0.
        sign, headline = _headline(action).split(" ", 1)
        body_lines.append(f"{sign} {index}. {headline}")
        body_lines.extend(f"{line[0]}     {line[2:]}" for line in action_lines(action))
    body_lines += ([""] if body_lines and plan.unmanaged_lists else []) + _unmanaged_lines(plan)
    head = "\n".join(out)
    if body_lines:
        body = "\n".join(body_lines)
        room = budget - len(head) - 400
        note = ""
        if len(body) > room:
            kept = body[:max(room, 0)].rsplit("\n", 1)[0]
            note = (f"\n\n*Output truncated: {len(kept):,} of {len(body):,} characters shown (GitHub comments are "
                    f"limited to {GITHUB_COMMENT_LIMIT:,}). The full plan is in the job log and the saved plan file.*")
            body = kept
        fence = _fence(body)
        count = len(plan.actions)
        summary = f"Show {count} action(s)" if count else "Show unmanaged lists"
        head += f"\n<details><summary>{summary}</summary>\n\n{fence}diff\n{body}\n{fence}\n{note}\n</details>\n"
    for warning in plan.warnings:
        head += f"\n_Warning: {html.escape(warning)}_\n"
    return head


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
