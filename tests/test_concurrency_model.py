"""Issue 17 point 2: no merged change left unapplied, whatever order events arrive in.

The shipped workflows' concurrency groups (read from their YAML) are played against a model of
GitHub's rules (tests/github_concurrency.py) over arbitrary sequences of merges, pushes to pull
requests, drift runs, re-runs, runs finishing, runs cancelled by hand and failing applies. No plan or
drift run cancels a pending apply; a newer apply does cancel an older pending one, and what each apply
run does (tests/apply_model.py, over the real gitops.pending) catches up every merge not applied yet.
"""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.apply_model import Account, Fate
from tests.conftest import ROOT
from tests.github_concurrency import GitHub, Kind

CI = ROOT / "examples" / "ci"
WORKFLOW_OF = {Kind.APPLY: "tatango-apply.yml", Kind.PLAN: "tatango-pr.yml", Kind.DRIFT: "tatango-drift.yml"}


def shipped_groups() -> dict[str, str]:
    groups = {}
    for kind, name in WORKFLOW_OF.items():
        concurrency = yaml.safe_load((CI / name).read_text())["concurrency"]
        assert concurrency["cancel-in-progress"] is False  # a running apply is never cancelled
        groups[kind.value] = concurrency["group"]
    return groups


SHARED = {kind.value: "tatango-account-acme" for kind in Kind}  # the old layout: one group for all three

events = st.lists(
    st.one_of(
        st.tuples(st.just("arrive"), st.sampled_from(list(Kind)), st.integers(1, 5)),
        st.tuples(st.just("finish"), st.sampled_from(list(Kind)), st.just(0)),
    ),
    max_size=40,
)


def play(groups: dict[str, str], sequence) -> GitHub:
    github = GitHub(groups)
    for event, kind, pull_request in sequence:
        if event == "arrive":
            github.arrive(kind, pull_request if kind is not Kind.DRIFT else None)
        else:
            github.finish(groups[kind.value])
    github.drain()
    return github


def test_the_apply_workflow_has_its_own_group_and_plans_and_drift_share_theirs():
    groups = shipped_groups()
    assert groups["plan"] == groups["drift"] != groups["apply"]
    assert "vars.TATANGO_ACCOUNT || github.repository" in groups["apply"]  # still one apply queue per account


@settings(max_examples=300, deadline=None)
@given(events)
def test_no_plan_or_drift_run_ever_cancels_an_apply(sequence):
    github = play(shipped_groups(), sequence)
    assert all(newer.kind is Kind.APPLY for cancelled, newer in github.cancelled if cancelled.kind is Kind.APPLY)
    # Stronger: the applies that run are exactly those that run when no plan or drift happens at all.
    alone = play(shipped_groups(), [e for e in sequence if e[1] is Kind.APPLY])
    assert [r.pull_request for r in github.finished if r.kind is Kind.APPLY] == [r.pull_request for r in alone.finished]


def test_with_one_shared_group_a_pull_request_plan_cancels_a_pending_apply():
    """The model finds the loss the shared group allowed: merge #1 waits behind a drift run, a push
    to pull request #2 arrives and GitHub cancels the pending apply of #1."""
    github = GitHub(SHARED)
    github.arrive(Kind.DRIFT)
    apply_1 = github.arrive(Kind.APPLY, 1)
    plan_2 = github.arrive(Kind.PLAN, 2)
    github.drain()
    assert github.cancelled == [(apply_1, plan_2)]
    split = GitHub(shipped_groups())
    split.arrive(Kind.DRIFT)
    apply_1 = split.arrive(Kind.APPLY, 1)
    split.arrive(Kind.PLAN, 2)
    split.drain()
    assert split.cancelled == [] and apply_1 in split.finished


def test_a_newer_apply_still_replaces_a_pending_apply():
    """GitHub's rule that remains: the newest merge's run replaces the waiting one (it then applies both)."""
    github = GitHub(shipped_groups())
    github.arrive(Kind.APPLY, 1)
    apply_2 = github.arrive(Kind.APPLY, 2)
    apply_3 = github.arrive(Kind.APPLY, 3)
    github.drain()
    assert github.cancelled == [(apply_2, apply_3)]


