"""Helpers shared by plan, apply and export: cheap checks that run before the first API call."""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
from contextlib import contextmanager
from typing import Iterator, Optional

from tatango_iac.api.client import TatangoClient
from tatango_iac.cli import output
from tatango_iac.cli.main import Failure
from tatango_iac.config.changed import BaseDoesNotLoad, scope_changed_since
from tatango_iac.config.diagnostics import render as render_diagnostics
from tatango_iac.config.loader import load_or_raise
from tatango_iac.engine.plan import FORMAT_VERSION, Plan
from tatango_iac.engine.render import (
    RENDERERS,
    render_drift_markdown,
    render_drift_text,
    render_text_tty,
)
from tatango_iac.identity.scope import Scope
from tatango_iac.model import DesiredAccount
from tatango_iac.workflow import api_client


def load_desired(paths: tuple[str, ...] | list[str]) -> DesiredAccount:
    desired, diagnostics = load_or_raise(paths)
    warnings = [d for d in diagnostics if d.severity == "warning"]
    if warnings:
        output.err(render_diagnostics(warnings, "text"))
    return desired


def check_targets(desired: DesiredAccount, targets: tuple[str, ...] | list[str]) -> None:
    names = sorted({str(d.name) for d in desired.lists})
    unknown = [t for t in targets if t not in names]
    if not unknown:
        return
    lines = []
    for name in unknown:
        hint = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        lines.append(
            f"--target '{name}' is not a list in the configuration" + (f"; did you mean '{hint[0]}'?" if hint else "")
        )
    raise Failure("Error: " + "\n".join(lines) + "\nNothing was read or changed.")


def scope_for(
    desired: DesiredAccount,
    targets: tuple[str, ...],
    changed_since: Optional[str],
    excludes: tuple[str, ...] = (),
    history_check: bool = True,
) -> Scope:
    if targets and changed_since:
        raise Failure("Error: give --target or --changed-since, not both")
    check_targets(desired, targets)
    if set(targets) & set(excludes):
        raise Failure(
            f"Error: --target and --exclude both name {sorted(set(targets) & set(excludes))[0]!r}. "
            "Nothing was read or changed."
        )
    # An --exclude that names no configured list may name a live one: the planner checks it against the
    # account's lists once the index is read, before any write.
    scope = _changed_since(changed_since, desired) if changed_since else Scope.targets(targets)
    return dataclasses.replace(scope, excluded=frozenset(excludes), history_check=history_check)


def _changed_since(ref: str, desired: DesiredAccount) -> Scope:
    """A base that does not load (a broken main this change repairs) must not block its own fix: plan every
    list instead, and say so, since the plan then also shows differences this change did not make."""
    try:
        return scope_changed_since(ref, desired, os.environ)
    except BaseDoesNotLoad as broken:
        why = (
            f"{broken}; planning every list instead of only those changed since {ref}: "
            "this plan may also show changes made outside this pull request"
        )
        output.err(f"Warning: {why}")  # the job log has it even if the plan fails later
        return Scope(fallback=why)


def check_writable(path: str) -> None:
    """--out must be writable before hours of reads, not after."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise Failure(f"Error: --out {path} is a directory; give a file name. Nothing was read.")
    if not os.path.isdir(directory):
        raise Failure(f"Error: --out {path}: directory {directory} does not exist. Nothing was read.")
    if not os.access(directory, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise Failure(f"Error: --out {path} is not writable. Nothing was read.")


@contextmanager
def client_for(
    sandbox: bool,
    profile: Optional[str],
    rate: Optional[float],
    max_wait: Optional[float],
    account: Optional[str] = None,
) -> Iterator[TatangoClient]:
    with api_client(
        sandbox or bool(profile),
        rate,
        os.environ,
        on_event=output.event,
        profile=profile,
        max_wait=max_wait,
        account=account,
    ) as client:
        yield client


def render_plan(
    plan: Plan, fmt: str, drift: bool = False, saved_drift: Optional[dict] = None, whole: bool = True
) -> str:
    """``saved_drift``: the drift section of a saved plan (its actions no longer know their live lists);
    ``whole`` False: a part of it (one list), so the plan's summary line for the whole account is left out."""
    if drift:
        report = saved_drift if saved_drift is not None else plan.drift()
        text = render_drift_text(report, plan.summary_line() if whole else "")
        if fmt == "markdown":
            return render_drift_markdown(report, text)
        if fmt == "json":
            return json.dumps({"format_version": FORMAT_VERSION, "summary": plan.summary(), "drift": report}, indent=2)
        return text
    if fmt == "text" and output.stdout_colour():
        return render_text_tty(plan)
    return RENDERERS[fmt](plan)
