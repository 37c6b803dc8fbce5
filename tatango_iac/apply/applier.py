"""Execute a plan against the account: one write per action, in order, never a duplicate.

- A POST that fails without a clear answer (no response, or a 5xx) may or may not have
  been carried out: re-read, and retry only if the object does not exist. The last
  attempt is re-read too before it is reported.
- Each answer is checked against what was sent (``verify``); a mismatch stops the apply.
- Before its first create, apply re-reads what it is about to create (the list index;
  an existing list's webhooks) and refuses if another apply created it meanwhile.
- Ctrl-C and SIGTERM (a CI cancel): the request under way finishes, no new one starts.
- Whatever goes wrong, the result says what was applied, what was not, and which action
  may have been applied (uncertain) or was left half done (a replace's delete without
  its create).
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from tatango_iac.api.client import AnswerError, ApiError, TatangoClient, unwrap
from tatango_iac.apply import verify
from tatango_iac.apply.settle import settle
from tatango_iac.apply.verify import WriteMismatch
from tatango_iac.engine.budget import ApplyBudget
from tatango_iac.engine.forecast import guard_reads_before, write_calls
from tatango_iac.engine.kinds import Kind, Resource, check_complete
from tatango_iac.engine.plan import Action, Plan
from tatango_iac.errors import TatangoIacError
from tatango_iac.identity.urls import canonical_url
from tatango_iac.secrets import display

POST_ATTEMPTS = 3
SIGNALS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class NotApplied(TatangoIacError):
    """The action was refused or found not to have happened: nothing was written."""


class HalfDone(TatangoIacError):
    """A replace whose delete succeeded and whose create did not."""


@dataclass
class ApplyResult:
    applied: list[Action] = field(default_factory=list)
    failed: Optional[Action] = None
    error: Optional[str] = None
    outcome: str = ""  # for the failed action: "failed" | "uncertain" | "half done" | "applied differently"
    not_applied: list[Action] = field(default_factory=list)
    interrupted: Optional[str] = None  # "Ctrl-C" or "SIGTERM"
    budget_stop: Optional[str] = None  # why the budget (--max-calls / --max-time) stopped it before an action

    @property
    def ok(self) -> bool:
        return self.failed is None and not self.interrupted and not self.not_applied


class Applier:
    def __init__(
        self,
        client: TatangoClient,
        on_done: Callable[[int, Action], None] = lambda i, a: None,
        on_start: Callable[[int, Action], None] = lambda i, a: None,
        on_event: Callable[[str], None] = lambda message: None,
        budget: Optional[ApplyBudget] = None,
        settle_wait: float = 60.0,
    ):
        self.client = client
        self.budget = budget
        self.settle_wait = settle_wait
        self.on_done, self.on_start, self.on_event = on_done, on_start, on_event
        self.list_ids: dict[str, int] = {}
        self._stop = threading.Event()
        self._signal: Optional[str] = None
        self._plan: Optional[Plan] = None
        self._checked_lists = False
        self._checked_hooks: set[int] = set()

    def request_stop(self, why: str = "Ctrl-C") -> None:
        """The request under way finishes; no new one starts."""
        self._signal = self._signal or why
        self._stop.set()

    def _stop_handler(self, name: str) -> Callable[[int, Any], None]:
        def handler(signum: int, frame: Any) -> None:
            self.request_stop(name)

        return handler

    def run(self, plan: Plan) -> ApplyResult:
        self._plan = plan
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum, name in SIGNALS.items():
                previous[signum] = signal.signal(signum, self._stop_handler(name))
        try:
            return self._run(plan)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _run(self, plan: Plan) -> ApplyResult:
        result = ApplyResult()
        for index, action in enumerate(plan.actions, 1):
            if self._stop.is_set():
                result.interrupted = self._signal
                result.not_applied = plan.actions[index - 1 :]
                return result
            result.budget_stop = self._over_budget(plan, index)
            if result.budget_stop:
                result.not_applied = plan.actions[index - 1 :]
                return result
            self.on_start(index, action)
            outcome, error = self._attempt(action)
            if outcome != "applied":
                result.failed, result.error, result.outcome = action, error, outcome
                result.not_applied = plan.actions[index:]
                result.interrupted = self._signal
                return result
            result.applied.append(action)
            self.on_done(index, action)
        return result

    def _over_budget(self, plan: Plan, index: int) -> Optional[str]:
        """Stop at this action boundary when the action would not fit what is left of the budget."""
        if self.budget is None or not self.budget.limited:
            return None
        action, earlier = plan.actions[index - 1], plan.actions[: index - 1]
        cost = write_calls(action) + guard_reads_before(action, earlier, len(plan.live_list_ids))
        return self.budget.stop_reason(cost)

    def _attempt(self, action: Action) -> tuple[str, Optional[str]]:
        try:
            self.execute(action)
        except WriteMismatch as exc:
            return self._settle(action, exc)
        except NotApplied as exc:
            return "failed", str(exc)
        except HalfDone as exc:
            return "half done", str(exc)
        except ApiError as exc:
            return ("uncertain" if exc.uncertain else "failed"), str(exc)
        except Exception as exc:  # any surprise in handling an answer: the write may have happened
            return "uncertain", f"unexpected {type(exc).__name__} while handling the answer: {exc}"
        return "applied", None

    def _settle(self, action: Action, mismatch: WriteMismatch) -> tuple[str, Optional[str]]:
        """An answer that disagrees is not proof: a re-read of the object decides (§13)."""
        list_id = action.list_id if action.list_id is not None else self.list_ids.get(action.list_key)
        try:
            settle(self.client, action, list_id, mismatch, self.settle_wait, self.on_event)
        except WriteMismatch as held:
            return "applied differently", str(held)
        except ApiError as exc:
            return "uncertain", f"{mismatch}; the re-read that would settle it failed: {exc}"
        return "applied", None

    # ------------------------------------------------------------ dispatch

    def _list_id(self, action: Action) -> int:
        if action.list_id is not None:
            return action.list_id
        return self.list_ids[action.list_key]  # created earlier in this run: the planner orders it so

    def execute(self, action: Action) -> None:
        HANDLERS[action.action, action.resource](self, action)

    def _create_list(self, action: Action) -> None:
        self._guard_list_creates()
        name = action.payload["name"]

        def find() -> Optional[int]:
            # The planner creates a list only when no live list has its name: one there now is ours.
            fresh = [lst for lst in self.client.list_lists() if lst.get("name") == name]
            return int(fresh[-1]["id"]) if fresh else None

        body = {k: v for k, v in action.payload.items() if k != "keyword_names"}
        answer_id = self._post_once(
            "POST /lists",
            lambda: verify.list_created(
                self.client.create_list(body, action.payload.get("keyword_names")), action.payload, "/lists"
            ),
            find,
        )
        self.list_ids[action.list_key] = answer_id

    def _update_list(self, action: Action) -> None:
        self.client.update_list(self._list_id(action), action.payload)

    def _delete_list(self, action: Action) -> None:
        self._delete(lambda: self.client.delete_list(self._list_id(action)))

    def _update_keywords(self, action: Action) -> None:
        list_id = self._list_id(action)
        sent = action.payload["keyword_names"]
        answer = self.client.set_keywords(list_id, sent)
        verify.keywords(
            answer,
            sent,
            "PUT",
            f"/lists/{list_id}/keywords",
            "a keywords PUT replaces the list's keywords with those sent",
        )

    def _set_opt_in_settings(self, action: Action) -> None:
        list_id = self._list_id(action)
        answer = self.client.set_opt_in_settings(list_id, action.payload)
        verify.opt_in(answer, action.payload, f"/lists/{list_id}/opt_in_settings")

    def _create_custom_field(self, action: Action) -> None:
        list_id = self._list_id(action)
        key = action.payload["key"]
        path = f"/lists/{list_id}/custom_fields"

        def find() -> Optional[str]:
            return key if any(f.get("key") == key for f in self.client.list_custom_fields(list_id)) else None

        self._post_once(
            f"POST {path}",
            lambda: verify.custom_field(self.client.create_custom_field(list_id, action.payload), action.payload, path),
            find,
        )

    def _replace_custom_field(self, action: Action) -> None:
        self._delete_custom_field(action)
        try:
            self._create_custom_field(action)
        except (ApiError, NotApplied, WriteMismatch) as exc:
            raise HalfDone(f"the field was deleted but not re-created: {exc}") from None

    def _delete_custom_field(self, action: Action) -> None:
        list_id = self._list_id(action)
        self._delete(lambda: self.client.delete_custom_field(list_id, action.payload["key"]))

    def _create_webhook(self, action: Action) -> None:
        list_id = self._list_id(action)
        self._guard_webhook_creates(list_id, action)
        url = canonical_url(action.payload["callback_url"])
        path = f"/lists/{list_id}/webhooks"

        def find() -> Optional[int]:
            hooks = [h for h in self.client.list_webhooks(list_id) if canonical_url(h.get("callback_url", "")) == url]
            return int(hooks[0]["id"]) if hooks else None

        self._post_once(
            f"POST {path}",
            lambda: verify.webhook(self.client.create_webhook(list_id, action.payload), action.payload, "POST", path),
            find,
        )

    def _update_webhook(self, action: Action) -> None:
        list_id = self._list_id(action)
        path = f"/lists/{list_id}/webhooks/{action.target_id}"
        answer = self.client.update_webhook(list_id, action.target_id, action.payload)  # type: ignore[arg-type]
        if answer:  # an empty answer (204) is success, but cannot be checked
            verify.webhook(unwrap(answer, "webhook", "PUT", path), action.payload, "PUT", path)

    def _delete_webhook(self, action: Action) -> None:
        list_id = self._list_id(action)
        self._delete(lambda: self.client.delete_webhook(list_id, action.target_id))  # type: ignore[arg-type]

    # ------------------------------------------------------------- helpers

    def _post_once(self, request: str, create: Callable[[], Any], find: Callable[[], Any]) -> Any:
        """POST; after an uncertain failure, re-read and retry only if the object is not there."""
        for attempt in range(1, POST_ATTEMPTS + 1):
            try:
                return create()
            except ApiError as exc:
                if not exc.uncertain:
                    raise
                what = exc.message.rstrip(".")
            existing = find()  # a GET: retried by the client on its own
            if existing is not None:
                self.on_event(f"{request}: {what}; re-read found it; not retried")
                return existing
            if attempt == POST_ATTEMPTS:
                raise NotApplied(
                    f"{request}: {what}; re-read did not find it after {attempt} attempts; nothing was created"
                )
            self.on_event(f"{request}: {what}; re-read did not find it; retrying")
        raise AssertionError("unreachable")

    def _delete(self, call: Callable[[], Any]) -> None:
        try:
            call()
        except ApiError as exc:
            # A retried DELETE whose first attempt was carried out finds nothing: that is success, but only
            # when the API itself says "not found" (a proxy's 404 page proves nothing).
            if not exc.not_found or isinstance(exc, AnswerError):
                raise
            self.on_event(f"{exc.method} {exc.path}: already gone ({exc.error}); counted as done")

    # --------------------------------------------------- concurrent applies

    def _guard_list_creates(self) -> None:
        """Before the first list create: has another apply created one of our lists since the plan?"""
        if self._checked_lists or self._plan is None:
            return
        self._checked_lists = True
        wanted = {
            a.payload["name"] for a in self._plan.actions if a.resource is Resource.LIST and a.action is Kind.CREATE
        }
        known_ids = self._plan.live_list_ids
        clash = sorted(
            {
                str(lst.get("name"))
                for lst in self.client.list_lists()
                if lst.get("name") in wanted and str(lst.get("id")) not in known_ids
            }
        )
        if clash:
            raise NotApplied(
                f"list(s) {', '.join(repr(display(n)) for n in clash)} appeared in the account since "
                "the plan was made (another apply, or the web UI?); nothing was created. Run "
                "`tatango-iac plan` again; a duplicate that did arise can be pinned with `id:`"
            )

    def _guard_webhook_creates(self, list_id: int, action: Action) -> None:
        if action.list_id is None or list_id in self._checked_hooks or self._plan is None:
            return  # a list created in this run has no webhook we did not make
        self._checked_hooks.add(list_id)
        wanted = {
            canonical_url(a.payload["callback_url"])
            for a in self._plan.actions
            if a.resource is Resource.WEBHOOK and a.action is Kind.CREATE and a.list_id == list_id
        }
        known_ids = self._plan.live_webhook_ids.get(list_id, set())
        if any(
            canonical_url(h.get("callback_url", "")) in wanted and str(h.get("id")) not in known_ids
            for h in self.client.list_webhooks(list_id)
        ):
            raise NotApplied(
                f"a webhook this plan creates on list id {list_id} appeared since the plan was made "
                "(another apply?); nothing was created. Run `tatango-iac plan` again"
            )


# One handler per (kind, resource) the planner can produce; checked complete when this module is imported,
# so a new kind of action cannot reach an apply without its handler.
HANDLERS: dict[tuple[Kind, Resource], Callable[[Applier, Action], None]] = {
    (Kind.CREATE, Resource.LIST): Applier._create_list,
    (Kind.UPDATE, Resource.LIST): Applier._update_list,
    (Kind.DELETE, Resource.LIST): Applier._delete_list,
    (Kind.UPDATE, Resource.KEYWORDS): Applier._update_keywords,
    (Kind.CREATE, Resource.OPT_IN_SETTINGS): Applier._set_opt_in_settings,  # one PUT creates or replaces them
    (Kind.UPDATE, Resource.OPT_IN_SETTINGS): Applier._set_opt_in_settings,
    (Kind.CREATE, Resource.CUSTOM_FIELD): Applier._create_custom_field,
    (Kind.REPLACE, Resource.CUSTOM_FIELD): Applier._replace_custom_field,
    (Kind.DELETE, Resource.CUSTOM_FIELD): Applier._delete_custom_field,
    (Kind.CREATE, Resource.WEBHOOK): Applier._create_webhook,
    (Kind.UPDATE, Resource.WEBHOOK): Applier._update_webhook,
    (Kind.DELETE, Resource.WEBHOOK): Applier._delete_webhook,
}
check_complete(HANDLERS, "the applier's handler table")
