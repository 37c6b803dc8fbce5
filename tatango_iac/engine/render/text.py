"""The Terraform-like text plan (the drift report is in drift.py)."""

from __future__ import annotations

import textwrap
from typing import Callable, Optional

import click

from tatango_iac.engine.ignoring import ignored_line
from tatango_iac.engine.plan import Plan
from tatango_iac.engine.pr_origin import OUTSIDE_TITLE, outside_changes
from tatango_iac.engine.provenance import origin_lines
from tatango_iac.engine.render.lines import body_lines, headline, limit_lines, subscribers_text, value_text
from tatango_iac.terminal import safe

COLOURS = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red"}
Colour = Callable[[str, str], str]


def _plain(text: str, kind: str) -> str:
    return text


def unmanaged_lines(plan: Plan) -> list[str]:
    if not plan.unmanaged_lists:
        return []
    pruning = any(u["action"] == "delete" for u in plan.unmanaged_lists)
    head = (
        "Unmanaged lists (in the account, in no file; account.prune is on: planned for deletion above):"
        if pruning
        else "Unmanaged lists (in the account, in no file; left alone):"
    )
    lines = [head]
    for u in plan.unmanaged_lists:
        kws = f", keywords {', '.join(u['keyword_names'])}" if u["keyword_names"] else ""
        kept = f"; protected ({u['protected_by']}): never deleted" if u.get("protected_by") else ""
        kept = "; its deletion is refused: see Blocked" if u["action"] == "refused" else kept
        lines.append(
            safe(f"  * {value_text(u['name'])} (id {u['id']}, {subscribers_text(u['subscribers'])}{kws}{kept})")
        )
    return lines


def outside_lines(plan: Plan, limit: Optional[int] = None) -> list[str]:
    """A PR plan's reverts of changes made outside the tool, live value first (display-safe values)."""
    outside = outside_changes(plan)
    if not outside:
        return []
    ref = plan.scope.get("ref")
    lines = [
        f"{OUTSIDE_TITLE} ({len(outside)} attribute(s): the configuration is the same at {ref} and now, "
        "the account differs):"
    ]
    for item in outside[:limit]:
        where = f"{item['address']}.{item['attribute']}" if item["attribute"] else f"{item['address']} ({item['kind']})"
        lines += [
            safe(f"  {item['action']}. {where}"),
            f"      live (would be lost): {value_text(item['live'])}",
            f"      desired:              {value_text(item['desired'])}",
        ]
    if limit is not None and len(outside) > limit:
        lines.append(f"  ... and {len(outside) - limit} more (all are in the plan's JSON under pr_origin)")
    return lines


def blocked_lines(plan: Plan) -> list[str]:
    if not plan.blocked:
        return []
    lines = [f"Blocked: {len(plan.blocked)} change(s) need your decision (apply refuses until then):"]
    lines += [safe(f"  ! {b['address']}: {b['message']}") for b in plan.blocked]
    return lines


def footer_lines(plan: Plan, colour: Colour) -> list[str]:
    lines: list[str] = []
    for section in (
        origin_lines(plan.actions),
        unmanaged_lines(plan),
        blocked_lines(plan),
        [safe(f"Note: {n}") for n in plan.notes],
    ):
        if section:
            lines += section + [""]
    lines += [safe(f"Warning: {w}") for w in plan.warnings]
    lines += [safe(line) for line in [ignored_line(plan.ignored)] if line]
    review = plan.compliance()
    if review["breaks"] or review["fixes"]:
        marked = " (lines marked ! above)" if review["breaks"] else ""
        lines.append(
            f"Compliance: this change breaks {review['breaks']} message rule(s) and fixes {review['fixes']}{marked}."
        )
    destructive = plan.summary()["destructive"]
    if destructive:
        lines.append(colour(f"{destructive} destructive action(s): apply needs --allow-destroy.", "delete"))
    lines += readback_lines(plan)
    lines += [colour(line, "delete") for line in limit_lines(plan.over_limit)]
    if plan.actions and plan.forecast is not None:
        lines += textwrap.wrap(plan.forecast.sentence(), 118, subsequent_indent="  ", break_on_hyphens=False)
    lines.append(colour(plan.summary_line(), "update" if plan.has_changes else "create"))
    return lines


def readback_lines(plan: Plan) -> list[str]:
    """The read-back's cost, stated before anyone approves the plan (§13)."""
    info = plan.readback
    if not plan.actions or not info:
        return []
    children = f" and {info['child_reads']} webhook/custom-field index(es)" if info.get("child_reads") else ""
    objects = f", {info['object_reads']} list(s) read one by one" if info.get("object_reads") else ""
    return [
        f"Read-back: after its last write, apply re-reads what it touched: {info['calls']} call(s)",
        f"  ({info['index_pages']} list index page(s){objects}{children}); `apply --no-verify` skips it.",
    ]


def render_text(plan: Plan, colour: Colour = _plain) -> str:
    lines: list[str] = [safe(plan.account_line()), ""] if plan.account else []
    # Over a threshold: said at the top (before a long plan) and again above the summary line.
    limits = [colour(line, "delete") for line in limit_lines(plan.over_limit)]
    lines += limits + ([""] if limits else [])
    reverts = outside_lines(plan)  # before the actions: a reviewer must not take them for the PR's own edits
    lines += reverts + ([""] if reverts else [])
    if plan.actions:
        lines += ["tatango-iac will perform these actions, in this order:", ""]
        for index, action in enumerate(plan.actions, 1):
            lines.append(f"  {index:>3}. " + colour(headline(action), action.action))
            lines += [f"         {sign} {text}".rstrip() for sign, text in body_lines(action)]
        lines.append("")
    return "\n".join(lines + footer_lines(plan, colour))


def render_text_tty(plan: Plan) -> str:
    return render_text(plan, lambda text, kind: click.style(text, fg=COLOURS[kind], bold=True))
