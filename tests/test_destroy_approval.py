"""Issue 17 point 6: a reviewed destructive change is approved on its pull request, by a label.

The shipped apply workflow has no standing ``allow-destroy``; the action reads the merged pull
request's labels (the fake ``gh`` of tests/test_action.py plays GitHub) and passes ``--allow-destroy``
only with ``--expect``, so the label approves the reviewed plan's destructive actions and no other.
"""

from __future__ import annotations

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
