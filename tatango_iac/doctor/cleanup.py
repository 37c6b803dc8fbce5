"""The write probe's clean-up: find every scratch object by its unique name, delete it, and re-read.

The probe may not know the id of what it created: a create whose answer was lost (the
connection dropped after the server committed), or a Ctrl-C / SIGTERM that arrived
while the create was in flight. So the clean-up does not trust its own record: it
searches the list index for the probe's unique name (every name the probe gives its
list starts with it) and for its two random keywords, deletes what it finds, and says
"removed" only when a re-read (bounded wait: reads may lag writes) no longer finds
any of it. Otherwise it names what is left and the command that removes it.
"""

from __future__ import annotations

import json
import signal
import threading
from functools import partial
from typing import Any, Callable, Optional

from tatango_iac.api.client import ApiError, TatangoClient
from tatango_iac.doctor.report import FAIL, OK, Verdict

WAIT = 30.0  # seconds the re-read waits for the deletes to show
SIGNALS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}
ASSUMPTION = "the scratch list and everything on it are removed"


def remove_command(list_id: Any) -> str:
    """The command a user runs to remove a list left behind (credentials by variable, never by value)."""
    return f'curl -X DELETE -u "$TATANGO_EMAIL:$TATANGO_API_KEY" "$TATANGO_API_URL/lists/{int(list_id)}"'


class Cleanup:
    def __init__(self, client: TatangoClient, base: str, keywords: tuple[str, ...]):
        self.client, self.base, self.keywords = client, base, {k.upper() for k in keywords}
        self.signalled: Optional[str] = None  # a Ctrl-C / SIGTERM that arrived during the clean-up

    def run(self, known_id: Optional[int], hooks: list[int], fields: list[str]) -> Verdict:
        """Remove the scratch objects, with Ctrl-C and SIGTERM held (noted, not lost) until it is done."""
        held = {}
        if threading.current_thread() is threading.main_thread():
            for signum, name in SIGNALS.items():
                held[signum] = signal.signal(signum, self._note(name))
        try:
            return self._run(known_id, hooks, fields)
        finally:
            for signum, handler in held.items():
                signal.signal(signum, handler)

    def _note(self, name: str) -> Callable[[int, Any], None]:
        def handler(signum: int, frame: Any) -> None:
            self.signalled = self.signalled or name

        return handler

    def ours(self, item: Any) -> bool:
        """A list the probe made: its name starts with the probe's unique name, or it holds a probe keyword."""
        if not isinstance(item, dict):
            return False
        held = {str(k).upper() for k in item.get("keyword_names") or []}
        return str(item.get("name", "")).startswith(self.base) or bool(held & self.keywords)

    def _run(self, known_id: Optional[int], hooks: list[int], fields: list[str]) -> Verdict:
        problems: list[str] = []
        if known_id is not None:  # its children first, so nothing dangles if the list delete fails
            for hook in list(hooks):
                self._delete(f"webhook {hook}", partial(self.client.delete_webhook, known_id, hook), problems)
            for key in list(fields):
                self._delete(f"custom field {key}", partial(self.client.delete_custom_field, known_id, key), problems)
        try:
            found = [item for item in self.client.list_lists() if self.ours(item)]
        except ApiError as exc:
            found = []
            problems.append(f"the index could not be searched ({exc.message})")
        ids = {int(item["id"]) for item in found if str(item.get("id", "")).isdigit()}
        ids |= {known_id} if known_id is not None else set()
        for list_id in sorted(ids):
            self._delete(f"list {list_id}", partial(self.client.delete_list, list_id), problems)
        return self._verdict(ids, known_id, problems)

    def _delete(self, what: str, call: Callable[[], Any], problems: list[str]) -> None:
        try:
            call()
        except ApiError as exc:
            if not exc.not_found:
                problems.append(f"{what}: {exc.message}")

    def _left(self) -> list[dict[str, Any]]:
        """What a re-read of the index still finds, waiting (1, 2, 4... s, at most WAIT) while it finds some."""
        clock, start, delay = self.client.clock, self.client.clock.monotonic(), 1.0
        while True:
            left = [item for item in self.client.list_lists() if self.ours(item)]
            waited = clock.monotonic() - start
            if not left or waited >= WAIT:
                return left
            clock.sleep(min(delay, WAIT - waited))
            delay *= 2

    def _verdict(self, ids: set[int], known_id: Optional[int], problems: list[str]) -> Verdict:
        try:
            left = self._left()
        except ApiError as exc:
            shown = ", ".join(f"id {i}" for i in sorted(ids)) or "none known"
            return Verdict(
                ASSUMPTION,
                f"not confirmed: the re-read failed ({exc.message}); deleted: {shown}",
                FAIL,
                "check the account for lists named "
                + json.dumps(self.base + "...")
                + "".join(f"; {remove_command(i)}" for i in sorted(ids)),
            )
        if left:
            shown = "; ".join(
                f"list {json.dumps(str(item.get('name')), ensure_ascii=False)} (id {item.get('id')}, keywords "
                f"{', '.join(str(k) for k in item.get('keyword_names') or []) or 'none'})"
                for item in left
            )
            commands = "; ".join(remove_command(item["id"]) for item in left if str(item.get("id", "")).isdigit())
            return Verdict(
                ASSUMPTION,
                f"left: {shown}" + (f" ({'; '.join(problems)})" if problems else ""),
                FAIL,
                f"remove it: {commands}",
            )
        unknown = sorted(ids - ({known_id} if known_id is not None else set()))
        how = f" (found by its name in the index: id {', '.join(str(i) for i in unknown)})" if unknown else ""
        observed = (
            f"removed{how}; a re-read no longer finds it"
            if ids
            else "nothing to remove: the index holds no list of the probe"
        )
        return Verdict(ASSUMPTION, observed, OK)
