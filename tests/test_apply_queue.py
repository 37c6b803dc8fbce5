"""Issue 17 point 2: no merged change left unapplied, through the shipped apply workflow.

The workflow's steps run as GitHub would (tests/test_action.py's offline runner: the real action
script, the real CLI, the sandbox over HTTP, a stand-in ``gh`` that keeps pull requests, artifacts,
comments and commit statuses in a JSON file). Merges are real git merge commits on main.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.test_action import CI, gitops, pr_context  # noqa: F401 - the offline GitHub Actions runner

APPLY = CI / "tatango-apply.yml"
EDITS = {  # pull request -> (file, text, replacement): three lists, one per pull request
    21: ("deals.yaml", "Weekly deals.", "Daily deals."),
    22: ("stores.yaml", "Store alerts.", "Store news."),
    23: ("vip.yaml", "Recurring msgs.", "VIP msgs."),
}
LIST_OF = {21: "ACME Deals", 22: "ACME Store Alerts", 23: "ACME VIP"}


def review(runner, number: int) -> str:
    """A pull request branched from main, planned by the PR workflow (its artifact: the reviewed plan)."""
    name, old, new = EDITS[number]
    runner.git("checkout", "-q", "-b", f"pr-{number}", "main")
    path = runner.repo / "tatango" / "lists" / name
    path.write_text(path.read_text().replace(old, new))
    runner.git("commit", "-q", "-am", f"pull request {number}")
    ran = runner.workflow(CI / "tatango-pr.yml", pr_context(runner, number))
    assert [(step, code) for step, code, _ in ran] == [("validate", 0), ("plan", 0)], runner.last.stderr
    head = runner.git("rev-parse", "HEAD")
    runner.git("checkout", "-q", "main")
    return head


def merge(runner, number: int, head: str) -> str:
    """GitHub's merge button: a merge commit on main, associated with its pull request."""
    runner.git("merge", "-q", "--no-ff", "-m", f"Merge pull request #{number}", f"pr-{number}")
    sha = runner.git("rev-parse", "HEAD")
    runner.teach_gh(sha, number, head)
    return sha


def apply_run(runner, pull_request: str = "") -> int:
    ran = runner.workflow(APPLY, {"inputs.pull-request": pull_request})
    return ran[0][1]


def help_of(client, name: str) -> str:
    return next(lst for lst in client.list_lists() if lst["name"] == name)["message_help"]


def statuses(runner) -> list[tuple[str, str]]:
    return [(sha, state) for sha, state, context in runner.gh().get("statuses", []) if context == "tatango-apply"]


def comments(runner) -> list[str]:
    return runner.gh().get("comments", [])


def commented_on(runner) -> list[str]:
    return [c[2] for c in runner.gh()["calls"] if c[:2] == ["pr", "comment"]]


def test_three_merges_in_quick_succession_all_reach_the_account_in_order(gitops, client):  # noqa: F811
    """A's run applies A; B's pending run is cancelled by C's (GitHub's rule), so C's run applies B, then C."""
    assert gitops.action({"command": "apply"}, {})[0] == 0  # main is live already
    heads = {number: review(gitops, number) for number in EDITS}
    merge_a = merge(gitops, 21, heads[21])
    assert apply_run(gitops) == 0, gitops.last.stderr
    assert "Daily deals." in help_of(client, "ACME Deals")
    assert "this is the first run that keeps the record" in gitops.last.stderr  # nothing recorded before it
    merge_b = merge(gitops, 22, heads[22])
    merge_c = merge(gitops, 23, heads[23])
    # B's run never happens (cancelled while pending); C's run:
    assert apply_run(gitops) == 0, gitops.last.stderr
    assert "Store news." in help_of(client, "ACME Store Alerts") and "VIP msgs." in help_of(client, "ACME VIP")
    assert statuses(gitops) == [(merge_a, "success"), (merge_b, "success"), (merge_c, "success")]
    log = gitops.last.stderr
    assert "Merges to apply, oldest first (after the last applied merge" in log and "#22, #23" in log
    assert log.index("::group::#22") < log.index("::group::#23")  # in merge order
    # Each against its own merge commit's configuration, with its own reviewed plan (apply --expect).
    downloads = [c for c in gitops.gh()["calls"] if c[:2] == ["run", "download"]]
    assert [c[c.index("--name") + 1] for c in downloads][-2:] == ["tatango-plan-pr-22", "tatango-plan-pr-23"]
    assert comments(gitops) == []
    # A re-run of the job (or a dispatch with no number): nothing left, exit 0, no comment, no write.
    assert apply_run(gitops) == 0 and "Already applied: every merge" in gitops.last.stderr
    assert comments(gitops) == [] and len(statuses(gitops)) == 3
    assert not (Path(gitops.env["RUNNER_TEMP"]) / "tatango" / "merges" / merge_c).exists()  # worktrees removed


