"""Glue between the stages: client set-up (real or embedded sandbox), plan, saved and reviewed plans."""

from __future__ import annotations

import dataclasses
import json
import os
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping, Optional

from tatango_iac.api.client import Clock, TatangoClient
from tatango_iac.api.credentials import account_identity
from tatango_iac.api.reader import Progress, read_live
from tatango_iac.config.history import Candidate, remember
from tatango_iac.config.loader import load_or_raise
from tatango_iac.engine.forecast import forecast
from tatango_iac.engine.plan import FORMAT_VERSION, Plan, comparable_from_saved
from tatango_iac.engine.planfile import plan_shape_problem
from tatango_iac.engine.planner import plan as compute_plan
from tatango_iac.engine.reads import reads_for
from tatango_iac.engine.recheck import readback_calls
from tatango_iac.engine.records import FormsRecord
from tatango_iac.errors import TatangoIacError
from tatango_iac.identity.scope import Scope
from tatango_iac.model import DesiredAccount, LiveAccount

SANDBOX_STATE_DEFAULT = ".tatango-sandbox.json"

# The clock every CLI run uses; the test suite swaps in a fake so that no test sleeps for real.
make_clock: Callable[[], Clock] = Clock


class StalePlan(TatangoIacError):
    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("plan is stale: " + "; ".join(reasons))

    def user_message(self) -> str:
        return (
            "plan is stale, refusing to apply (nothing was changed):\n  "
            + "\n  ".join(self.reasons)
            + "\nRun `tatango-iac plan --out FILE` again and review it."
        )


class SavedPlanError(TatangoIacError):
    pass


@contextmanager
def api_client(
    sandbox: bool,
    rate: Optional[float],
    env: Mapping[str, str],
    clock: Optional[Clock] = None,
    on_event: Optional[Callable[[str], None]] = None,
    profile: Optional[str] = None,
    max_wait: Optional[float] = None,
    account: Optional[str] = None,
) -> Iterator[TatangoClient]:
    clock = clock or make_clock()
    if not sandbox and not profile:
        yield TatangoClient.from_env(
            env, rate_per_hour=rate, clock=clock, on_event=on_event, max_wait=max_wait, account=account
        )
        return
    from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL, SandboxServer
    from tatango_iac.sandbox.profiles import profile_named
    from tatango_iac.sandbox.storage import locked

    # Each named account gets its own sandbox account, as each has its own real one.
    state_file = env.get("TATANGO_SANDBOX_STATE") or (
        f".tatango-sandbox-{account.lower()}.json" if account else SANDBOX_STATE_DEFAULT
    )
    chosen = profile_named(profile or env.get("TATANGO_SANDBOX_PROFILE"))
    with locked(state_file), SandboxServer(state_file, profile=chosen) as server:
        yield TatangoClient(
            server.url,
            SANDBOX_EMAIL,
            SANDBOX_API_KEY,
            rate_per_hour=rate or 0,
            clock=clock,
            on_event=on_event,
            max_wait=max_wait if max_wait is not None else 300.0,
        )


def make_plan(
    client: TatangoClient,
    desired: DesiredAccount,
    scope: Optional[Scope] = None,
    progress: Optional[Progress] = None,
    record: Optional[FormsRecord] = None,
) -> Plan:
    return _plan_and_live(client, desired, scope, progress, record)[0]


def _plan_and_live(
    client: TatangoClient,
    desired: DesiredAccount,
    scope: Optional[Scope] = None,
    progress: Optional[Progress] = None,
    record: Optional[FormsRecord] = None,
) -> tuple[Plan, LiveAccount]:
    scope = scope or Scope()
    before = client.calls
    live = read_account(client, desired, scope, progress)
    result = compute_plan(desired, live, scope, key=client.digest_key(), record=record)
    remembered = history_of_deletes(desired, live, result, scope)
    if remembered:  # planned again, pure, with what the git history says of those deletes
        result = compute_plan(desired, live, remembered, key=client.digest_key(), record=record)
    result.forecast = forecast(
        result,
        client.calls - before,
        keyword_checks(live, desired),
        len(live.lists),
        client.pacer.base,
        readback=readback_calls(result),
    )
    result.account = account_identity(desired.account.name, client.base_url)
    return result, live


def history_of_deletes(desired: DesiredAccount, live: LiveAccount, result: Plan, scope: Scope) -> Optional[Scope]:
    """A list delete the configuration no longer protects may have been protected when it was last configured
    (config.history): a new scope when the history protects, or cannot vouch for, one of them."""
    if not scope.history_check:
        return None
    entries = {d.key: d for d in desired.lists}
    names = {lst.id: str(lst.name) for lst in live.lists}
    candidates = []
    for action in result.actions:
        if action.is_list_delete and action.list_id in names:
            entry = entries.get(action.list_key)
            configured = {str(entry.name)} if entry is not None else set()
            list_id = int(action.list_id)
            candidates.append(Candidate(list_id, names[list_id], frozenset({names[list_id], *configured})))
    found = remember(desired, candidates, os.environ)
    return dataclasses.replace(scope, history=scope.history + found) if found else None