def merges_in_quick_succession(account: Account) -> GitHub:
    """A, B, C merged while A's run runs: B's pending run is cancelled by C's."""
    github = GitHub(shipped_groups(), work=account.run)
    for _ in range(3):
        number = account.merge()
        github.arrive(Kind.APPLY, number, head=len(account.main))
    github.drain()
    return github


def test_three_merges_in_quick_succession_the_old_runs_lost_the_middle_one_silently():
    old = Account(own_pr_only=True)
    merges_in_quick_succession(old)
    assert old.applied == [0, 1, 3] and old.comments == []  # #2 never applied, nobody told
    new = Account()
    github = merges_in_quick_succession(new)
    assert [cancelled.pull_request for cancelled, _newer in github.cancelled] == [2]
    assert new.applied == [0, 1, 2, 3] and new.comments == []  # #3's run applied #2, then #3


FATES = st.sampled_from([Fate.OK, Fate.OK, Fate.OK, Fate.REFUSED, Fate.FLAKY])
story = st.lists(
    st.one_of(
        st.tuples(st.just("merge"), FATES),
        st.tuples(st.just("push"), st.integers(1, 5)),
        st.tuples(st.just("drift"), st.none()),
        st.tuples(st.just("rerun"), st.none()),
        st.tuples(st.just("finish"), st.sampled_from(list(Kind))),
        st.tuples(st.just("cancel"), st.none()),
    ),
    max_size=40,
)


def tell(sequence, account: Account) -> GitHub:
    """Play the story. A run a person cancelled is followed by what the README says: run it again."""
    github = GitHub(shipped_groups(), work=account.run)
    by_hand = False
    for event, value in sequence:
        if event == "merge":
            github.arrive(Kind.APPLY, account.merge(value), head=len(account.main))
        elif event == "push":
            github.arrive(Kind.PLAN, value)
        elif event == "drift":
            github.arrive(Kind.DRIFT)
        elif event == "rerun":  # Run workflow with no number: main's head at that moment
            github.arrive(Kind.APPLY, None, head=len(account.main))
        elif event == "finish":
            github.finish(github.groups[value.value])
        else:
            group = github.state.get(github.groups["apply"])
            by_hand = by_hand or (group is not None and group.running is not None)
            github.finish(github.groups["apply"], by_hand=True)
    github.drain()
    if by_hand:
        github.arrive(Kind.APPLY, None, head=len(account.main))
        github.drain()
    return github


@settings(max_examples=500, deadline=None)
@given(story)
def test_every_merged_pull_request_is_applied_or_told_on_its_pull_request(sequence):
    account = Account()
    tell(sequence, account)
    merged = account.main[1:]
    told = {pr for pr, _kind in account.comments}
    assert all(pr in account.applied or pr in told for pr in merged)
    # Order matters: a merge is applied only after every merge before it.
    for position, pr in enumerate(account.applied):
        assert account.applied[:position] == list(range(pr))
    # A pull request is told it waits at most once (a failure is told each time a run fails on it).
    waiting = [pr for pr, kind in account.comments if kind == "waiting"]
    assert len(waiting) == len(set(waiting))
    # When no apply fails, every merge reaches the account, in merge order, and nobody gets a comment.
    if all(account.fates[pr] is Fate.OK for pr in merged):
        assert account.applied == account.main and account.comments == []
    # The README's answer to a failed run, "run the workflow again" (once per failure): every merge before
    # the first one refused for good reaches the account; that one and the later ones are told on their
    # pull requests.
    github = GitHub(shipped_groups(), work=account.run)
    for _failure in merged:
        github.arrive(Kind.APPLY, None, head=len(account.main))
        github.drain()
    first_refused = next((pr for pr in merged if account.fates[pr] is Fate.REFUSED), None)
    told = {pr for pr, _kind in account.comments}
    for pr in merged:
        if first_refused is None or pr < first_refused:
            assert pr in account.applied
        else:
            assert pr not in account.applied and pr in told


@settings(max_examples=300, deadline=None)
@given(story)
def test_plan_and_drift_runs_change_nothing_of_what_is_applied(sequence):
    with_everything = Account()
    tell(sequence, with_everything)
    applies_only = Account()
    tell([e for e in sequence if e[0] in ("merge", "rerun", "cancel") or e[1] is Kind.APPLY], applies_only)
    assert with_everything.applied == applies_only.applied
    assert with_everything.comments == applies_only.comments
