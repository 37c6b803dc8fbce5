"""Glue between the stages: client set-up (real or embedded sandbox), plan, saved plans."""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping, Optional

from tatango_iac.api.client import Clock, TatangoClient
from tatango_iac.config.loader import load_or_raise
from tatango_iac.model import DesiredAccount
from tatango_iac.engine.plan import FORMAT_VERSION, Plan
from tatango_iac.engine.planner import plan as compute_plan
from tatango_iac.api.reader import Progress, read_live

SANDBOX_STATE_DEFAULT = ".tatango-sandbox.json"

# The clock every CLI run uses; the test suite swaps in a fake so that no test sleeps for real.
make_clock: Callable[[], Clock] = Clock


class StalePlan(Exception):
    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("plan is stale: " + "; ".join(reasons))


class SavedPlanError(Exception):
    pass


@contextmanager
def api_client(sandbox: bool, rate: Optional[float], env: Mapping[str, str],
               clock: Optional[Clock] = None, on_wait=None) -> Iterator[TatangoClient]:
    clock = clock or make_clock()
    if not sandbox:
        yield TatangoClient.from_env(env, rate_per_hour=rate, clock=clock, on_wait=on_wait)
        return
    from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL, SandboxServer

    state_file = env.get("TATANGO_SANDBOX_STATE") or SANDBOX_STATE_DEFAULT
    with SandboxServer(state_file) as server:
        yield TatangoClient(server.url, SANDBOX_EMAIL, SANDBOX_API_KEY, rate_per_hour=rate or 0, clock=clock,
                            on_wait=on_wait)


def make_plan(client: TatangoClient, desired: DesiredAccount, targets: list[str],
              progress: Optional[Progress] = None) -> Plan:
    live = read_live(client, desired, targets, progress)
    return compute_plan(desired, live, targets)


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
    if not isinstance(saved, dict) or saved.get("format_version") != FORMAT_VERSION or "actions" not in saved:
        raise SavedPlanError(f"{path} is not a tatango-iac plan file of format_version {FORMAT_VERSION}")
    return saved


def replan_saved(client: TatangoClient, saved: dict[str, Any], env: Mapping[str, str],
                 progress: Optional[Progress] = None) -> tuple[DesiredAccount, Plan]:
    """Recompute a saved plan from its config and the live account; refuse if anything moved."""
    paths = saved["config"]["paths"]
    desired, _ = load_or_raise(paths, env)
    reasons = []
    if desired.digest != saved["config"]["digest"]:
        reasons.append("the configuration (or a ${...} value it uses) changed since the plan was made")
        raise StalePlan(reasons)
    fresh = make_plan(client, desired, list(saved.get("targets") or []), progress)
    old_prints, new_prints = saved.get("fingerprints") or {}, fresh.fingerprints
    for key in sorted(set(old_prints) | set(new_prints)):
        if old_prints.get(key) != new_prints.get(key):
            reasons.append(_describe_fingerprint(key, old_prints.get(key), new_prints.get(key)))
    if not reasons and fresh.comparable() != saved["actions"]:
        reasons.append("the recomputed plan differs from the saved one")
    if reasons:
        raise StalePlan(reasons)
    return desired, fresh


def _describe_fingerprint(key: str, old: Optional[str], new: Optional[str]) -> str:
    kind, _, ident = key.partition(":")
    what = {"list": f"list id {ident}", "webhooks": f"the webhooks of list id {ident}",
            "custom_fields": f"the custom fields of list id {ident}", "lists": "the set of lists"}.get(kind, key)
    if old is None:
        return f"{what} appeared in the account"
    if new is None:
        return f"{what} is gone from the account"
    return f"{what} changed in the account"
