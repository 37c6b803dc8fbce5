"""Markdown for pull-request comments: a summary table, the actions in a collapsed ``diff``
block, and a truncation that keeps the comment under GitHub's 65,536-character limit."""

from __future__ import annotations

import html

from tatango_iac.engine.ignoring import ignored_line
from tatango_iac.engine.plan import Plan
from tatango_iac.engine.provenance import by_origin
from tatango_iac.engine.render.lines import body_lines, headline, subscribers_text
from tatango_iac.engine.render.text import blocked_lines, outside_lines, unmanaged_lines
from tatango_iac.engine.safety import people
from tatango_iac.terminal import safe

GITHUB_COMMENT_LIMIT = 65_536
MARKDOWN_BUDGET = 60_000  # leave room for the sticky-comment marker and the wrapper
FULL_PLAN_HINT = (
    "The full plan is in this workflow run's job summary and in its `tatango-plan` artifact (plan.json, plan.txt)."
)


def _code(text: str) -> str:
    """Inline code that survives backticks in names."""
    text = safe(text)
    ticks = "`"
    while ticks in text:
        ticks += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _fence(body: str) -> str:
    ticks = "```"
    while ticks in body:
        ticks += "`"
    return ticks


def _head(plan: Plan) -> list[str]:
    s = plan.summary()
    paths = ", ".join(_code(p) for p in plan.config_paths) or "(none)"
    out = [f"**{html.escape(plan.summary_line())}**", "", f"Configuration: {paths}"]
    if plan.account:
        out.append(html.escape(safe(plan.account_line()), quote=False))
    if plan.scope.get("kind") != "all":
        out.append(f"Scope: {html.escape(plan.scope['kind'])} ({len(plan.scope.get('lists', []))} list(s))")
    out.append("")
    out += _limits(plan)
    if plan.has_changes:
        out += [
            "| create | update | replace | delete | destructive | blocked |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {s['create']} | {s['update']} | {s['replace']} | {s['delete']} | {s['destructive']} | {s['blocked']} |",
            "",
        ]
        out += _people(s)
    if plan.actions and plan.forecast is not None:
        sentence = html.escape(plan.forecast.sentence())
        out += [f"> **Warning:** {sentence}" if not plan.forecast.fits_one_job else sentence, ""]
    if s["destructive"]:
        out.append(
            f"> **Warning:** {s['destructive']} destructive action(s) affect "
            f"{people(s['subscribers_affected'], s['subscribers_unknown'])}; apply needs `--allow-destroy`:"
        )
        for action in plan.actions:
            if action.destructive:
                count = subscribers_text(action.subscribers)
                out.append(
                    f"> - {_code(action.address)} ({action.action}, "
                    f"{count if action.is_list_delete else 'stored values of ' + count})"
                )
        out.append("")
    for blocked in plan.blocked:
        out += [f"> **Blocked:** {html.escape(safe(blocked['message']))}", ""]
    rows = by_origin(plan.actions)
    if rows:  # a change to one template reads as one change, however many lists it reaches
        out += ["| from | lists | fields |", "|---|---:|---|"]
        out += [
            f"| {html.escape(safe(label), quote=False)} | {count} | {', '.join(_code(f) for f in fields)} |"
            for label, count, fields in rows
        ]
        out.append("")
    return _outside(plan) + _compliance_callout(plan) + out


# Enough to make the point in a comment; the rest is in the plan's JSON (and the job summary's full plan).
MARKDOWN_OUTSIDE_LIMIT = 50


def _outside(plan: Plan) -> list[str]:
    """First in a PR comment: what this PR would revert of changes made in the web UI."""
    lines = outside_lines(plan, MARKDOWN_OUTSIDE_LIMIT)
    if not lines:
        return []
    body = "\n".join(lines[1:])
    fence = _fence(body)
    return ["> [!IMPORTANT]", f"> **{html.escape(lines[0], quote=False)}**", "", f"{fence}diff", body, fence, ""]


def _compliance_callout(plan: Plan) -> list[str]:
    """At the very top when a change breaks a message rule: the reviewer must not miss it."""
    review = plan.compliance()
    if not review["breaks"]:
        return []
    out = [
        "> [!WARNING]",
        f"> **Compliance:** this change breaks {review['breaks']} message rule(s)"
        + (f" and fixes {review['fixes']}" if review["fixes"] else "")
        + ":",
    ]
    for message in review["messages"]:
        for broken in message["breaks"]:
            out.append(
                f"> - {_code(message['address'])}: {html.escape(safe(broken['message']), quote=False)} "
                f"({_code(broken['rule'])}, {broken['severity']})"
            )
    return out + [""]


def _people(s: dict) -> list[str]:
    out = []
    if s["destructive"]:
        out.append(f"Destructive actions affect **{people(s['subscribers_affected'], s['subscribers_unknown'])}**.")
    if s["conversations_changed"] or s["conversations_unknown"]:
        out.append(
            "Message changes reach the conversations of "
            f"**{people(s['conversations_changed'], s['conversations_unknown'])}**."
        )
    return out + [""] if out else []


def _limits(plan: Plan) -> list[str]:
    if not plan.over_limit:
        return []
    out = [
        "> [!CAUTION]",
        f"> **Over the safety limits:** apply refuses this plan without `--allow-bulk` "
        f"({len(plan.over_limit)} limit(s)):",
    ]
    out += [f"> - this plan {html.escape(safe(e['message']))}" for e in plan.over_limit]
    return out + [""]


def _body(plan: Plan) -> list[str]:
    lines: list[str] = []
    for index, action in enumerate(plan.actions, 1):
        # GitHub colours a diff block's lines by their first character: keep the sign in column 0.
        sign, text = headline(action).split(" ", 1)
        lines.append(f"{sign[0]} {index}. {sign} {text}" if len(sign) > 1 else f"{sign} {index}. {text}")
        lines += [f"{s}     {t}".rstrip() for s, t in body_lines(action)]
    extra = unmanaged_lines(plan) + blocked_lines(plan)
    return lines + ([""] if lines and extra else []) + extra


def render_markdown(plan: Plan, budget: int = MARKDOWN_BUDGET) -> str:
    head = "\n".join(["### tatango-iac plan", ""] + _head(plan))
    body_lines = _body(plan)
    if body_lines:
        body = "\n".join(body_lines)
        room = budget - len(head) - 600
        note = ""
        if len(body) > room:
            kept = body[: max(room, 0)].rsplit("\n", 1)[0]
            note = (
                f"\n\n*Output truncated: {len(kept):,} of {len(body):,} characters shown (GitHub comments are "
                f"limited to {GITHUB_COMMENT_LIMIT:,}). {FULL_PLAN_HINT}*"
            )
            body = kept
        fence = _fence(body)
        summary = f"Show {len(plan.actions)} action(s)" if plan.actions else "Show details"
        head += f"\n<details><summary>{summary}</summary>\n\n{fence}diff\n{body}\n{fence}\n{note}\n</details>\n"
    for note in plan.notes:
        head += f"\n_Note: {html.escape(safe(note))}_\n"
    for warning in plan.warnings:
        head += f"\n_Warning: {html.escape(safe(warning))}_\n"
    if ignored_line(plan.ignored):
        head += f"\n_{html.escape(safe(ignored_line(plan.ignored)))}_\n"
    return head


def render_markdown_error(message: str) -> str:
    """A failed plan, as a comment: the reviewer sees why there is no plan."""
    text = safe(message)
    fence = _fence(text)
    return (
        f"### tatango-iac plan failed\n\n**The plan could not be made; nothing was changed.**\n\n{fence}\n{text}\n"
        f"{fence}\n"
    )
