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
from tatango_iac.api.credentials import account_identity
from tatango_iac.api.reader import Progress, read_live
from tatango_iac.drift import state as drift_state
from tatango_iac.drift.schedule import Candidate, Selection, select
from tatango_iac.engine.plan import Plan
from tatango_iac.engine.planner import plan as compute_plan
from tatango_iac.engine.reads import reads_for
from tatango_iac.engine.records import FormsRecord
from tatango_iac.engine.steps import list_label
from tatango_iac.errors import TatangoIacError
from tatango_iac.identity.matching import match_lists
from tatango_iac.identity.scope import Scope
from tatango_iac.model import DesiredAccount, LiveList, Reads
from tatango_iac.workflow import history_of_deletes


class DriftBudgetError(TatangoIacError):
    pass


def fixed_calls(index_calls: int, reads: Reads) -> int:
    """Calls every night spends whatever the budget: the index read, and the keyword availability tests."""
    return index_calls + reads.count - len(reads.children)


def candidates(desired: DesiredAccount, index: list[LiveList], reads: Reads) -> list[Candidate]:
    """Managed lists that exist and whose webhooks or custom fields the configuration manages."""
    key_of = {lst.id: key for key, lst in match_lists(desired.lists, index).matched.items() if lst is not None}
    by_key = desired.by_key()
    cost: dict[int, int] = {}
    for _child, lst in reads.children:
        cost[lst.id] = cost.get(lst.id, 0) + 1
    return [Candidate(i, key_of[i], list_label(by_key[key_of[i]]), cost[i]) for i in cost]


def without_children(desired: DesiredAccount, keys: set[str]) -> DesiredAccount:
    """The configuration for tonight: the lists in ``keys`` have their children left unmanaged."""
    lists = [dataclasses.replace(d, webhooks=None, custom_fields=None) if d.key in keys else d for d in desired.lists]
    return dataclasses.replace(desired, lists=lists)


def budgeted_drift(
    client: TatangoClient,
    desired: DesiredAccount,
    scope: Scope,
    budget: Optional[int],
    state_path: Optional[str],
    progress: Optional[Progress] = None,
    record: Optional[FormsRecord] = None,
) -> Plan:
    state = drift_state.load_state(state_path) if state_path else drift_state.DriftState()
    now = drift_state.utc_now()
    full = reads_for(desired, scope)
    before = client.calls
    chosen: list[Selection] = []

    def tonight_reads(index: list[LiveList]) -> Reads:
        """Given the index just read: the children of the least recently checked lists, within the budget."""
        reads = full(index)
        fixed = fixed_calls(client.calls - before, reads)
        if budget is not None and budget < fixed:
            raise DriftBudgetError(
                f"--budget {budget} is less than the {fixed} call(s) every drift check needs "
                "(the list index and the keyword availability tests): raise it"
            )
        selection = select(candidates(desired, index, reads), state.checked, now.toordinal(), budget, fixed)
        chosen.append(selection)
        wanted = {c.list_id for c in selection.checked}
        return dataclasses.replace(reads, children=tuple(c for c in reads.children if c[1].id in wanted))

    live = read_live(client, tonight_reads, progress)
    selection = chosen[0]
    tonight = without_children(desired, {c.key for c in selection.skipped})
    result = compute_plan(tonight, live, scope, key=client.digest_key(), record=record)
    remembered = history_of_deletes(desired, live, result, scope)
    if remembered:  # the report shows what a plan would: never a prune delete the history refuses
        result = compute_plan(tonight, live, remembered, key=client.digest_key(), record=record)
    result.account = account_identity(desired.account.name, client.base_url)
    warnings = [f"drift state {p}" for p in state.problems] + coverage_warnings(selection)
    result.coverage = {**selection.to_json(state.checked), "warnings": warnings}
    result.warnings += warnings
    if state_path:
        _remember(state, selection, {lst.id for lst in live.lists}, now)
        drift_state.save_state(state, state_path)
    return result


def coverage_warnings(selection: Selection) -> list[str]:
    if selection.budget is None or not selection.skipped:
        return []
    if selection.nights is None:
        return [
            f"--budget {selection.budget} leaves no call for webhooks and custom fields after the "
            f"{selection.fixed_calls} the index and keyword checks need: they are never checked"
        ]
    return [
        f"webhooks and custom fields of {len(selection.skipped)} list(s) were not checked tonight (budget "
        f"{selection.budget} calls); at this budget every list's are checked within {selection.nights} night(s)"
    ]


def _remember(state: drift_state.DriftState, selection: Selection, live_ids: set[int], now: datetime) -> None:
    for candidate in selection.checked:
        state.checked[candidate.list_id] = now.replace(microsecond=0)
    for gone in set(state.checked) - live_ids:  # a deleted list: the file stays bounded by the account
        del state.checked[gone]
