"""Issue 17 point 5: a PR plan (``--changed-since``) separates the pull request's edits from reverts of
changes made outside tatango-iac (the web UI), in text, Markdown and JSON; a scoped plan with nothing to do
never claims the whole account matches."""

from __future__ import annotations

import json

from tatango_iac.engine.plan import comparable_from_saved
from tatango_iac.engine.pr_origin import Origin, _origin
from tests.conftest import run_cli
from tests.test_changed_since import edit, fake_cli_clock, plan_json, repo  # noqa: F401 (fixtures)

WEB_STOP = "ACME Deals: typed in the web UI. You are out."


def _web_ui_edits_stop(client) -> int:
    deals = next(lst for lst in client.list_lists() if lst["name"] == "ACME Deals")
    client.update_list(deals["id"], {"message_stop": WEB_STOP})
    return int(deals["id"])


def _pr_edits_help(repo) -> None:  # noqa: F811
    edit(repo / "tatango" / "lists" / "deals.yaml", "4 msgs/mo.", "5 msgs/mo.")


STOP_CONFIGURED = "ACME Deals: You have been unsubscribed and will not receive any more messages."
TITLE = "Changed outside tatango-iac: this PR would revert them"


def test_the_stop_reply_edited_in_the_web_ui_is_marked_outside_in_json(repo, api_env, client):  # noqa: F811
    _web_ui_edits_stop(client)
    _pr_edits_help(repo)
    data = plan_json(api_env, "--changed-since", "main", "tatango/")
    [action] = data["actions"]
    assert [(c["path"], c["origin"]) for c in action["changes"]] == [
        ("message_help", "pull_request"),
        ("message_stop", "outside"),
    ]
    assert action["origin"] == "pull_request"  # it carries the PR's own edit as well
    assert data["pr_origin"] == {
        "ref": "main",
        "outside": 1,
        "pull_request": 1,
        "outside_changes": [
            {
                "action": 1,
                "address": 'list["ACME Deals"]',
                "list": "ACME Deals",
                "kind": "update",
                "attribute": "message_stop",
                "live": WEB_STOP,
                "desired": STOP_CONFIGURED,
            }
        ],
    }


def test_text_and_markdown_show_the_revert_first_with_the_live_value(repo, api_env, client, tmp_path):  # noqa: F811
    _web_ui_edits_stop(client)
    _pr_edits_help(repo)
    text = run_cli(["plan", "--changed-since", "main", "tatango/"], env=api_env).stdout
    assert text.index(TITLE) < text.index("tatango-iac will perform these actions")
    section = text[text.index(TITLE) : text.index("tatango-iac will perform")]
    assert 'list["ACME Deals"].message_stop' in section and json.dumps(WEB_STOP) in section
    assert "message_help" not in section  # the PR's own edit is not a revert
    out = tmp_path / "plan.json"
    markdown = run_cli(
        ["plan", "--format", "markdown", "--out", str(out), "--changed-since", "main", "tatango/"], env=api_env
    ).stdout
    assert markdown.index(TITLE) < markdown.index("**Plan: 0 to create, 1 to update")  # first in the PR comment
    assert json.dumps(WEB_STOP) in markdown
    # The workflow's job summary and plan.txt come from the saved plan (`show`): the section survives it.
    shown = run_cli(["show", "--format", "markdown", "--full", str(out)]).stdout
    assert shown.index(TITLE) < shown.index("**Plan:") and json.dumps(WEB_STOP) in shown
    assert TITLE in run_cli(["show", str(out)]).stdout


def test_a_pr_without_reverts_has_no_section(repo, api_env):  # noqa: F811
    _pr_edits_help(repo)
    data = plan_json(api_env, "--changed-since", "main", "tatango/")
    assert data["pr_origin"]["outside_changes"] == [] and data["pr_origin"]["pull_request"] == 1
    assert (
        TITLE
        not in run_cli(["plan", "--format", "markdown", "--changed-since", "main", "tatango/"], env=api_env).stdout
    )
    full = plan_json(api_env, "tatango/")  # a plan that is not a PR plan says nothing about origins
    assert "pr_origin" not in full and all("origin" not in a for a in full["actions"])


def test_whose_change_by_field():
    now = {"message_help": '"new"', "message_stop": '"same"'}
    assert _origin("message_help", None, now) is Origin.PULL_REQUEST  # a list new since the ref
    base = {"message_help": '"old"', "message_stop": '"same"'}
    assert _origin("message_help", base, now) is Origin.PULL_REQUEST
    assert _origin("message_stop", base, now) is Origin.OUTSIDE
    # A path that maps to no configured field: outside only when the whole entry is the same at the ref.
    assert _origin("opt_in_settings", base, now) is Origin.PULL_REQUEST
    assert _origin("opt_in_settings", now, now) is Origin.OUTSIDE
    # A field only configured now (the PR added it) is the PR's.
    assert _origin("email_digest", base, {**now, "email_digest": "null"}) is Origin.PULL_REQUEST


def test_a_reviewed_pr_plan_compares_without_its_origins(repo, api_env, client, tmp_path):  # noqa: F811
    _web_ui_edits_stop(client)
    _pr_edits_help(repo)
    data = plan_json(api_env, "--changed-since", "main", "tatango/")
    full = plan_json(api_env, "tatango/")
    deals = [a for a in full["actions"] if a["list"] == "ACME Deals"]
    assert comparable_from_saved({"actions": deals}) == comparable_from_saved(data)


def test_a_scoped_plan_with_nothing_to_do_never_says_the_account_matches(repo, api_env, client):  # noqa: F811
    _pr_edits_help(repo)
    assert run_cli(["apply", "--auto-approve", "--changed-since", "main", "tatango/"], env=api_env).exit_code == 0
    vip = next(lst for lst in client.list_lists() if lst["name"] == "ACME VIP")
    client.update_list(vip["id"], {"message_help": "ACME VIP: edited in the web UI. Text STOP to end."})
    text = run_cli(["plan", "--changed-since", "main", "tatango/"], env=api_env).stdout
    assert "No changes in the 1 list this pull request touches." in text
    assert "The account matches" not in text
    markdown = run_cli(["plan", "--format", "markdown", "--changed-since", "main", "tatango/"], env=api_env).stdout
    assert "**No changes in the 1 list this pull request touches.**" in markdown
    assert "The account matches" not in markdown
    repo.git("commit", "-qam", "help text")
    head = run_cli(["plan", "--changed-since", "HEAD", "tatango/"], env=api_env).stdout
    assert "No changes in the 0 lists this pull request touches." in head and "The account matches" not in head
    targeted = run_cli(["plan", "--target", "ACME Deals", "tatango/"], env=api_env).stdout
    assert "No changes in the 1 list targeted." in targeted
    full = run_cli(["plan", "tatango/"], env=api_env).stdout  # the full plan sees the web-UI edit
    assert "message_help" in full and "Plan: 0 to create, 1 to update" in full