def read_account(
    client: TatangoClient, desired: DesiredAccount, scope: Optional[Scope] = None, progress: Optional[Progress] = None
) -> LiveAccount:
    """The live account as a plan of ``desired`` within ``scope`` needs it (§4: nothing else)."""
    return read_live(client, reads_for(desired, scope), progress)


def keyword_checks(live: LiveAccount, desired: DesiredAccount) -> int:
    """The availability tests a read made: one per keyword, and GET /shortcodes when none is configured."""
    tested = len(live.keyword_available)
    return tested + (1 if tested and not desired.account.shortcode else 0)


def save_plan(plan: Plan, path: str) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(plan.dumps() + "\n")
    os.replace(tmp, path)


def load_saved_plan(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            saved = json.load(handle)
    except OSError as exc:
        raise SavedPlanError(f"cannot read plan file {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise SavedPlanError(f"{path} is not a plan file (invalid JSON: {exc})") from None
    if not isinstance(saved, dict) or saved.get("format_version") != FORMAT_VERSION:
        raise SavedPlanError(f"{path} is not a tatango-iac plan file of format_version {FORMAT_VERSION}")
    problem = plan_shape_problem(saved)
    if problem:
        raise SavedPlanError(f"{path} is not a valid plan file: {problem}")
    return saved


def saved_scope(saved: dict[str, Any]) -> Scope:
    return Scope.from_json(saved.get("scope"), saved.get("targets") or ())


def replan_saved(
    client: TatangoClient,
    saved: dict[str, Any],
    env: Mapping[str, str],
    progress: Optional[Progress] = None,
    record: Optional[FormsRecord] = None,
) -> tuple[DesiredAccount, Plan]:
    """Recompute a saved plan from its config and the live account; refuse if anything moved."""
    paths = saved["config"].get("paths") or []
    _check_paths_reachable(paths)
    desired, _ = load_or_raise(paths, env)
    key = client.digest_key()
    if key.digest(desired.digest) != saved["config"].get("digest"):
        raise StalePlan(
            _config_changes(
                saved["config"].get("file_digests"), {f: key.digest(d) for f, d in desired.file_digests.items()}
            )
        )
    fresh, live = _plan_and_live(client, desired, saved_scope(saved), progress, record)
    reasons = []
    old_prints, new_prints = saved.get("fingerprints") or {}, fresh.fingerprints
    names = _names_by_id(live)
    for fp in sorted(set(old_prints) | set(new_prints)):
        if old_prints.get(fp) != new_prints.get(fp):
            reasons.append(_describe_fingerprint(fp, old_prints.get(fp), new_prints.get(fp), names))
    if not reasons and fresh.comparable() != comparable_from_saved(saved):
        reasons.append("the recomputed plan differs from the saved one")
    if reasons:
        raise StalePlan(reasons)
    return desired, fresh


def _check_paths_reachable(paths: list[str]) -> None:
    """A plan saves its PATHs as they were given, so the same plan applies from another checkout of the same
    repository; from another directory they do not resolve: say so, and from where to run, not "not found"."""
    missing = [p for p in paths if not os.path.isabs(p) and not os.path.exists(p)]
    if missing:
        raise SavedPlanError(
            f"the plan's configuration path {missing[0]!r} is relative to the directory `plan --out` ran in and "
            f"is not found from {os.getcwd()}; run `apply --plan` from that directory (the repository root in the "
            "shipped workflows). Nothing was read or changed"
        )


def _config_changes(saved: Any, now: dict[str, str]) -> list[str]:
    """Which files differ from those the plan was made from (keyed digests per file); a plan file from before
    they were saved, or a change only in what the files assemble to, gets the general sentence."""
    general = (
        "the configuration (a file, the set of files, or a ${...} value it uses) changed since the plan was "
        "made; plan again"
    )
    if not isinstance(saved, dict) or not saved:
        return [general]
    reasons = [
        f"{f} changed since the plan was made (its text or a ${{...}} value it uses)"
        for f in sorted(set(saved) & set(now))
        if saved[f] != now[f]
    ]
    reasons += [f"{f} is new since the plan was made" for f in sorted(set(now) - set(saved))]
    reasons += [f"{f} is gone since the plan was made" for f in sorted(set(saved) - set(now))]
    return [r + "; plan again" for r in reasons] or [general]


def _names_by_id(live: LiveAccount) -> dict[str, str]:
    """Lists by name in refusals (ids mean nothing to a reviewer); a list gone from the account keeps its id."""
    return {str(lst.id): lst.name for lst in live.lists}


def _describe_fingerprint(key: str, old: Optional[str], new: Optional[str], names: dict[str, str]) -> str:
    kind, _, ident = key.partition(":")
    named = f"list '{names[ident]}' (id {ident})" if ident in names else f"list id {ident}"
    what = {
        "list": named,
        "webhooks": f"the webhooks of {named}",
        "custom_fields": f"the custom fields of {named}",
        "lists": "the lists of the account (ids, names or keywords)",
    }.get(kind, key)
    if old is None:
        return f"{what} appeared in the account"
    if new is None:
        return f"{what} is gone from the account"
    return f"{what} changed in the account"
