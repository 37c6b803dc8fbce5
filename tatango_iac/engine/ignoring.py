"""Ignored lists (§14): ``account.ignore`` name patterns and ``--exclude NAME``.

An ignored list is left out of unmanaged reporting, prune and drift. Patterns apply to
lists no file manages (a configured list is managed whatever its name); ``--exclude``
names any list, configured or live, for one run (OpenTofu's ``-exclude``): a configured
list so named is neither read nor planned. The plan says how many lists it left out.
"""

from __future__ import annotations

import difflib
import fnmatch
from typing import Any

from tatango_iac.engine.protection import matching_pattern
from tatango_iac.engine.steps import Context
from tatango_iac.model import LiveList


def ignored(ctx: Context, lst: LiveList) -> bool:
    """A live list no file manages that account.ignore or --exclude leaves out."""
    return lst.name in ctx.scope.excluded or matching_pattern(lst.name, ctx.desired.account.ignore) is not None


def unknown_excludes(ctx: Context) -> list[str]:
    """An --exclude that names no list of the configuration nor of the account is a typo: say so, with a hint."""
    names = sorted({str(d.name) for d in ctx.desired.lists} | {str(lst.name) for lst in ctx.live.lists})
    problems = []
    for name in sorted(ctx.scope.excluded):
        if name in names:
            continue
        hint = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        problems.append(
            f"--exclude '{name}' is not a list in the configuration nor in the account"
            + (f"; did you mean '{hint[0]}'?" if hint else "")
        )
    return problems


def unmatched_patterns(ctx: Context) -> list[str]:
    """A pattern of account.ignore that leaves out no live list is most likely a typo: a warning naming it.

    Only lists no file manages can be ignored, so those are the names it is compared with (did-you-mean).
    """
    managed = ctx.match.managed_ids
    unmanaged = sorted({str(lst.name) for lst in ctx.live.lists if lst.id not in managed})
    warnings = []
    for pattern in ctx.desired.account.ignore:
        if any(fnmatch.fnmatchcase(name, pattern) for name in unmanaged):
            continue
        hint = difflib.get_close_matches(pattern, unmanaged, n=1, cutoff=0.6)
        warnings.append(
            f"account.ignore pattern '{pattern}' matches no list of the account that no file manages"
            + (f"; did you mean '{hint[0]}'?" if hint else " (a typo?)")
        )
    return warnings


def ignored_summary(ctx: Context) -> dict[str, Any]:
    """{"count", "patterns", "excluded"}: the live lists left out, plus excluded entries not yet in the account."""
    managed = ctx.match.managed_ids
    live_ids = {
        lst.id
        for lst in ctx.live.lists
        if lst.name in ctx.scope.excluded or (lst.id not in managed and ignored(ctx, lst))
    }
    live_names = {lst.name for lst in ctx.live.lists}
    new = {d.key for d in ctx.desired.lists if d.name in ctx.scope.excluded and d.name not in live_names}
    return {
        "count": len(live_ids) + len(new),
        "patterns": list(ctx.desired.account.ignore),
        "excluded": sorted(ctx.scope.excluded),
    }


def ignored_line(summary: dict[str, Any]) -> str:
    """One sentence for text and Markdown ('' when nothing is ignored: a pattern that matched nothing is a
    warning of its own, never "Ignored: 0 list(s)")."""
    if not summary.get("count"):
        return ""
    why = [f"account.ignore {', '.join(summary['patterns'])}"] if summary.get("patterns") else []
    why += [f"--exclude {', '.join(summary['excluded'])}"] if summary.get("excluded") else []
    return (
        f"Ignored: {summary['count']} list(s) left out ({'; '.join(why)}): not reported as unmanaged, "
        "pruned, planned or checked for drift."
    )
