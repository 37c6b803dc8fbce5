"""Execute a plan against the account: one write per action, in order, never a duplicate.

A POST that fails without a clear answer (no response, or a 5xx) may or may not have
been carried out. We then re-read and retry only if the object does not exist.
A failed DELETE retried by the client may find the object already gone (404): done.
"""
from __future__ import annotations

import signal
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from tatango_iac.api.client import ApiError, TatangoClient
from tatango_iac.engine.plan import Action, Plan

POST_ATTEMPTS = 3


@dataclass
class ApplyResult:
    applied: list[Action] = field(default_factory=list)
    failed: Optional[Action] = None
    error: Optional[str] = None
    not_applied: list[Action] = field(default_factory=list)
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return self.failed is None and not self.interrupted and not self.not_applied


class Applier:
    def __init__(self, client: TatangoClient, on_done: Callable[[int, Action], None] = lambda i, a: None,
                 on_start: Callable[[int, Action], None] = lambda i, a: None):
        self.client = client
        self.on_done = on_done
        self.on_start = on_start
        self.list_ids: dict[str, int] = {}
        self._stop = threading.Event()

    def request_stop(self) -> None:
        """Ctrl-C: the request under way finishes; no new one starts."""
        self._stop.set()

    def run(self, plan: Plan) -> ApplyResult:
        result = ApplyResult()
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, lambda signum, frame: self.request_stop())
        try:
            for index, action in enumerate(plan.actions, 1):
                if self._stop.is_set():
                    result.interrupted = True
                    result.not_applied = plan.actions[index - 1:]
                    return result
                self.on_start(index, action)
                try:
                    self.execute(action)
                except ApiError as exc:
                    result.failed, result.error = action, str(exc)
                    result.not_applied = plan.actions[index:]
                    return result
                result.applied.append(action)
                self.on_done(index, action)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        return result

    # ------------------------------------------------------------ dispatch

    def _list_id(self, action: Action) -> int:
        if action.list_id is not None:
            return action.list_id
        return self.list_ids[action.list_name]  # created earlier in this run: planner orders it so

    def execute(self, action: Action) -> None:
        handler = getattr(self, f"_{action.action}_{action.resource}")
        handler(action)

    def _create_list(self, action: Action) -> None:
        name = action.payload["name"]

        def find() -> Optional[int]:
            # The planner creates a list only when no live list has its name: one there now is ours.
            fresh = [lst for lst in self.client.list_lists() if lst.get("name") == name]
            return fresh[-1]["id"] if fresh else None

        body = {k: v for k, v in action.payload.items() if k != "keyword_names"}
        created = self._post_once(lambda: self.client.create_list(body, action.payload.get("keyword_names"))["id"],
                                  find)
        self.list_ids[action.list_name] = created

    def _update_list(self, action: Action) -> None:
        self.client.update_list(self._list_id(action), action.payload)

    def _delete_list(self, action: Action) -> None:
        self._delete(lambda: self.client.delete_list(self._list_id(action)))

    def _update_keywords(self, action: Action) -> None:
        self.client.set_keywords(self._list_id(action), action.payload["keyword_names"])

    def _create_opt_in_settings(self, action: Action) -> None:
        self.client.set_opt_in_settings(self._list_id(action), action.payload)

    _update_opt_in_settings = _create_opt_in_settings

    def _create_custom_field(self, action: Action) -> None:
        list_id = self._list_id(action)
        key = action.payload["key"]

        def find() -> Optional[str]:
            return key if any(f.get("key") == key for f in self.client.list_custom_fields(list_id)) else None

        self._post_once(lambda: self.client.create_custom_field(list_id, action.payload)["key"], find)

    def _replace_custom_field(self, action: Action) -> None:
        self._delete_custom_field(action)
        self._create_custom_field(action)

    def _delete_custom_field(self, action: Action) -> None:
        list_id = self._list_id(action)
        self._delete(lambda: self.client.delete_custom_field(list_id, action.payload["key"]))

    def _create_webhook(self, action: Action) -> None:
        list_id = self._list_id(action)
        url = action.payload["callback_url"]

        def find() -> Optional[int]:
            hooks = [h for h in self.client.list_webhooks(list_id) if h.get("callback_url") == url]
            return hooks[0]["id"] if hooks else None

        self._post_once(lambda: self.client.create_webhook(list_id, action.payload)["id"], find)

    def _update_webhook(self, action: Action) -> None:
        self.client.update_webhook(self._list_id(action), action.target_id, action.payload)  # type: ignore[arg-type]

    def _delete_webhook(self, action: Action) -> None:
        list_id = self._list_id(action)
        self._delete(lambda: self.client.delete_webhook(list_id, action.target_id))  # type: ignore[arg-type]

    # ------------------------------------------------------------- helpers

    def _post_once(self, create: Callable[[], Any], find: Callable[[], Any]) -> Any:
        """POST; after an uncertain failure, re-read and retry only if the object is not there."""
        for attempt in range(1, POST_ATTEMPTS + 1):
            try:
                return create()
            except ApiError as exc:
                if not exc.uncertain or attempt == POST_ATTEMPTS:
                    raise
            existing = find()  # a GET: retried by the client on its own
            if existing is not None:
                return existing
        raise AssertionError("unreachable")

    @staticmethod
    def _delete(call: Callable[[], None]) -> None:
        try:
            call()
        except ApiError as exc:
            # A retried DELETE whose first attempt was carried out finds nothing: that is success.
            if exc.status != 404:
                raise
