"""Issue 17 point 6: a reviewed destructive change is approved on its pull request, by a label.

The shipped apply workflow has no standing ``allow-destroy``; the action reads the merged pull
request's labels (the fake ``gh`` of tests/test_action.py plays GitHub) and passes ``--allow-destroy``
only with ``--expect``, so the label approves the reviewed plan's destructive actions and no other.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from tests.test_action import CI, gitops, pr_context  # noqa: F401 - the offline GitHub Actions runner

LABEL = "tatango:allow-destroy"
RETIRED = "version: 1\nlists:\n  - name: ACME VIP\n    delete: true\n"


def apply_step() -> dict:
    workflow = yaml.safe_load((CI / "tatango-apply.yml").read_text())
    return next(s for s in workflow["jobs"]["apply"]["steps"] if s.get("id") == "apply")


def live_names(client) -> list[str]:
    return sorted(lst["name"] for lst in client.list_lists())


def review_and_merge(runner, number: int, branch: str, edit, labels: tuple[str, ...] = ()) -> None:
    """A pull request: edit, plan it with the PR workflow (the reviewed plan), merge it, teach gh."""
    runner.git("checkout", "-q", "-b", branch)
    edit()
    runner.git("commit", "-q", "-am", branch)
    ran = runner.workflow(CI / "tatango-pr.yml", pr_context(runner, number))
    assert [(name, code) for name, code, _ in ran] == [("validate", 0), ("plan", 0)], runner.last.stderr
    head = runner.git("rev-parse", "HEAD")
    runner.git("checkout", "-q", "main")
    runner.git("merge", "-q", "--ff-only", branch)
    runner.teach_gh(head, number, head, labels)


def retire_vip(runner) -> None:
    (runner.repo / "tatango" / "lists" / "vip.yaml").write_text(RETIRED)


def test_the_shipped_apply_workflow_has_no_standing_allow_destroy():
    step = apply_step()
    assert "allow-destroy" not in step["with"]
    assert step["with"]["destroy-label"] == LABEL and step["with"]["reviewed"] == "auto"
    assert 'allow-destroy: "true"' not in (CI / "tatango-apply.yml").read_text()


def test_the_label_on_the_merged_pull_request_approves_its_reviewed_destructive_change(gitops, sandbox, client):  # noqa: F811
    assert gitops.action({"command": "apply"}, {})[0] == 0
    review_and_merge(gitops, 11, "retire-vip", lambda: retire_vip(gitops), labels=("docs", LABEL))
    ran = gitops.workflow(CI / "tatango-apply.yml", {"inputs.pull-request": ""})
    assert [(name, code) for name, code, _ in ran] == [("apply", 0)], gitops.last.stderr
    assert "ACME VIP" not in live_names(client)
    assert ["api", "repos/acme/sms-config/issues/11/labels", "--jq", ".[].name"] in gitops.gh()["calls"]
    assert gitops.gh().get("comments", []) == []


def test_without_the_label_the_destructive_change_is_refused_and_the_comment_says_how_to_approve(
    gitops,  # noqa: F811
    sandbox,
    client,
):
    assert gitops.action({"command": "apply"}, {})[0] == 0
    # A label that merely contains the approving one's name approves nothing.
    review_and_merge(gitops, 12, "retire-vip", lambda: retire_vip(gitops), labels=(f"not-{LABEL}", f"{LABEL}x"))
    sandbox.requests.clear()
    ran = gitops.workflow(CI / "tatango-apply.yml", {"inputs.pull-request": ""})
    assert [(name, code) for name, code, _ in ran] == [("apply", 1)]
    assert sandbox.api_requests() == []  # refused from the reviewed plan, before the first call
    assert "ACME VIP" in live_names(client)
    [comment] = gitops.gh()["comments"]
    assert "destructive actions and --allow-destroy was not given" in comment and "ACME VIP" in comment
    assert f"add the label\n`{LABEL}` to this pull request" in comment
    assert "pull-request: 12" in comment
    # The approval: the reviewer adds the label and re-runs the workflow with the pull-request number.
    gitops.teach_gh(gitops.git("rev-parse", "HEAD"), 12, gitops.git("rev-parse", "HEAD"), labels=(LABEL,))
    ran = gitops.workflow(CI / "tatango-apply.yml", {"inputs.pull-request": "12"})
    assert [(name, code) for name, code, _ in ran] == [("apply", 0)], gitops.last.stderr
    assert "ACME VIP" not in live_names(client)
    assert len(gitops.gh()["comments"]) == 1  # no second failure comment


def test_the_label_never_approves_a_destructive_action_the_review_did_not_show(gitops, sandbox, client):  # noqa: F811
    assert gitops.action({"command": "apply"}, {})[0] == 0
    deals = gitops.repo / "tatango" / "lists" / "deals.yaml"
    review_and_merge(
        gitops,
        13,
        "daily-deals",
        lambda: deals.write_text(deals.read_text().replace("Weekly deals.", "Daily deals.")),
        labels=(LABEL,),
    )
    # After the review, another change on main turns the reviewed update of the list into its deletion.
    deals.write_text("version: 1\nlists:\n  - name: ACME Deals\n    delete: true\n")
    gitops.git("commit", "-q", "-am", "retire deals, unreviewed")
    gitops.teach_gh(gitops.git("rev-parse", "HEAD"), 13, gitops.git("rev-parse", "HEAD~1"), labels=(LABEL,))
    sandbox.requests.clear()
    ran = gitops.workflow(CI / "tatango-apply.yml", {"inputs.pull-request": ""})
    assert [(name, code) for name, code, _ in ran] == [("apply", 1)]
    assert [r for r in sandbox.api_requests() if r["method"] != "GET"] == []  # nothing written
    assert "ACME Deals" in live_names(client)
    [comment] = gitops.gh()["comments"]
    assert "the plan made now differs from the reviewed plan" in comment
    assert "To approve the destructive actions" not in comment  # the label was there: it is not the fix


def test_the_label_is_read_only_for_a_reviewed_plan(gitops, sandbox, client):  # noqa: F811
    """Without reviewed: auto there is no reviewed plan to bind the approval to: the label is not read."""
    assert gitops.action({"command": "apply"}, {})[0] == 0
    retire_vip(gitops)
    gitops.git("commit", "-q", "-am", "retire vip, no review")
    gitops.teach_gh(gitops.git("rev-parse", "HEAD"), 14, gitops.git("rev-parse", "HEAD"), labels=(LABEL,))
    code, _outputs, _summary = gitops.action(
        {"command": "apply", "reviewed": "", "pull-request": "14", "destroy-label": LABEL}, {}
    )
    assert code == 1 and "--allow-destroy was not given" in gitops.last.stderr
    assert "ACME VIP" in live_names(client)
    assert not any(call[:2] == ["api", "repos/acme/sms-config/issues/14/labels"] for call in gitops.gh()["calls"])


# ------------------------------------------------ the label approves the plan it was added to (task 17-1 point 3)


def plan_push(runner, number: int, run_id: int) -> str:
    """The PR workflow plans the pull request's head; that run's artifact is kept apart (GitHub keeps one per run)."""
    ran = runner.workflow(CI / "tatango-pr.yml", pr_context(runner, number))
    assert [(name, code) for name, code, _ in ran] == [("validate", 0), ("plan", 0)], runner.last.stderr
    name = f"tatango-plan-pr-{number}"
    shutil.copytree(runner.store / name, runner.store / f"{name}@{run_id}")
    return runner.git("rev-parse", "HEAD")


def teach_history(runner, number: int, plans: list[tuple[int, str, str]], labelled: list[str]) -> None:
    """GitHub as the apply job finds it: the merged pull request, its plan artifacts (run id, head, made at;
    oldest first) and the times the label was added (it is on the pull request now)."""
    merged = runner.git("rev-parse", "HEAD")
    runner.teach_gh(merged, number, plans[-1][1], labels=(LABEL,))
    world = runner.gh()
    name = f"tatango-plan-pr-{number}"
    listed = [{"workflow_run": {"id": run, "head_sha": head}, "created_at": at} for run, head, at in reversed(plans)]
    world["api"].update(
        {
            f"repos/acme/sms-config/issues/{number}/events": [
                {"event": "labeled", "label": {"name": LABEL}, "created_at": at} for at in labelled
            ],
            f"repos/acme/sms-config/actions/artifacts?name={name}&per_page=100": {"artifacts": listed},
            f"repos/acme/sms-config/actions/artifacts?name={name}&per_page=1": {"artifacts": listed[:1]},
        }
    )
    runner.world.write_text(json.dumps(world))


def retire(runner, *names: str) -> None:
    for file, name in (("vip.yaml", "ACME VIP"), ("deals.yaml", "ACME Deals")):
        if name in names:
            (runner.repo / "tatango" / "lists" / file).write_text(
                f"version: 1\nlists:\n  - name: {name}\n    delete: true\n"
            )


def test_a_push_after_the_label_that_adds_a_destructive_action_needs_the_label_again(gitops, sandbox, client):  # noqa: F811
    assert gitops.action({"command": "apply"}, {})[0] == 0
    gitops.git("checkout", "-q", "-b", "retire")
    retire(gitops, "ACME VIP")
    gitops.git("commit", "-q", "-am", "retire vip")
    first = plan_push(gitops, 15, 501)  # the plan the reviewer read, then labelled
    retire(gitops, "ACME VIP", "ACME Deals")  # a later push: Deals goes too
    gitops.git("commit", "-q", "-am", "retire deals as well")
    second = plan_push(gitops, 15, 502)
    gitops.git("checkout", "-q", "main")
    gitops.git("merge", "-q", "--ff-only", "retire")
    plans = [(501, first, "2026-03-01T10:00:00Z"), (502, second, "2026-03-01T11:00:00Z")]
    teach_history(gitops, 15, plans, labelled=["2026-03-01T10:30:00Z"])
    sandbox.requests.clear()
    ran = gitops.workflow(CI / "tatango-apply.yml", {"inputs.pull-request": ""})
    assert [(name, code) for name, code, _ in ran] == [("apply", 1)]
    assert sandbox.api_requests() == []  # refused before the first call
    assert {"ACME VIP", "ACME Deals"} <= set(live_names(client))
    [comment] = gitops.gh()["comments"]
    assert f"the label {LABEL} was added to #15 at 2026-03-01T10:30:00Z, to the plan made at 2026-03-01T10:00:00Z" in (
        comment
    )
    named = comment.split("were not in it:\n")[1].split("\nNothing was changed.")[0]
    assert named.splitlines() == ['  delete list["ACME Deals"] (0 subscribers)']  # the VIP delete was approved
    assert "re-apply the label (remove it and add it again)" in comment and "pull-request: 15" in comment
    # The reviewer reads the new plan and re-applies the label: the reviewed plan is approved as it is.
    shutil.rmtree(Path(gitops.env["RUNNER_TEMP"]) / "tatango")  # the next job starts afresh
    teach_history(gitops, 15, plans, labelled=["2026-03-01T10:30:00Z", "2026-03-01T12:00:00Z"])
    ran = gitops.workflow(CI / "tatango-apply.yml", {"inputs.pull-request": "15"})
    assert [(name, code) for name, code, _ in ran] == [("apply", 0)], gitops.last.stderr
    assert not {"ACME VIP", "ACME Deals"} & set(live_names(client))
    assert len(gitops.gh()["comments"]) == 1


def test_a_push_after_the_label_that_keeps_the_destructive_actions_keeps_the_approval(gitops, sandbox, client):  # noqa: F811
    assert gitops.action({"command": "apply"}, {})[0] == 0
    gitops.git("checkout", "-q", "-b", "retire")
    retire(gitops, "ACME VIP")
    gitops.git("commit", "-q", "-am", "retire vip")
    first = plan_push(gitops, 16, 601)
    deals = gitops.repo / "tatango" / "lists" / "deals.yaml"
    deals.write_text(deals.read_text().replace("Weekly deals.", "Daily deals."))  # a typo fix after the label
    gitops.git("commit", "-q", "-am", "daily deals")
    second = plan_push(gitops, 16, 602)
    gitops.git("checkout", "-q", "main")
    gitops.git("merge", "-q", "--ff-only", "retire")
    plans = [(601, first, "2026-03-02T10:00:00Z"), (602, second, "2026-03-02T11:00:00Z")]
    teach_history(gitops, 16, plans, labelled=["2026-03-02T10:30:00Z"])
    ran = gitops.workflow(CI / "tatango-apply.yml", {"inputs.pull-request": ""})
    assert [(name, code) for name, code, _ in ran] == [("apply", 0)], gitops.last.stderr
    assert "ACME VIP" not in live_names(client)
    assert gitops.gh().get("comments", []) == []


def test_a_label_added_before_any_plan_approves_nothing(gitops, sandbox, client):  # noqa: F811
    assert gitops.action({"command": "apply"}, {})[0] == 0
    gitops.git("checkout", "-q", "-b", "retire")
    retire(gitops, "ACME VIP")
    gitops.git("commit", "-q", "-am", "retire vip")
    head = plan_push(gitops, 17, 701)
    gitops.git("checkout", "-q", "main")
    gitops.git("merge", "-q", "--ff-only", "retire")
    teach_history(gitops, 17, [(701, head, "2026-03-03T10:00:00Z")], labelled=["2026-03-03T09:00:00Z"])
    ran = gitops.workflow(CI / "tatango-apply.yml", {"inputs.pull-request": ""})
    assert [(name, code) for name, code, _ in ran] == [("apply", 1)]
    assert "ACME VIP" in live_names(client)
    [comment] = gitops.gh()["comments"]
    assert "was added to #17 at 2026-03-03T09:00:00Z, before any plan of #17 was made" in comment
    assert '  delete list["ACME VIP"]' in comment and "re-apply the label" in comment


def test_the_approval_compares_what_each_destructive_action_sends_and_to_which_ids():
    """Pure: approval.py on plan documents and GitHub's answers (paged events, artifacts, times)."""
    from tatango_iac import approval

    delete = {"action": "delete", "resource": "list", "address": 'list["A"]', "destructive": True}
    replace = {"action": "replace", "resource": "custom_field", "address": 'list["B"].custom_field["zip"]'}
    labelled = {
        "actions": [
            {**delete, "target_digest": "hmac-sha256:1"},
            {**replace, "destructive": True, "payload_digest": "hmac-sha256:a"},
        ]
    }
    same = json.loads(json.dumps(labelled))
    assert approval.unapproved(same, labelled) == []
    other_list = {"actions": [{**delete, "target_digest": "hmac-sha256:2", "subscribers": 1200}]}
    assert approval.unapproved(other_list, labelled) == ['  delete list["A"] (1,200 subscribers)']
    redefined = {"actions": [{**replace, "destructive": True, "payload_digest": "hmac-sha256:b"}]}
    assert approval.unapproved(redefined, labelled) == ['  replace list["B"].custom_field["zip"]']
    assert approval.unapproved({"actions": [{**replace, "destructive": False}]}, None) == []
    events = json.dumps(
        [{"event": "labeled", "label": {"name": LABEL}, "created_at": "2026-03-01T10:00:00Z"}]
    ) + json.dumps(
        [
            {"event": "unlabeled", "label": {"name": LABEL}, "created_at": "2026-03-01T11:00:00Z"},
            {"event": "labeled", "label": {"name": "docs"}, "created_at": "2026-03-01T13:00:00Z"},
            {"event": "labeled", "label": {"name": LABEL}, "created_at": "2026-03-01T12:00:00Z"},
        ]
    )  # gh api --paginate: one JSON array per page, back to back
    assert approval.label_time(events, LABEL) == "2026-03-01T12:00:00Z"
    assert approval.label_time("[]", LABEL) == ""
    artifacts = json.dumps(
        {
            "artifacts": [
                {"workflow_run": {"id": 3}, "created_at": "2026-03-01T12:30:00Z"},
                {"workflow_run": {"id": 2}, "created_at": "2026-03-01T11:30:00Z"},
                {"workflow_run": {"id": 1}, "created_at": "2026-03-01T09:30:00Z"},
            ]
        }
    )
    assert approval.plan_at(artifacts, "2026-03-01T12:00:00Z") == "2 2026-03-01T11:30:00Z"
    assert approval.plan_at(artifacts, "2026-03-01T09:00:00Z") == ""
    assert approval.plan_at(artifacts, "") == ""  # no label event: no plan was approved


def test_the_apply_workflow_may_read_when_the_label_was_added():
    permissions = yaml.safe_load((CI / "tatango-apply.yml").read_text())["permissions"]
    assert permissions["issues"] in ("read", "write") and permissions["pull-requests"] == "write"
    run = (CI.parent.parent / "action" / "run.sh").read_text()
    assert 'gh api --paginate "repos/$repo/issues/$pr/events"' in run
