"""A small, pure model of GitHub Actions' concurrency groups (issue 17 point 2).

GitHub keeps, per concurrency group, at most one running and one pending run; with
``cancel-in-progress: false`` a new run waits as the pending one, and a newer pending run
CANCELS the older pending run (a running one is never cancelled). The model plays sequences of
events against the groups of the shipped workflows (read from their YAML by the test).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Optional


class Kind(Enum):
    APPLY = "apply"  # a merge to main, or a re-run (workflow_dispatch) of the apply workflow
    PLAN = "plan"  # a push to a pull request
    DRIFT = "drift"  # the nightly drift check


@dataclass(frozen=True)
class Run:
    number: int
    kind: Kind
    pull_request: Optional[int] = None
    head: int = 0  # an apply run's commit: how many merges main had when it was started


@dataclass
class Group:
    running: Optional[Run] = None
    pending: Optional[Run] = None


@dataclass
class GitHub:
    groups: dict[str, str]  # Kind.value -> its workflow's concurrency group
    state: dict[str, Group] = field(default_factory=dict)
    cancelled: list[tuple[Run, Run]] = field(default_factory=list)  # (cancelled run, the newer run)
    finished: list[Run] = field(default_factory=list)
    count: int = 0
    # What a run does while it runs (called when it ends): the run, and whether a person cancelled it.
    work: Optional[Callable[[Run, bool], None]] = None

    def arrive(self, kind: Kind, pull_request: Optional[int] = None, head: int = 0) -> Run:
        self.count += 1
        run = Run(self.count, kind, pull_request, head)
        group = self.state.setdefault(self.groups[kind.value], Group())
        if group.running is None:
            group.running = run
        else:
            if group.pending is not None:
                self.cancelled.append((group.pending, run))
            group.pending = run
        return run

    def finish(self, name: str, by_hand: bool = False) -> None:
        """The running run of this group ends (or a person cancels it); its pending run starts."""
        group = self.state.get(name)
        if group is None or group.running is None:
            return
        if self.work is not None:
            self.work(group.running, by_hand)
        self.finished.append(group.running)
        group.running, group.pending = group.pending, None

    def drain(self) -> None:
        while any(group.running is not None for group in self.state.values()):
            for name in list(self.state):
                self.finish(name)
