"""Webhook actions. A webhook's identity is its callback URL in canonical form, within its list.

- An update sends the URL and all five events (unmanaged ones from their live values),
  so a server that resets what a PUT leaves out changes nothing we did not mean to.
- When a ``${SECRET}`` in a URL has a new value, the live webhook whose URL matches the
  template apart from that value is updated in place, and the plan says so without
  printing either value.
- Two live webhooks with the same URL: the first is kept, the others deleted.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any, Optional

from tatango_iac.engine.kinds import Kind, Reason, Resource
from tatango_iac.engine.normalize import differs
from tatango_iac.engine.plan import Action
from tatango_iac.engine.steps import (
    PHASE_LAST,
    PHASE_MAIN,
    SUB_WEBHOOK,
    ChildEmitter,
    Context,
    list_address,
    shown_name,
)
from tatango_iac.identity.urls import canonical_url
from tatango_iac.model import (
    WEBHOOK_EVENTS,
    DesiredList,
    DesiredWebhook,
    LiveList,
    LiveWebhook,
    known,
)
from tatango_iac.secrets import Templated, display, mask_url

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}")
HIDDEN = "(live value not shown)"


def _template_pattern(url: Templated) -> Optional[re.Pattern]:
    """The URL's template as a pattern in which each ${VAR} matches any value."""
    template = canonical_url(url.template)
    parts = _REFERENCE.split(template)
    if len(parts) == 1:
        return None
    literal = [re.escape(p) if i % 2 == 0 else "(.+?)" for i, p in enumerate(parts)]
    return re.compile("".join(literal))


def _secret_pairs(wanted: list[DesiredWebhook], live_urls: list[str]) -> dict[int, tuple[str, list[str]]]:
    """desired index -> (live URL, names of the variables whose value differs)."""
    pairs: dict[int, tuple[str, list[str]]] = {}
    taken: set[str] = set()
    for index, hook in enumerate(wanted):
        if not isinstance(hook.callback_url, Templated):
            continue
        pattern = _template_pattern(hook.callback_url)
        for url in live_urls:
            if pattern is None or url in taken or not pattern.fullmatch(url):
                continue
            names = _REFERENCE.findall(hook.callback_url.template)
            pairs[index] = (url, sorted(set(names)))
            taken.add(url)
            break
    return pairs


def webhook_steps(ctx: Context, index: int, d: DesiredList, live: Optional[LiveList], deps: set[int]) -> None:
    if d.webhooks is None:
        return
    emit = _Emitter(ctx, index, d, live, deps)
    by_url: dict[str, list[LiveWebhook]] = defaultdict(list)
    for hook in sorted(ctx.live.webhooks.get(live.id, []) if live else [], key=lambda h: h.id):
        by_url[canonical_url(hook.callback_url)].append(hook)
    wanted_urls = {canonical_url(h.callback_url) for h in d.webhooks}
    unmatched = [h for h in d.webhooks if canonical_url(h.callback_url) not in by_url]
    pairs = _secret_pairs(unmatched, [u for u in by_url if u not in wanted_urls])
    paired_live = {url for url, _names in pairs.values()}
    paired = {id(unmatched[i]): pair for i, pair in pairs.items()}
    for wanted in d.webhooks:  # in the configuration's order
        current = by_url.get(canonical_url(wanted.callback_url))
        if current:
            emit.update(wanted, current[0])
        elif id(wanted) in paired:
            url, names = paired[id(wanted)]
            emit.update(wanted, by_url[url][0], secret_names=names)
        else:
            emit.create(wanted)
    for url, hooks in by_url.items():
        keep = url in wanted_urls or url in paired_live
        for hook in hooks[1:] if keep else hooks:
            if keep:
                emit.delete(hook, f"duplicate of webhook id {hooks[0].id}", Reason.DELETE_BECAUSE_DUPLICATE)
            else:
                emit.delete(hook, "", Reason.DELETE_BECAUSE_NO_CONFIGURATION)


class _Emitter(ChildEmitter):
    def _address(self, url: str) -> str:
        return f"{list_address(self.d)}.webhook[{json.dumps(display(url, url=True), ensure_ascii=False)}]"

    def create(self, hook: DesiredWebhook) -> None:
        payload = {"callback_url": hook.callback_url, **{e: bool(hook.events.get(e, False)) for e in WEBHOOK_EVENTS}}
        action = Action(
            Kind.CREATE,
            Resource.WEBHOOK,
            self._address(hook.callback_url),
            shown_name(self.d),
            after=payload,
            payload=payload,
            reason_code=Reason.CREATE_BECAUSE_MISSING,
        )
        self.add(action, (PHASE_MAIN, self.index, SUB_WEBHOOK))

    def update(self, hook: DesiredWebhook, current: LiveWebhook, secret_names: Optional[list[str]] = None) -> None:
        changed = {e: v for e, v in hook.events.items() if differs(current.events.get(e), v)}
        if not changed and not secret_names:
            return
        before: dict[str, Any] = {"callback_url": hook.callback_url, **{e: current.events[e] for e in changed}}
        after: dict[str, Any] = {"callback_url": hook.callback_url, **changed}
        changes = [{"path": e, "before": current.events[e], "after": v} for e, v in sorted(changed.items())]
        reason, code = "", Reason.UPDATE_BECAUSE_DIFFERS
        if secret_names:
            code = Reason.UPDATE_BECAUSE_SECRET_CHANGED
            which = ", ".join(f"${{{n}}}" for n in secret_names)
            reason = f"the value of {which} differs from the live URL"
            before["callback_url"] = HIDDEN
            changes.insert(0, {"path": "callback_url", "before": HIDDEN, "after": display(hook.callback_url, url=True)})
        # A complete body: the URL and every event, unmanaged ones from their live values (when reported).
        payload: dict[str, Any] = {"callback_url": hook.callback_url}
        for event in WEBHOOK_EVENTS:
            value = hook.events.get(event, current.events.get(event))
            if known(value):
                payload[event] = bool(value)
        action = Action(
            Kind.UPDATE,
            Resource.WEBHOOK,
            self._address(hook.callback_url),
            shown_name(self.d),
            before=before,
            after=after,
            target_id=current.id,
            payload=payload,
            reason=reason,
            reason_code=code,
            changes=changes,
        )
        self.add(action, (PHASE_MAIN, self.index, SUB_WEBHOOK), after_create=False)

    def delete(self, hook: LiveWebhook, reason: str, code: Reason) -> None:
        before = {"callback_url": mask_url(hook.callback_url), **{e: v for e, v in hook.events.items() if known(v)}}
        action = Action(
            Kind.DELETE,
            Resource.WEBHOOK,
            self._address(hook.callback_url),
            shown_name(self.d),
            before=before,
            target_id=hook.id,
            reason=reason,
            reason_code=code,
        )
        self.add(action, (PHASE_LAST, self.index, SUB_WEBHOOK), after_create=False)
