"""Order the steps so that no step claims a keyword another list still holds at that moment (§5).

Steps are scheduled by simulating who holds each keyword; a cycle (two lists swapping
keywords) is broken by first releasing keywords in a separate step. The same
simulation gives each keyword step the state it meets when applied in order, so its
before/after and its ``+ NEW`` / ``- OLD`` changes (with the list a keyword moves
from or to) are exactly what the reviewer will see happen.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Optional

from tatango_iac.engine.diffs import keyword_changes
from tatango_iac.engine.kinds import Kind, Reason, Resource
from tatango_iac.engine.plan import Action
from tatango_iac.engine.steps import Context, HolderKey, Step
from tatango_iac.model import LiveList
from tatango_iac.secrets import display


class _Simulation:
    def __init__(self, live_lists: list[LiveList]):
        self.holders: dict[str, HolderKey] = {}
        self.held_by: dict[HolderKey, set[str]] = defaultdict(set)
        for lst in live_lists:
            for kw in lst.keywords:
                self.holders[kw] = ("live", lst.id)
                self.held_by[("live", lst.id)].add(kw)

    def blockers(self, step: Step) -> list[tuple[str, HolderKey]]:
        return [
            (kw, self.holders[kw])
            for kw in step.final_keywords
            if kw in self.holders and self.holders[kw] != step.holder
        ]

    def apply(self, step: Step) -> None:
        if step.effect in ("create_list", "set_keywords"):
            for kw in self.held_by[step.holder] - set(step.final_keywords):
                self.holders.pop(kw, None)
            for kw in step.final_keywords:
                self.holders[kw] = step.holder
            self.held_by[step.holder] = set(step.final_keywords)
        elif step.effect == "delete_list":
            for kw in self.held_by.pop(step.holder, set()):
                self.holders.pop(kw, None)


def schedule(ctx: Context, names: dict[HolderKey, str]) -> list[Action]:
    """The actions in a safe order; keyword steps get the before/after they will meet."""
    sim = _Simulation(ctx.live.lists)
    # Kept sorted by (phase, list, kind): the first ready step is the next one, so a pick is
    # cheap unless steps are blocked (only keyword claims block, and they are few).
    pending = sorted(ctx.steps, key=lambda s: (s.order, s.id))
    done: set[int] = set()
    ordered: list[Step] = []
    met: dict[int, set[str]] = {}
    released: set[str] = set()  # keywords freed by a step and not yet claimed by the list that wants them
    wanted = {kw for s in ctx.steps for kw in s.final_keywords}  # a keyword merely removed is never waited for
    while pending:
        position = _next_ready(pending, done, sim, released)
        if position is None:
            release = _release_step(ctx, pending, sim.held_by)
            if release is None:
                _report_deadlock(ctx, pending, sim, names)
                return [s.action for s in ordered]
            pending.insert(0, release)  # a release has phase 0: it sorts first
            continue
        step = pending.pop(position)
        met[step.id] = set(sim.held_by[step.holder])
        sim.apply(step)
        # A keyword on no list (between its release and its claim) is a keyword that answers nobody: the
        # claim goes next, where ordering allows (issue 16), so a stop in between orphans as few as possible.
        freed = (met[step.id] - sim.held_by.get(step.holder, set())) & wanted
        released = (released | freed) - set(step.final_keywords)
        done.add(step.id)
        ordered.append(step)
    _describe_keyword_steps(ctx, ordered, met, names)
    return [s.action for s in ordered]


def _next_ready(pending: list[Step], done: set[int], sim: _Simulation, released: set[str]) -> Optional[int]:
    """The next step to apply: a ready step that claims a just-released keyword first, else the first ready one."""
    first = None
    for i, step in enumerate(pending):
        if step.deps <= done and not sim.blockers(step):
            if not released or released & set(step.final_keywords):
                return i
            first = i if first is None else first
    return first


def _report_deadlock(ctx: Context, pending: list[Step], sim: _Simulation, names: dict[HolderKey, str]) -> None:
    for step in pending:
        for kw, holder in sim.blockers(step):
            ctx.problems.append(
                f"keyword '{kw}' wanted by list '{step.action.list_name}' is held by list "
                f"'{names.get(holder, holder)}', and no step of this plan frees it"
            )
    if not ctx.problems:
        ctx.problems.append("internal error: plan steps could not be ordered")


def _release_step(ctx: Context, pending: list[Step], held_by: dict[HolderKey, set[str]]) -> Optional[Step]:
    """Break a keyword cycle: let one list first drop the keywords others wait for."""
    wanted_elsewhere = {kw: s.holder for s in pending for kw in s.final_keywords}
    for step in sorted(pending, key=lambda s: (s.order, s.id)):
        if step.effect != "set_keywords":
            continue
        keep = [kw for kw in step.final_keywords if kw in held_by[step.holder]]
        freed = sorted(
            kw for kw in held_by[step.holder] - set(keep) if wanted_elsewhere.get(kw) not in (None, step.holder)
        )
        if not freed:
            continue
        a = step.action
        action = Action(
            Kind.UPDATE,
            Resource.KEYWORDS,
            a.address,
            a.list_name,
            list_id=a.list_id,
            list_key=a.list_key,
            payload={"keyword_names": keep},
            reason=f"release {', '.join(freed)} for another list first",
            reason_code=Reason.UPDATE_TO_RELEASE_KEYWORDS,
        )
        release = Step(action, (0,) + step.order[1:], step.holder, effect="set_keywords", final_keywords=tuple(keep))
        return ctx.add(release)
    return None


def _describe_keyword_steps(
    ctx: Context, ordered: list[Step], met: dict[int, set[str]], names: dict[HolderKey, str]
) -> None:
    first_holder = {kw: ("live", lst.id) for lst in ctx.live.lists for kw in lst.keywords}
    final_holder: dict[str, HolderKey] = {}
    for step in ordered:
        if step.effect in ("create_list", "set_keywords"):
            for kw in step.final_keywords:
                final_holder[kw] = step.holder
    for step in ordered:
        if step.effect not in ("create_list", "set_keywords"):
            continue
        before, after = met[step.id], set(step.final_keywords)
        moved_from = {
            kw: names.get(first_holder[kw], "")
            for kw in after - before
            if first_holder.get(kw) not in (None, step.holder)
        }
        moved_to = {
            kw: names.get(final_holder[kw], "")
            for kw in before - after
            if final_holder.get(kw) not in (None, step.holder)
        }
        action = step.action
        if step.effect == "create_list":
            action.notes += [f"keyword {kw} comes from list {name!r}" for kw, name in sorted(moved_from.items())]
            continue
        action.before = {"keyword_names": sorted(before)}
        action.after = {"keyword_names": sorted(after)}
        action.changes = keyword_changes(before, after, moved_from, moved_to)


def names_of(ctx: Context) -> dict[Any, str]:
    """How each keyword holder is named in messages: live lists by their live name, new ones by theirs."""
    names: dict[Any, str] = {("live", lst.id): lst.name for lst in ctx.live.lists}
    for d in ctx.desired.lists:
        names.setdefault(("new", d.key), display(d.name))
    return names