def test_a_merge_that_cannot_be_applied_stops_the_queue_and_says_so_on_each_pull_request(gitops, client):  # noqa: F811
    assert gitops.action({"command": "apply"}, {})[0] == 0
    heads = {number: review(gitops, number) for number in EDITS}
    merge(gitops, 21, heads[21])
    assert apply_run(gitops) == 0, gitops.last.stderr
    # After B's review, someone edits its list in the web UI: B's reviewed plan no longer means the same.
    alerts = next(lst for lst in client.list_lists() if lst["name"] == "ACME Store Alerts")
    client.update_list(alerts["id"], {"message_help": "changed by hand after the review"})
    merge_b = merge(gitops, 22, heads[22])
    merge_c = merge(gitops, 23, heads[23])
    assert apply_run(gitops) == 1
    assert "::error::#22 could not be applied; not applied after it: #23" in gitops.last.stderr
    assert help_of(client, "ACME Store Alerts") == "changed by hand after the review"
    assert "VIP msgs." not in help_of(client, "ACME VIP")  # nothing applied past the failed merge
    assert commented_on(gitops) == ["22", "23"]
    failed, waiting = comments(gitops)
    assert "tatango-iac apply did not complete" in failed and "differs from the reviewed plan" in failed
    assert "not applied yet" in waiting and "#22, merged before it" in waiting and "pull-request: 23" in waiting
    assert statuses(gitops)[-2:] == [(merge_b, "failure"), (merge_c, "pending")]
    # The next run tries again from B: B is refused and commented again, C is not told twice.
    assert apply_run(gitops) == 1
    assert commented_on(gitops) == ["22", "23", "22"]
    # A person decides to leave B out: the run started with C's number applies C (and only from there on).
    assert apply_run(gitops, "23") == 0, gitops.last.stderr
    assert "VIP msgs." in help_of(client, "ACME VIP")
    assert help_of(client, "ACME Store Alerts") == "changed by hand after the review"
    assert statuses(gitops)[-1] == (merge_c, "success")
    assert apply_run(gitops) == 0 and "Already applied" in gitops.last.stderr  # C is the last applied merge


def test_a_merge_without_its_reviewed_plan_gets_the_comment_and_nothing_after_it_is_applied(gitops, client):  # noqa: F811
    assert gitops.action({"command": "apply"}, {})[0] == 0
    heads = {number: review(gitops, number) for number in EDITS}
    merge(gitops, 21, heads[21])
    assert apply_run(gitops) == 0
    merge(gitops, 22, heads[22])
    merge(gitops, 23, heads[23])
    world = gitops.gh()  # B's plan artifact is gone (expired, or its plan job never uploaded one)
    world["api"]["repos/acme/sms-config/actions/artifacts?name=tatango-plan-pr-22&per_page=1"] = {"artifacts": []}
    gitops.world.write_text(json.dumps(world))
    assert apply_run(gitops) == 1
    assert commented_on(gitops) == ["22", "23"]
    assert "no reviewed plan (artifact tatango-plan-pr-22) for #22" in comments(gitops)[0]
    assert "Store news." not in help_of(client, "ACME Store Alerts") and "VIP msgs." not in help_of(client, "ACME VIP")


def test_a_push_to_main_without_a_pull_request_is_not_applied_and_blocks_what_follows(gitops, client):  # noqa: F811
    assert gitops.action({"command": "apply"}, {})[0] == 0
    head = review(gitops, 21)
    merge(gitops, 21, head)
    assert apply_run(gitops) == 0
    deals = gitops.repo / "tatango" / "lists" / "deals.yaml"
    deals.write_text(deals.read_text().replace("Daily deals.", "Hourly deals."))
    gitops.git("commit", "-q", "-am", "pushed straight to main")
    pushed = gitops.git("rev-parse", "HEAD")
    assert apply_run(gitops) == 1
    assert f"no pull request was merged as {pushed}: there is no reviewed plan to apply" in gitops.last.stderr
    assert "Hourly deals." not in help_of(client, "ACME Deals")
    assert statuses(gitops)[-1] == (pushed, "failure")


def test_the_apply_job_refuses_a_shallow_checkout(gitops, tmp_path):  # noqa: F811
    """With the default fetch-depth (1) the merges before HEAD are invisible: said, never guessed."""
    shallow = tmp_path / "shallow"
    gitops.git("clone", "-q", "--depth", "1", f"file://{gitops.repo}", str(shallow))
    gitops.repo = shallow
    assert gitops.action({"command": "apply", "reviewed": "auto"}, {})[0] == 1
    assert "this is a shallow clone" in gitops.last.stderr and "fetch-depth: 0" in gitops.last.stderr
    assert gitops.gh().get("calls", []) == []  # refused before any question to GitHub


def test_each_account_keeps_its_own_record(gitops, client):  # noqa: F811
    """Several accounts (the action's account input): the record is the status tatango-apply/<dir>, so one
    account's applied merges never count as another's."""
    assert gitops.action({"command": "apply"}, {})[0] == 0
    head = review(gitops, 21)
    shutil.copytree(gitops.store / "tatango-plan-pr-21", gitops.store / "tatango-plan-pr-21-acme")
    sha = merge(gitops, 21, head)
    world = gitops.gh()
    world["api"]["repos/acme/sms-config/actions/artifacts?name=tatango-plan-pr-21-acme&per_page=1"] = {
        "artifacts": [{"workflow_run": {"id": 4242, "head_sha": head}}]
    }
    # The plain context says this merge is applied: for the account "acme" it is not.
    world["api"][f"repos/acme/sms-config/commits/{sha}/status"] = {
        "statuses": [{"context": "tatango-apply", "state": "success"}]
    }
    gitops.world.write_text(json.dumps(world))
    code, _outputs, _summary = gitops.action({"command": "apply", "reviewed": "auto", "account": "acme"}, {})
    assert code == 0, gitops.last.stderr
    assert "Daily deals." in help_of(client, "ACME Deals")
    assert gitops.gh()["statuses"] == [[sha, "success", "tatango-apply/acme"]]
    downloads = [c for c in gitops.gh()["calls"] if c[:2] == ["run", "download"]]
    assert [c[c.index("--name") + 1] for c in downloads] == ["tatango-plan-pr-21-acme"]
