"""``plan --drift --budget CALLS [--drift-state FILE]``: a nightly drift check that fits a budget.

The list index is read in full (every list's attributes, texts, keywords, opt-in flow);
then the budget left after the index and the keyword checks goes to the webhooks and
custom fields of the lists checked least recently (``drift.schedule``). Lists whose
children are not read tonight are planned without them (their children are treated as
unmanaged for this one run, so nothing is guessed), and the report names them with the
time of their last check. The state file is written only after a successful read.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Optional

from tatango_iac.api.client import TatangoClient
from tatango_iac.api.reader import Progress, claimed_new_keywords, planned_reads, read_index, read_live
from tatango_iac.drift import state as drift_state
from tatango_iac.drift.schedule import Candidate, Selection, select
from tatango_iac.engine.plan import Plan
from tatango_iac.engine.planner import plan as compute_plan
from tatango_iac.engine.scope import Scope
from tatango_iac.engine.steps import list_label
from tatango_iac.model import DesiredAccount, LiveAccount


class DriftBudgetError(Exception):
    pass


def candidates(desired: DesiredAccount, index: LiveAccount, scope: Scope) -> list[Candidate]:
    """Managed lists that exist and whose webhooks or custom fields the configuration manages."""
    cost: dict[int, int] = {}
    entry = {}
    for _kind, d, lst in planned_reads(desired, index, scope):
        cost[lst.id] = cost.get(lst.id, 0) + 1
        entry[lst.id] = d
    return [Candidate(i, entry[i].key, list_label(entry[i]), cost[i]) for i in cost]


def fixed_calls(client_calls: int, desired: DesiredAccount, index: LiveAccount, scope: Scope) -> int:
    """Calls every night spends whatever the budget: the index read, and the keyword availability tests."""
    held = {kw for lst in index.lists for kw in lst.keywords}
    claimed = claimed_new_keywords((d for d in desired.lists if scope.selects(d)), held)
    return client_calls + len(claimed) + (1 if claimed and not desired.account.shortcode else 0)


def without_children(desired: DesiredAccount, keys: set[str]) -> DesiredAccount:
    """The configuration for tonight: the lists in ``keys`` have their children left unmanaged."""
    lists = [dataclasses.replace(d, webhooks=None, custom_fields=None) if d.key in keys else d for d in desired.lists]
    return dataclasses.replace(desired, lists=lists)


def budgeted_drift(client: TatangoClient, desired: DesiredAccount, scope: Scope, budget: Optional[int],
                   state_path: Optional[str], progress: Optional[Progress] = None) -> Plan:
    state = drift_state.load_state(state_path) if state_path else drift_state.DriftState()
    before = client.calls
    index = read_index(client)
    fixed = fixed_calls(client.calls - before, desired, index, scope)
    if budget is not None and budget < fixed:
        raise DriftBudgetError(f"--budget {budget} is less than the {fixed} call(s) every drift check needs (the "
                               "list index and the keyword availability tests): raise it")
    now = drift_state.utc_now()
    selection = select(candidates(desired, index, scope), state.checked, now.toordinal(), budget, fixed)
    tonight = without_children(desired, {c.key for c in selection.skipped})
    live = read_live(client, tonight, scope, progress, index=index)
    result = compute_plan(tonight, live, scope)
    warnings = [f"drift state {p}" for p in state.problems] + coverage_warnings(selection)
    result.coverage = {**selection.to_json(state.checked), "warnings": warnings}
    result.warnings += warnings
    if state_path:
        _remember(state, selection, {lst.id for lst in index.lists}, now)
        drift_state.save_state(state, state_path)
    return result


def coverage_warnings(selection: Selection) -> list[str]:
    if selection.budget is None or not selection.skipped:
        return []
    if selection.nights is None:
        return [f"--budget {selection.budget} leaves no call for webhooks and custom fields after the "
                f"{selection.fixed_calls} the index and keyword checks need: they are never checked"]
    return [f"webhooks and custom fields of {len(selection.skipped)} list(s) were not checked tonight (budget "
            f"{selection.budget} calls); at this budget every list's are checked within {selection.nights} night(s)"]


def _remember(state: drift_state.DriftState, selection: Selection, live_ids: set[int], now: datetime) -> None:
    for candidate in selection.checked:
        state.checked[candidate.list_id] = now.replace(microsecond=0)
    for gone in set(state.checked) - live_ids:  # a deleted list: the file stays bounded by the account
        del state.checked[gone]
