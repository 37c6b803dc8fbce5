"""The write probe's round trip: write every attribute in every form, read it back, compare as the planner does.

Each round (``rounds``) is planned against the account with the planner itself, so the
payloads are apply's own (one list update carries all the list's attributes); the
actions are executed by apply's own handlers; the account is re-read with the reader
the planner uses, and planned again: whatever the fresh plan still wants to change did
not come back as written (the planner's own comparison, so the verdict is exactly what
the next ``plan`` would show). A re-read that still shows the account from before a
write is read again with a bounded wait (reads that lag writes), never a value that
came back different. An answer to a write is never taken as proof either way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Callable, Optional

from tatango_iac.api.client import ApiError, TatangoClient
from tatango_iac.api.reader import read_live
from tatango_iac.apply.applier import Applier, HalfDone, NotApplied
from tatango_iac.apply.verify import WriteMismatch
from tatango_iac.doctor.attributes import Form, Part, Written, attribute
from tatango_iac.doctor.report import FAIL, NOTE, OK, SKIP, WARN, Verdict
from tatango_iac.doctor.rounds import Builder, Round, Scratch, total_rounds
from tatango_iac.engine.forecast import index_pages
from tatango_iac.engine.kinds import Kind, Resource
from tatango_iac.engine.plan import Action, Plan
from tatango_iac.engine.planner import plan as compute_plan
from tatango_iac.engine.reads import reads_for
from tatango_iac.errors import PlanError
from tatango_iac.identity.scope import Scope
from tatango_iac.model import LiveAccount, LiveList, Reads, ReadsFor, known
from tatango_iac.secrets import display

WAIT = 30.0  # seconds a round's re-read waits for writes that do not show yet
WRITES_PER_ROUND = 7  # at most: list update, keywords, opt-in, webhook delete + create, custom field delete + create
UNREPORTED_PART = {
    "list": Part.LIST,
    "opt_in_request": Part.REQUEST,
    "webhook": Part.WEBHOOK,
    "custom_field": Part.CUSTOM_FIELD,
}
UNREPORTED_PART = {
    "list": Part.LIST,
    "opt_in_request": Part.REQUEST,
    "webhook": Part.WEBHOOK,
    "custom_field": Part.CUSTOM_FIELD,
}
NOT_FOUND, STILL_THERE = "(not found)", "(still there)"  # what a re-read showed of a create, of a delete
READS_PER_READ = 3  # at least: the index page(s), then the list's webhooks and custom fields


@dataclass(frozen=True)
class Difference:
    """One value that did not come back as written, as the fresh plan shows it."""

    part: Part
    name: str
    written: Any
    came_back: Any
    form: Optional[Written]
    round_kind: str


def budget(lists_in_account: int) -> int:
    """The most calls the round trip makes when every write shows in the first re-read (stated up front)."""
    read = index_pages(lists_in_account) + READS_PER_READ - 1 + 1  # + the list's own read if the index is short
    return read + total_rounds() * (WRITES_PER_ROUND + read)


def _shown(value: Any) -> str:
    text = json.dumps(display(value), ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


class RoundTrip:
    def __init__(self, client: TatangoClient, scratch: Scratch, on_event: Callable[[str], None]):
        self.client, self.scratch, self.on_event = client, scratch, on_event
        self.applier = Applier(client, on_event=on_event)
        self.builder = Builder(scratch)
        self.differences: list[Difference] = []
        self.stored: list[Difference] = []
        self.refused: list[str] = []
        self.answers = 0  # writes answered
        self.disagreed: list[str] = []  # what the answers showed otherwise than written (the re-read decides)
        self.waited = 0.0
        self.rounds_done = 0
        self.unreported: set[str] = set()  # "webhook.cleaned"...: attributes the re-reads did not carry

    def run(self) -> None:
        live = self._first_read()
        for number in range(total_rounds()):
            live = self._round(self.builder.build(number), live)
            self.rounds_done += 1

    def _first_read(self) -> LiveAccount:
        """The account before round 1, read until two reads in a row agree (the probe's own writes may lag)."""
        reads = _no_keyword_tests(reads_for(self.builder.build(0).desired, Scope()))
        clock, start, delay = self.client.clock, self.client.clock.monotonic(), 1.0
        live = read_live(self.client, reads)
        while True:
            again = read_live(self.client, reads)
            if _seen(again, self.scratch.list_id) == _seen(live, self.scratch.list_id):
                return again
            waited = clock.monotonic() - start
            if waited >= WAIT:
                return again
            self.waited = max(self.waited, waited + delay)
            clock.sleep(min(delay, WAIT - waited))
            live, delay = again, delay * 2

    def _round(self, round_: Round, live: LiveAccount) -> LiveAccount:
        scope = Scope.targets([round_.name])
        try:
            planned = compute_plan(round_.desired, live, scope)
        except PlanError as exc:
            self.refused.append(f"round {round_.number + 1}: cannot plan: " + "; ".join(exc.messages))
            return live
        applied = [action for action in planned.actions if self._execute(action, round_)]
        refused = {action.address for action in planned.actions if action not in applied}
        fresh, live = self._read_back(round_, bool(applied), scope, _seen(live, self.scratch.list_id))
        self._record(fresh, round_, refused)
        return live

    def _execute(self, action: Action, round_: Round) -> bool:
        try:
            self.applier.execute(action)
        except WriteMismatch as exc:
            self.answers += 1
            self.disagreed.append(exc.what)
            return True  # the answer disagrees: the re-read decides
        except (ApiError, NotApplied, HalfDone) as exc:
            self.refused.append(f"round {round_.number + 1}: {action.address} ({action.action}): {exc}")
            return False
        self.answers += 1
        return True

    def _read_back(self, round_: Round, wrote: bool, scope: Scope, before: Any) -> tuple[Plan, LiveAccount]:
        """Re-read and plan again; read again (bounded wait) while the account shows exactly what it did before.

        Exactly the same account after writes means they are not visible yet (reads that lag writes); a
        value that came back different is a finding at once, never waited for."""
        clock, start, delay = self.client.clock, self.client.clock.monotonic(), 1.0
        slept = False
        while True:
            live = read_live(self.client, _no_keyword_tests(reads_for(round_.desired, scope)))
            self.unreported |= _unknowns(live, self.scratch.list_id)
            fresh = compute_plan(round_.desired, live, scope)
            waited = clock.monotonic() - start if slept else 0.0
            pending = wrote and bool(fresh.actions) and _seen(live, self.scratch.list_id) == before
            if not pending or waited >= WAIT:
                if waited:
                    self.waited = max(self.waited, waited)
                return fresh, live
            clock.sleep(min(delay, WAIT - waited))
            slept, delay = True, delay * 2

    # ------------------------------------------------------------ compare

    def _record(self, fresh: Plan, round_: Round, refused: set[str]) -> None:
        for action in fresh.actions:
            if action.address in refused:
                continue  # reported as refused: what it did not write is no "came back"
            for part, name, index, written, came_back in _changes(action, round_):
                form = round_.written.get((part, name, index)) or round_.written.get((part, name, -1))
                self.differences.append(Difference(part, name, written, came_back, form, round_.kind))
        for entry in fresh.stored_forms:
            part, name, index = _where(entry["address"], entry["attribute"])
            form = round_.written.get((part, name, index))
            self.stored.append(Difference(part, name, entry["configured"], entry["held"], form, round_.kind))

    def verdicts(self) -> list[Verdict]:
        out = [
            Verdict(
                f"the round trip writes as planned ({self.rounds_done} of {total_rounds()} rounds)",
                "every write answered"
                if not self.refused
                else "refused: "
                + "; ".join(self.refused[:4])
                + (f" (and {len(self.refused) - 4} more)" if len(self.refused) > 4 else ""),
                OK if not self.refused else FAIL,
                "apply stops at such a write: the same refusal",
            )
        ]
        if self.disagreed:
            out.append(
                Verdict(
                    "the answer to a write shows what was written",
                    f"{len(self.disagreed)} of {self.answers} answers showed otherwise: "
                    + ", ".join(sorted(set(self.disagreed))),
                    NOTE,
                    "answers are not proof: apply settles each such answer by re-reading the object (one more "
                    "call), and the probe's verdicts come from its re-reads",
                )
            )
        seen: set[tuple[Part, str, str]] = set()
        for diff in self.differences:
            key = (diff.part, diff.name, str(diff.form.form if diff.form else diff.round_kind))
            if diff.came_back == STILL_THERE:
                key = (diff.part, "", "delete")
            if key not in seen:
                seen.add(key)
                out.append(_verdict(diff, FAIL))
        out += _stored_verdicts(self.stored)
        failed = {d.part for d in self.differences}
        finished = self.rounds_done == total_rounds()
        for part in Part:
            if part not in failed:
                out.append(self._whole(part, finished))
        return out

    def _whole(self, part: Part, finished: bool) -> Verdict:
        """One line for a resource none of whose values differed: ok, unless the API did not report some."""
        unchecked = sorted(u.split(".", 1)[1] for u in self.unreported if UNREPORTED_PART.get(u.split(".")[0]) is part)
        observed = (
            f"all, in {self.rounds_done} rounds"
            if finished
            else f"not finished: {self.rounds_done} of {total_rounds()} rounds"
        )
        if unchecked:
            observed += f"; not reported by the API, so not checked: {', '.join(unchecked)}"
        return Verdict(
            f"every {part} attribute comes back as written (set, changed, cleared, in every form)",
            observed,
            (WARN if unchecked else OK) if finished else SKIP,
            "an attribute the API does not report is never compared: plan and apply say so",
        )


def _stored_verdicts(stored: list[Difference]) -> list[Verdict]:
    """One note per form: the attributes the API stored in another form when written so, with one example."""
    by_form: dict[str, list[Difference]] = {}
    for diff in stored:
        by_form.setdefault(str(diff.form.form) if diff.form else "some form", []).append(diff)
    out = []
    for form, diffs in by_form.items():
        names = sorted({f"{d.part} {d.name}" for d in diffs})
        out.append(
            Verdict(
                f"texts with {form} are stored as written",
                f"stored in another form: {', '.join(names)}; e.g. wrote {_shown(diffs[0].written)}, "
                f"stored {_shown(diffs[0].came_back)}",
                NOTE,
                consequence(diffs[0], True, form),
            )
        )
    return out


def _verdict(diff: Difference, verdict: str) -> Verdict:
    form = diff.form.form if diff.form else None
    how = "cleared" if form is Form.CLEARED else ("" if form in (None, Form.VALUE) else f"with {form}")
    assumption = f"{diff.part} {diff.name} comes back as written{' (' + how + ')' if how else ''}"
    observed = f"wrote {_shown(diff.written)}, came back {_shown(diff.came_back)}"
    if diff.came_back == STILL_THERE:
        assumption, observed = f"a {diff.part} delete removes it", "a re-read still finds it"
    return Verdict(assumption, observed, verdict, consequence(diff, False))


def consequence(diff: Difference, stored: bool, form_shown: str = "") -> str:
    """What the difference means for the user, in their words."""
    attr = attribute(diff.part, diff.name)
    form = diff.form.form if diff.form else None
    if stored:
        return (
            f"texts written with {form_shown} are stored in another form: the planner compares them as the same "
            "text, so no change is planned, only a note, and apply's read-back reports 'the API stored X as Y' "
            "once; write them as the API stores them"
        )
    if diff.came_back == STILL_THERE:
        return (
            f"deleting a {diff.part} will not work on this account: the plan will want to delete it every night; "
            "delete it in the web UI"
        )
    if (diff.part, diff.name) == (Part.OPT_IN, "opt_in_requests"):
        return "changing opt-in requests will not work on this account: the plan will show the change every night"
    if (diff.part, diff.name) == (Part.LIST, "name"):
        return "renaming a list will not work on this account: the plan will show the rename every night"
    if (diff.part, diff.name) == (Part.LIST, "keyword_names") and form is not Form.CLEARED:
        return "changing a list's keywords will not work on this account: the plan will show the change every night"
    if form is Form.CLEARED:
        return (
            f"clearing {attr.label} will not work on this account: the plan will show them every night; "
            "leave them set, or clear them in the web UI"
        )
    if diff.came_back == NOT_FOUND:
        return (
            f"{attr.label} like these are not found again after a create: every plan would create another one; "
            "report it with `tatango-iac doctor --record`"
        )
    what = f"{attr.label} with {form}" if form and form is not Form.VALUE else attr.label
    return f"{what} come back changed: the plan will show them changed every night; write them as the API stores them"


def _where(address: str, path: str) -> tuple[Part, str, int]:
    """(part, attribute, request index) of a change path such as 'opt_in_requests[1].retry_message'."""
    if address.endswith("]") and ".custom_field[" in address:
        return Part.CUSTOM_FIELD, path, -1
    if path.startswith("opt_in_requests["):
        index = int(path[len("opt_in_requests[") : path.index("]")])
        rest = path.split(".", 1)
        return (Part.REQUEST, rest[1], index) if len(rest) == 2 else (Part.OPT_IN, "opt_in_requests", index)
    if path in ("opt_in_type", "bypass_opt_in_response"):
        return Part.OPT_IN, path, -1
    return Part.LIST, path, -1


def _changes(action: Action, round_: Round) -> list[tuple[Part, str, int, Any, Any]]:
    """Each value the fresh plan still wants to write: (part, attribute, request index, written, came back)."""
    resource, kind = action.resource, action.action
    shown = action.to_json(0)
    if resource is Resource.KEYWORDS:
        before = (shown.get("before") or {}).get("keyword_names")
        return [(Part.LIST, "keyword_names", -1, action.payload.get("keyword_names"), before)]
    if resource is Resource.WEBHOOK:
        if kind is Kind.UPDATE:
            return [(Part.WEBHOOK, c["path"], -1, c["after"], c["before"]) for c in action.changes]
        url = (shown.get("after") or shown.get("before") or {}).get("callback_url")
        gone = STILL_THERE if kind is Kind.DELETE else NOT_FOUND
        return [(Part.WEBHOOK, "callback_url", -1, url if kind is Kind.CREATE else None, gone)]
    if resource is Resource.CUSTOM_FIELD:
        if kind is Kind.REPLACE:
            return [(Part.CUSTOM_FIELD, c["path"], -1, c["after"], c["before"]) for c in action.changes]
        key = (shown.get("after") or shown.get("before") or {}).get("key")
        gone = STILL_THERE if kind is Kind.DELETE else NOT_FOUND
        return [(Part.CUSTOM_FIELD, "key", -1, key if kind is Kind.CREATE else None, gone)]
    if resource is Resource.LIST and kind is not Kind.UPDATE:
        return [(Part.LIST, "name", -1, round_.name, NOT_FOUND if kind is Kind.CREATE else STILL_THERE)]
    out: list[tuple[Part, str, int, Any, Any]] = []
    for change in action.changes:
        part, name, index = _where(action.address, change["path"])
        if change.get("op") == "remove":  # a request the account holds beyond those written
            out.append((part, name, index, f"no request {index + 1}", change.get("before")))
        elif change.get("op") == "add":
            out.append((part, name, index, change.get("after"), f"no request {index + 1}"))
        else:
            out.append((part, name, index, change.get("after"), change.get("before")))
    if not action.changes and kind is Kind.CREATE:
        out.append((Part.OPT_IN, "opt_in_type", -1, (shown.get("after") or {}).get("opt_in_type"), NOT_FOUND))
    return out


def _unknowns(live: LiveAccount, list_id: int) -> set[str]:
    """The scratch list's attributes this read did not carry ("webhook.cleaned"): they cannot be compared.

    (``LiveAccount.unreported`` covers every list of the account; the probe speaks of its own list only.)"""
    out: set[str] = set()
    for lst in (lst for lst in live.lists if lst.id == list_id):
        out |= {f"list.{name}" for name, value in lst.fields.items() if not known(value)}
        out |= {f"list.{name}" for name in ("opt_in_type", "opt_in_requests") if not known(getattr(lst, name))}
        for request in lst.opt_in_requests if known(lst.opt_in_requests) else []:
            out |= {f"opt_in_request.{name}" for name, value in request.items() if not known(value)}
    for hook in live.webhooks.get(list_id, []):
        out |= {f"webhook.{name}" for name, value in hook.events.items() if not known(value)}
    for field_ in live.custom_fields.get(list_id, []):
        out |= {f"custom_field.{name}" for name, value in field_.attrs.items() if not known(value)}
    return out


def _seen(live: LiveAccount, list_id: int) -> Any:
    """The scratch list and its children as a read showed them (to tell a lagging read from a changed one)."""
    lists = [lst for lst in live.lists if lst.id == list_id]
    return lists, live.webhooks.get(list_id), live.custom_fields.get(list_id)


def _no_keyword_tests(decide: ReadsFor) -> ReadsFor:
    """The planner's reads minus keyword tests: the probe tested its keywords before it claimed them."""

    def reads(index: list[LiveList]) -> Reads:
        return replace(decide(index), keywords=())

    return reads
