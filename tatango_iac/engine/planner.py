"""The pure planner: desired model + live model in, ordered Plan out. No I/O.

Identity (§2): a list by ``id:`` pin, exact name or ``renamed_from``; a keyword by its
upper-cased text; a custom field by key; a webhook by its callback URL in canonical form.
Ordering (§5) is in ``ordering``; keywords held outside the plan in ``holders``; rules
that apply only to values written new in ``newvalues``.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Optional

from tatango_iac.compliance.review import review_plan
from tatango_iac.digests import DigestKey, process_key
from tatango_iac.engine.custom_fields import custom_field_steps
from tatango_iac.engine.fingerprint import fingerprints
from tatango_iac.engine.forms import form_notes, stored_forms
from tatango_iac.engine.holders import check_holders
from tatango_iac.engine.ignoring import ignored, ignored_summary, unknown_excludes, unmatched_patterns
from tatango_iac.engine.kinds import Reason
from tatango_iac.engine.lists import delete_list_step, list_steps, opt_in_step
from tatango_iac.engine.newvalues import new_value_problems
from tatango_iac.engine.ordering import names_of, schedule
from tatango_iac.engine.plan import Plan
from tatango_iac.engine.pr_origin import mark as mark_origin
from tatango_iac.engine.protection import guard_steps, removed_while_protected
from tatango_iac.engine.provenance import annotate
from tatango_iac.engine.recheck import readback_info
from tatango_iac.engine.records import (
    FormsRecord,
    RecordedForms,
    record_notes,
    recorded_forms,
    rotation_warning,
    unmatched_by_key,
)
from tatango_iac.engine.renamed import guard_renamed
from tatango_iac.engine.safety import annotate_reach, verdict
from tatango_iac.engine.steps import (
    PHASE_FIRST,
    Context,
    list_address,
    live_list_address,
)
from tatango_iac.engine.webhooks import webhook_steps
from tatango_iac.errors import PlanError
from tatango_iac.identity.matching import match_lists
from tatango_iac.identity.scope import Scope
from tatango_iac.model import DesiredAccount, DesiredList, LiveAccount
from tatango_iac.secrets import display

__all__ = ["plan"]


def plan(
    desired: DesiredAccount,
    live: LiveAccount,
    scope: Optional[Scope] = None,
    targets: Iterable[str] = (),
    key: Optional[DigestKey] = None,
    record: Optional[FormsRecord] = None,
) -> Plan:
    """Compute the ordered plan; raise PlanError for anything that makes it unsafe to apply.

    ``key`` keys every digest the plan carries (digests.py); a plan to be compared in another
    process (apply --plan/--expect) must be made with the account's key, and so must a plan that
    reads the forms ``record`` (engine.records: what apply saw the API store in another form)."""
    key = key or process_key()
    scope = scope or Scope.targets(targets)
    selected = [d for d in desired.lists if scope.selects(d)]
    problems = [
        f"--target '{t}' is not a list in the configuration"
        for t in sorted(scope.lists)
        if scope.kind == "target" and t not in {d.name for d in desired.lists}
    ]
    match = match_lists(desired.lists, live.lists)
    problems += [match.problems[d.key] for d in selected if d.key in match.problems]
    problems += _unavailable_keywords(selected, live)
    ctx = Context(desired, live, match, scope)
    problems += unknown_excludes(ctx)
    for index, d in enumerate(selected):
        _list_and_children(ctx, index, d, match.matched.get(d.key))
    recorded = _drop_recorded(ctx, record, key)
    unmanaged = _unmanaged(ctx)
    guard_steps(ctx, unmanaged)  # protected lists and pinned deletes: refused before anything is ordered
    renames = guard_renamed(ctx, unmanaged)  # a pruned list a protected entry claims a keyword of: refused
    _deletes_that_free_keywords_go_first(ctx)
    check_holders(ctx)
    problems += ctx.problems + new_value_problems(desired.new_value_rules, [s.action for s in ctx.steps], ctx)
    if problems:
        raise PlanError(problems)
    actions = schedule(ctx, names_of(ctx))
    if ctx.problems:
        raise PlanError(ctx.problems)
    annotate(actions, desired)
    mark_origin(actions, desired, scope)
    for action in actions:
        action.seal(key)
    review_plan(actions, desired)
    result = Plan(
        actions=actions,
        unmanaged_lists=unmanaged,
        blocked=ctx.blocked,
        config_paths=list(desired.paths or desired.files),
        config_files=list(desired.files),
        config_digest=key.digest(desired.digest),
        config_file_digests={f: key.digest(d) for f, d in desired.file_digests.items()},
        fingerprints=fingerprints(desired, live, match, scope, key),
        targets=sorted(scope.lists) if scope.kind == "target" else [],
        scope=scope.to_json(),
        warnings=_scope_warnings(scope, desired)
        + removed_while_protected(ctx, unmanaged)
        + renames
        + unmatched_patterns(ctx),
    )
    result.ignored = ignored_summary(ctx)
    annotate_reach(result.actions, live)
    managed_ids = {lst.id for d in desired.lists if not d.delete and (lst := match.matched.get(d.key)) is not None}
    result.safety = verdict(result.actions, managed_ids, desired.account.safety)
    result.live_list_ids = {str(lst.id) for lst in live.lists}
    result.live_webhook_ids = {list_id: {str(h.id) for h in hooks} for list_id, hooks in live.webhooks.items()}
    result.stored_forms = stored_forms(desired, live, match, scope) + recorded.forms
    if record is not None:
        result.forms_record = recorded.summary(key)
        result.warnings += rotation_warning(unmatched_by_key(record, key))
    result.readback = readback_info(desired, live, actions)
    result.notes = (
        _unreported_notes(selected, live)
        + _disabled_webhooks(result, ctx, selected)
        + form_notes(result.stored_forms)
        + record_notes(result.stored_forms)
    )
    return result


def _list_and_children(ctx: Context, index: int, d: DesiredList, live_list: Any) -> None:
    create = list_steps(ctx, index, d, live_list)
    if d.delete:
        return
    deps = {create.id} if create else set()
    opt_in_step(ctx, index, d, live_list, deps)
    custom_field_steps(ctx, index, d, live_list, deps)
    webhook_steps(ctx, index, d, live_list, deps)


def _drop_recorded(ctx: Context, record: Optional[FormsRecord], key: DigestKey) -> RecordedForms:
    """Differences the API introduced itself and apply recorded: no action (never a replace night after night)."""
    if record is None or not record.entries:
        return RecordedForms()
    recorded = recorded_forms([s.action for s in ctx.steps], record, ctx.live, key)
    dropped = {id(a) for a in recorded.dropped}
    ctx.remove({s.id for s in ctx.steps if id(s.action) in dropped})
    return recorded


def _unmanaged(ctx: Context) -> list[dict[str, Any]]:
    """Lists no file manages: reported, and with account.prune planned for deletion.

    A scoped plan reports only the lists that left the configuration since its git ref.
    """
    if ctx.scope.kind == "target":
        return []
    managed = ctx.match.managed_ids
    prune = ctx.desired.account.prune
    unmanaged = []
    for lst in ctx.live.lists:
        if lst.id in managed or (not ctx.scope.full and lst.name not in ctx.scope.removed) or ignored(ctx, lst):
            continue
        unmanaged.append(
            {
                "id": lst.id,
                "name": lst.name,
                "subscribers": lst.subscribers,
                "keyword_names": sorted(lst.keywords),
                "action": "delete" if prune else "ignore",
            }
        )
        if prune:
            delete_list_step(
                ctx,
                lst,
                live_list_address(lst.name),
                lst.name,
                "",
                reason="prune: no file manages this list",
                code=Reason.DELETE_BECAUSE_PRUNED,
            )
    return unmanaged


def _deletes_that_free_keywords_go_first(ctx: Context) -> None:
    claimed = {kw for s in ctx.steps for kw in s.final_keywords}
    by_id = {lst.id: lst for lst in ctx.live.lists}
    for step in ctx.steps:
        if step.effect == "delete_list" and by_id[step.holder[1]].keywords & claimed:
            step.order = (PHASE_FIRST,) + step.order[1:]


def _unavailable_keywords(selected: list[DesiredList], live: LiveAccount) -> list[str]:
    problems = []
    for d in selected:
        for kw in sorted(d.keywords or (), key=str):
            if live.keyword_available.get(kw) is False:
                problems.append(
                    f"{d.keyword_sources.get(kw, d.source)}: keyword '{display(kw)}' of list "
                    f"'{display(d.name)}' is not available on short code {live.shortcode} (held by "
                    "another account or reserved)"
                )
    return problems


def _scope_warnings(scope: Scope, desired: DesiredAccount) -> list[str]:
    if scope.fallback:
        return [scope.fallback]
    if scope.kind == "target":
        return ["--target given: unmanaged lists are not reported and prune is off"]
    moved = [scope.moved] if scope.moved else []
    if scope.kind == "changed_since":
        skipped = sorted(display(d.name) for d in desired.lists if not scope.selects(d))
        if skipped:
            return moved + [
                f"--changed-since {scope.ref}: {len(skipped)} list(s) unchanged since then were not refreshed "
                f"(their webhooks and custom fields were not read, no action is planned for them): "
                f"{', '.join(skipped[:20])}{' ...' if len(skipped) > 20 else ''}"
            ]
    return moved


def managed_fields(selected: list[DesiredList]) -> set[str]:
    """Every attribute (as "resource.field") the configuration manages on the given lists."""
    managed: set[str] = set()
    for d in selected:
        managed |= {f"list.{name}" for name in d.fields}
        if d.manages_opt_in:
            managed |= {"list.opt_in_type", "list.opt_in_requests"}
        for request in d.opt_in_requests or []:
            managed |= {f"opt_in_request.{name}" for name in request}
        for f in d.custom_fields or []:
            managed |= {f"custom_field.{name}" for name in f.attrs}
        for hook in d.webhooks or []:
            managed |= {f"webhook.{name}" for name in hook.events}
    return managed


def _unreported_notes(selected: list[DesiredList], live: LiveAccount) -> list[str]:
    fields = sorted(live.unreported & managed_fields(selected))
    if not fields:
        return []
    return [
        f"The API's answers do not report {', '.join(fields)}: those managed values are not compared, so "
        "this plan cannot check them (they are sent when written)."
    ]


def _disabled_webhooks(result: Plan, ctx: Context, selected: list[DesiredList]) -> list[str]:
    notes = []
    for d in selected:
        lst = ctx.match.matched.get(d.key)
        for hook in ctx.live.webhooks.get(lst.id, []) if lst else []:
            if hook.enabled is False:
                shown_url = json.dumps(display(hook.callback_url, url=True), ensure_ascii=False)
                address = f"{list_address(d)}.webhook[{shown_url}]"
                result.disabled_webhooks.append(
                    {"list": display(d.name), "id": hook.id, "callback_url": display(hook.callback_url, url=True)}
                )
                notes.append(
                    f"webhook id {hook.id} of list {display(d.name)!r} ({address}) is disabled in the "
                    "account (enabled: false): it receives no events; the API has no call to enable it, "
                    "so re-enable it in the web UI or delete and re-create it"
                )
    return notes
