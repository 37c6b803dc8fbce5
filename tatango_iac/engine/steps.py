"""The planner's working state: steps (an action plus what ordering needs to know) and the context."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

from tatango_iac.engine.plan import Action
from tatango_iac.identity.matching import Match
from tatango_iac.identity.scope import Scope
from tatango_iac.model import DesiredAccount, DesiredList, LiveAccount
from tatango_iac.secrets import display

# Order within a list: the list itself, its keywords, opt-in, early custom-field deletes, the rest.
SUB_LIST, SUB_KEYWORDS, SUB_OPT_IN, SUB_CF_DELETE_EARLY, SUB_CF, SUB_WEBHOOK = 0, 1, 2, 3, 4, 5
PHASE_FIRST, PHASE_MAIN, PHASE_LAST = 0, 1, 2
HolderKey = tuple  # ("live", id) or ("new", desired key)


@dataclass
class Step:
    action: Action
    order: tuple
    holder: HolderKey  # who holds keywords for this step (the list it acts on)
    effect: Optional[str] = None  # create_list | set_keywords | delete_list
    final_keywords: tuple[str, ...] = ()
    deps: set[int] = field(default_factory=set)
    id: int = 0


@dataclass
class Context:
    desired: DesiredAccount
    live: LiveAccount
    match: Match
    scope: Scope
    steps: list[Step] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    blocked: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    last_id: int = 0

    def add(self, step: Step) -> Step:
        self.last_id += 1
        step.id = self.last_id
        self.steps.append(step)
        return step

    def remove(self, doomed: set[int]) -> None:
        """Drop steps and, transitively, every step that depends on them."""
        while True:
            more = {s.id for s in self.steps if s.deps & doomed} - doomed
            if not more:
                break
            doomed |= more
        self.steps = [s for s in self.steps if s.id not in doomed]


def holder_key(d: DesiredList, live: Any) -> HolderKey:
    """Who holds a list's keywords in the ordering simulation: the live list, or the entry to create."""
    return ("live", live.id) if live else ("new", d.key)


class ChildEmitter:
    """Adds the steps of one list's children (custom fields, webhooks) with the list's identity."""

    def __init__(self, ctx: Context, index: int, d: DesiredList, live: Any, deps: set[int]):
        self.ctx, self.index, self.d, self.deps = ctx, index, d, deps
        self.list_id = live.id if live else None
        self.holder = holder_key(d, live)

    def add(self, action: Action, order: tuple, after_create: bool = True) -> None:
        """``after_create``: the step waits for the list's create (an action on a new list)."""
        action.list_id, action.list_key = self.list_id, self.d.key
        self.ctx.add(Step(action, order, self.holder, deps=set(self.deps) if after_create else set()))


def list_label(lst: DesiredList) -> str:
    return lst.label or json.dumps(display(lst.name), ensure_ascii=False)


def list_address(lst: DesiredList) -> str:
    return f"list[{list_label(lst)}]"


def live_list_address(name: str) -> str:
    return f"list[{json.dumps(name, ensure_ascii=False)}]"


def shown_name(lst: DesiredList) -> str:
    return display(lst.name)
