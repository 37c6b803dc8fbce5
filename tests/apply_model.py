"""What one run of the shipped apply workflow does, as a model (issue 17 point 2), over the REAL decision.

Main is a list of merges (pull request numbers, oldest first); each merge commit carries the apply
job's record (its commit status). A run started for commit ``head`` asks ``gitops.pending.decide`` (the
code the action runs) which merges to apply, then goes through them as action/apply-merges.sh does:
apply one (its fate decides: applied, refused for good, or failing once), record it, comment on a
failure, and after a failure mark the later ones waiting (one comment each) without applying them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Optional

from tatango_iac.gitops.pending import Merge, Record, decide
from tests.github_concurrency import Kind, Run


class Fate(enum.Enum):
    OK = "ok"
    REFUSED = "refused"  # its reviewed plan no longer matches (or is missing): refused on every attempt
    FLAKY = "flaky"  # the API fails on the first attempt only (a re-run applies it)


@dataclass
class Account:
    main: list[int] = field(default_factory=lambda: [0])  # merge 0: the state the workflow was adopted at
    records: dict[int, Record] = field(default_factory=lambda: {0: Record.APPLIED})  # merge index -> status
    fates: dict[int, Fate] = field(default_factory=dict)
    attempts: dict[int, int] = field(default_factory=dict)
    applied: list[int] = field(default_factory=lambda: [0])  # pull requests in the account, in the order applied
    comments: list[tuple[int, str]] = field(default_factory=list)  # (pull request, "failed" | "waiting")
    own_pr_only: bool = False  # the old workflow: each run applied only the merge that started it

    def merge(self, fate: Fate = Fate.OK) -> int:
        number = len(self.main)
        self.main.append(number)
        self.fates[number] = fate
        return number

    def history(self, head: int) -> list[Merge]:
        """Main's merges at ``head``, newest first, with their records (what gh and git answer)."""
        return [Merge(f"{i:040x}", self.main[i], self.records.get(i, Record.NONE)) for i in range(head - 1, -1, -1)]

    def run(self, run: Run, by_hand: bool) -> None:
        """The apply run, to its end; a person cancelling it stops it after its first merge."""
        if run.kind is not Kind.APPLY:
            return
        if self.own_pr_only:
            queue = [Merge(f"{run.head - 1:040x}", run.pull_request)] if run.pull_request else []
        else:
            queue = decide(self.history(run.head)).merges
        blocked: Optional[int] = None
        for step, merge in enumerate(queue):
            if by_hand and step == 1:
                return  # cancelled: what it applied is recorded, the rest has no record yet
            index, pr = int(merge.sha, 16), merge.pull_request
            assert pr is not None
            if blocked is not None:
                if self.records.get(index) is not Record.WAITING:
                    self.comments.append((pr, "waiting"))
                self.records[index] = Record.WAITING
                continue
            if self._apply(pr):
                self.records[index] = Record.APPLIED
            else:
                self.records[index] = Record.FAILED
                self.comments.append((pr, "failed"))
                blocked = pr

    def _apply(self, pr: int) -> bool:
        self.attempts[pr] = self.attempts.get(pr, 0) + 1
        fate = self.fates.get(pr, Fate.OK)
        if fate is Fate.REFUSED or (fate is Fate.FLAKY and self.attempts[pr] == 1):
            return False
        if pr not in self.applied:  # applying it again: "already applied", nothing written
            self.applied.append(pr)
        return True
