"""Issue 17 point 2: which merges an apply run applies, in which order (gitops.pending, pure), and the
command the action calls (``tatango-iac ci pending-merges``, over a real git repository and a stand-in gh)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tatango_iac.gitops.pending import Merge, PendingError, Record, Start, decide
from tests.test_action import Runner

APPLIED, FAILED, WAITING, NONE = Record.APPLIED, Record.FAILED, Record.WAITING, Record.NONE


def sha(n: int) -> str:
    return f"{n:040x}"


def history(*entries: tuple[int | None, Record]) -> list[Merge]:
    """Newest first, as the walk reads main; the sha of each is its position from the oldest."""
    count = len(entries)
    return [Merge(sha(count - i), pr, record) for i, (pr, record) in enumerate(entries)]


def prs(queue) -> list[int | None]:
    return [m.pull_request for m in queue.merges]


def test_every_merge_after_the_last_applied_one_oldest_first():
    queue = decide(history((23, NONE), (22, NONE), (21, APPLIED), (20, NONE)))
    assert prs(queue) == [22, 23] and queue.start is Start.AFTER_LAST_APPLIED
    assert queue.last_applied is not None and queue.last_applied.pull_request == 21
    # #20 is older than the last applied merge: not looked at again.


def test_a_failed_or_waiting_merge_is_tried_again_in_its_place():
    queue = decide(history((24, NONE), (23, WAITING), (22, FAILED), (21, APPLIED)))
    assert prs(queue) == [22, 23, 24]


def test_nothing_after_the_last_applied_merge_is_an_empty_queue():
    queue = decide(history((21, APPLIED), (20, APPLIED)))
    assert queue.merges == [] and queue.start is Start.AFTER_LAST_APPLIED


def test_the_first_run_applies_only_the_newest_merge_and_says_why():
    queue = decide(history((23, NONE), (22, NONE), (21, NONE)))
    assert prs(queue) == [23] and queue.start is Start.FIRST_RUN
    assert "first run that keeps the record" in queue.notes[0]
    assert decide([]).merges == []


def test_a_rebase_merged_pull_request_is_applied_once_at_its_last_commit():
    queue = decide(history((23, NONE), (22, NONE), (22, NONE), (22, NONE), (21, APPLIED)))
    assert prs(queue) == [22, 23]
    assert queue.merges[0].sha == sha(4)  # the newest of #22's three commits: its whole change


def test_a_push_without_a_pull_request_keeps_its_place_in_the_queue():
    queue = decide(history((23, NONE), (None, NONE), (22, NONE), (21, APPLIED)))
    assert prs(queue) == [22, None, 23]


def test_a_run_given_a_pull_request_starts_there_and_goes_past_earlier_merges():
    walk = history((24, NONE), (23, WAITING), (22, FAILED), (21, APPLIED))
    assert prs(decide(walk, start_pr=23)) == [23, 24]  # #22 left as it is: the person's explicit choice
    assert prs(decide(walk, start_pr=22)) == [22, 23, 24]
    assert decide(walk, start_pr=23).start is Start.FROM_PULL_REQUEST
    # An applied merge given again is checked again (apply --expect says "already applied"); later
    # applied ones are not re-done.
    walk = history((23, NONE), (22, APPLIED), (21, APPLIED))
    assert prs(decide(walk, start_pr=21)) == [21, 23]


def test_a_pull_request_not_in_the_history_is_refused():
    with pytest.raises(PendingError, match=r"#99 is not among the last 2 merges of main"):
        decide(history((22, NONE), (21, APPLIED)), start_pr=99)


def test_the_walk_stops_at_the_last_applied_merge_and_at_the_lookback():
    asked: list[int] = []

    def lazily(entries):
        for merge in entries:
            asked.append(merge.pull_request)
            yield merge

    decide(lazily(history((23, NONE), (22, APPLIED), (21, NONE), (20, NONE))))
    assert asked == [23, 22]  # GitHub is not asked about merges older than the record
    asked.clear()
    queue = decide(lazily(history(*[(n, NONE) for n in range(50, 0, -1)])), lookback=5)
    assert asked == [50, 49, 48, 47, 46, 45] and prs(queue) == [50]  # bounded; no record: the newest only


def test_record_states_as_github_reports_them():
    assert [Record.of(s) for s in ("success", "failure", "error", "pending", None, "weird")] == [
        APPLIED,
        FAILED,
        FAILED,
        WAITING,
        NONE,
        NONE,
    ]


records = st.sampled_from(list(Record))
walks = st.lists(st.tuples(st.one_of(st.none(), st.integers(1, 8)), records), max_size=30)


@settings(max_examples=400, deadline=None)
@given(walks)
def test_every_merge_newer_than_the_record_is_queued_once_in_merge_order(entries):
    walk = history(*entries)
    queue = decide(walk)
    newest_applied = next((i for i, m in enumerate(walk) if m.record is APPLIED), None)
    if newest_applied is None:
        assert queue.merges == walk[:1]  # the first run
        return
    newer = walk[:newest_applied]  # newest first
    assert all(m in newer for m in queue.merges)
    order = [walk.index(m) for m in queue.merges]
    assert order == sorted(order, reverse=True)  # oldest first
    for merge in newer:  # each one is queued, or stands for by a newer commit of the same pull request
        assert merge in queue.merges or (
            merge.pull_request is not None
            and any(q.pull_request == merge.pull_request and walk.index(q) < walk.index(merge) for q in queue.merges)
        )


# ------------------------------------------------------------------ the command, over git and a stand-in gh


@pytest.fixture
def repo(tmp_path):
    runner = Runner(tmp_path, "http://127.0.0.1:9")  # no API: the command reads git and GitHub only
    runner.repo.mkdir()
    (runner.repo / "tatango").mkdir()
    (runner.repo / "other").mkdir()
    runner.git("init", "-q", "-b", "main")
    return runner


def commit(runner, where: str, text: str) -> str:
    (runner.repo / where / "file.yaml").write_text(text)
    runner.git("add", "-A")
    runner.git("commit", "-q", "-m", text)
    return runner.git("rev-parse", "HEAD")


def pending(runner, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tatango_iac", "ci", "pending-merges", *args],
        cwd=cwd or runner.repo,
        env=runner.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def teach(runner, answers: dict[str, object]) -> None:
    world = runner.gh()
    world["api"].update({f"repos/acme/sms-config/{path}": answer for path, answer in answers.items()})
    runner.world.write_text(json.dumps(world))


def test_the_command_walks_only_the_configurations_merges_and_prints_fields(repo):
    first = commit(repo, "tatango", "a: 1\n")
    commit(repo, "other", "unrelated\n")  # not a merge of the configuration: never asked about
    second = commit(repo, "tatango", "a: 2\n")
    third = commit(repo, "tatango", "a: 3\n")
    teach(
        repo,
        {
            f"commits/{first}/status": {"statuses": [{"context": "tatango-apply", "state": "success"}]},
            f"commits/{first}/pulls": [{"number": 1, "merged_at": "2026-01-01T00:00:00Z"}],
            f"commits/{second}/pulls": [{"number": 2, "merged_at": "2026-01-01T00:00:00Z"}],
            f"commits/{second}/status": {"statuses": [{"context": "tatango-apply/other", "state": "success"}]},
            f"commits/{third}/pulls": [],
        },
    )
    done = pending(repo, "--repository", "acme/sms-config", "tatango/")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{second}\t2\tnone\n{third}\t-\tnone\n"  # another context's record is not ours
    assert "Merges to apply, oldest first (after the last applied merge" in done.stderr
    asked = [c[1] for c in repo.gh()["calls"]]
    assert all("/commits/" in path for path in asked) and len(asked) == 6  # three merges, two questions each
    # From a subdirectory, with the configuration path given relative to it: git runs in its repository.
    done = pending(repo, "--repository", "acme/sms-config", ".", cwd=repo.repo / "tatango")
    assert done.stdout.splitlines()[0].startswith(second)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--repository", "acme/sms-config; rm -rf /", "tatango/"], "the repository must be OWNER/NAME"),
        (["--repository", "acme/sms-config", "--context", "a b", "tatango/"], "the status context must be"),
        (["--repository", "acme/sms-config", "--pull-request", "0", "tatango/"], "--pull-request"),
        (["--repository", "acme/sms-config", "--pull-request", "7", "tatango/"], "#7 is not among the last 1"),
    ],
)
def test_bad_arguments_are_refused_with_a_sentence(repo, args, message):
    commit(repo, "tatango", "a: 1\n")
    done = pending(repo, *args)
    assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_pull_request_number_github_gives_is_checked(repo):
    head = commit(repo, "tatango", "a: 1\n")
    teach(repo, {f"commits/{head}/pulls": [{"number": "1/../../x"}]})
    done = pending(repo, "--repository", "acme/sms-config", "tatango/")
    assert done.returncode == 1 and "must be a number, not '1/../../x'" in done.stderr


def test_github_failing_or_answering_nonsense_is_an_error_not_a_guess(repo):
    head = commit(repo, "tatango", "a: 1\n")
    teach(repo, {f"commits/{head}/status": ["not", "a", "status"]})
    done = pending(repo, "--repository", "acme/sms-config", "tatango/")
    assert done.returncode == 1 and f"the statuses of {head} has no list of statuses" in done.stderr
    (Path(repo.env["PATH"].split(":")[0]) / "gh").write_text("#!/bin/sh\necho 'HTTP 502' >&2\nexit 1\n")
    done = pending(repo, "--repository", "acme/sms-config", "tatango/")
    assert done.returncode == 1 and "HTTP 502" in done.stderr and "Traceback" not in done.stderr


def test_outside_a_git_repository_it_says_so(repo, tmp_path):
    elsewhere = tmp_path / "not-git"
    elsewhere.mkdir()
    done = pending(repo, "--repository", "acme/sms-config", str(elsewhere))
    assert done.returncode == 1 and "not a git repository" in done.stderr.lower()
