"""Ignored lists: account.ignore patterns and --exclude NAME (issue 18 point 5)."""

from __future__ import annotations

import html
import json

import pytest
import yaml

from tatango_iac import workflow
from tatango_iac.engine.planner import plan
from tatango_iac.errors import PlanError
from tatango_iac.identity.scope import Scope
from tests.conftest import run_cli
from tests.gitrepo import committed
from tests.planning import desired_from, live, raw_list


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


def writes(sandbox) -> list[dict]:
    return [r for r in sandbox.api_requests() if r["method"] != "GET" and not r["path"].endswith("/test_keyword")]


ACCOUNT = [
    raw_list(1, "Kept"),
    raw_list(2, "Test 1"),
    raw_list(3, "Test 2"),
    raw_list(4, "Legacy"),
    raw_list(5, "Other"),
]


def test_account_ignore_leaves_lists_out_of_unmanaged_reporting_prune_and_drift():
    result = plan(
        desired_from({"account": {"prune": True, "ignore": ["Test *"]}, "lists": [{"name": "Kept"}]}), live(ACCOUNT)
    )
    assert [a.address for a in result.actions] == ['list["Legacy"]', 'list["Other"]']  # pruned; Test * are not
    assert [u["name"] for u in result.unmanaged_lists] == ["Legacy", "Other"]
    assert [u["name"] for u in result.drift()["unmanaged_lists"]] == ["Legacy", "Other"]
    assert result.ignored == {"count": 2, "patterns": ["Test *"], "excluded": []}
    assert result.to_json()["ignored"]["count"] == 2


def test_a_pattern_never_ignores_a_configured_list():
    result = plan(
        desired_from({"account": {"ignore": ["*"]}, "lists": [{"name": "Kept", "message_help": "x"}]}), live(ACCOUNT)
    )
    assert [a.address for a in result.actions] == ['list["Kept"]']
    assert result.unmanaged_lists == [] and result.ignored["count"] == 4


def test_exclude_leaves_out_a_configured_list_and_a_live_one():
    config = desired_from(
        {"account": {"prune": True}, "lists": [{"name": "Kept", "message_help": "x"}, {"name": "New"}]}
    )
    result = plan(config, live(ACCOUNT), Scope(excluded=frozenset({"Kept", "Legacy", "New"})))
    assert sorted(a.address for a in result.actions) == ['list["Other"]', 'list["Test 1"]', 'list["Test 2"]']
    assert result.ignored == {"count": 3, "patterns": [], "excluded": ["Kept", "Legacy", "New"]}


def test_an_exclude_that_names_no_list_fails_with_a_did_you_mean():
    with pytest.raises(PlanError) as caught:
        plan(desired_from({"lists": [{"name": "Kept"}]}), live(ACCOUNT), Scope(excluded=frozenset({"Legasy"})))
    assert caught.value.messages == [
        "--exclude 'Legasy' is not a list in the configuration nor in the account; did you mean 'Legacy'?"
    ]


# ------------------------------------------------------------------ end to end


@pytest.fixture
def applied(api_env, examples_copy, client):
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    for name in ("Scratch A", "Scratch B", "Legacy"):
        client.create_list({"name": name}, [])
    return committed(examples_copy)  # prune asks the git history (config.history)


def _prune(config, **extra):
    account = config / "account.yaml"
    data = yaml.safe_load(account.read_text())
    data["account"].update(prune=True, **extra)
    account.write_text(yaml.safe_dump(data))


def test_plan_and_apply_leave_ignored_lists_alone(api_env, applied, sandbox, client):
    _prune(applied, ignore=["Scratch *"])
    text = run_cli(["plan", str(applied)], env=api_env)
    assert text.exit_code == 0, text.output
    assert "Scratch" not in text.stdout.replace("account.ignore Scratch *", "")
    assert (
        "Ignored: 2 list(s) left out (account.ignore Scratch *): not reported as unmanaged, pruned, planned or "
        "checked for drift."
    ) in text.stdout
    md = run_cli(["plan", "--format", "markdown", str(applied)], env=api_env).stdout
    assert "_Ignored: 2 list(s) left out" in md
    drift = run_cli(["plan", "--drift", str(applied)], env=api_env).stdout
    assert "Lists in the account that no file manages (1):" in drift and "Ignored: 2 list(s)" in drift
    done = run_cli(["apply", "--auto-approve", "--allow-destroy", "--exclude", "Legacy", str(applied)], env=api_env)
    assert done.exit_code == 0, done.output
    assert "No changes." in done.stdout  # Legacy excluded, the scratch lists ignored: nothing to prune
    assert sorted(lst["name"] for lst in client.list_lists()) == [
        "ACME Deals",
        "ACME Store Alerts",
        "ACME VIP",
        "Legacy",
        "Scratch A",
        "Scratch B",
    ]


def test_exclude_on_the_command_line(api_env, applied, sandbox, tmp_path):
    deals = applied / "lists" / "deals.yaml"
    deals.write_text(deals.read_text().replace("Help:", "Help now:"))
    out = tmp_path / "plan.json"
    sandbox.requests.clear()
    result = run_cli(
        ["plan", "--exclude", "ACME Deals", "--exclude", "Legacy", "--out", str(out), "--format", "json", str(applied)],
        env=api_env,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["actions"] == [] and data["ignored"]["excluded"] == ["ACME Deals", "Legacy"]
    assert data["scope"]["excluded"] == ["ACME Deals", "Legacy"]
    lists = {r["path"] for r in sandbox.api_requests()}
    deals_id = next(lst["id"] for lst in sandbox.state.data["lists"].values() if lst["name"] == "ACME Deals")
    assert not any(p.startswith(f"/api/v2/lists/{deals_id}/") for p in lists)  # an excluded list is not read
    applied_plan = run_cli(["apply", "--plan", str(out)], env=api_env)  # the saved scope keeps the exclusion
    assert applied_plan.exit_code == 0 and "No changes." in applied_plan.stdout
    typo = run_cli(["plan", "--exclude", "Legasy", str(applied)], env=api_env)
    assert typo.exit_code == 1
    assert (
        "--exclude 'Legasy' is not a list in the configuration nor in the account; did you mean 'Legacy'?"
        in typo.stderr
    )
    both = run_cli(["plan", "--target", "ACME VIP", "--exclude", "ACME VIP", str(applied)], env=api_env)
    assert both.exit_code == 1 and "--target and --exclude both name 'ACME VIP'" in both.stderr


def test_a_pattern_that_matches_nothing_is_a_warning_with_a_hint_never_a_zero_line():
    """A typo in account.ignore ("Tset *") ignores nothing: the plan says which pattern, suggests the name it
    was probably meant for, and prints no "Ignored: 0 list(s)" line."""
    result = plan(
        desired_from({"account": {"ignore": ["Tset *", "Legacy", "Nothing like it"]}, "lists": [{"name": "Kept"}]}),
        live(ACCOUNT),
    )
    assert result.warnings == [
        "account.ignore pattern 'Tset *' matches no list of the account that no file manages; did you mean 'Test 2'?",
        "account.ignore pattern 'Nothing like it' matches no list of the account that no file manages (a typo?)",
    ]
    assert result.ignored["count"] == 1  # Legacy
    only_kept = plan(desired_from({"account": {"ignore": ["Kept"]}, "lists": [{"name": "Kept"}]}), live(ACCOUNT))
    # A pattern that names only a configured list ignores nothing either (a configured list is always managed).
    assert [w.split(" matches")[0] for w in only_kept.warnings] == ["account.ignore pattern 'Kept'"]
    assert only_kept.ignored["count"] == 0 and "ignored" not in only_kept.drift()


def test_the_unmatched_pattern_warning_reaches_text_markdown_and_json(api_env, applied):
    _prune(applied, ignore=["Scrach *"])
    warning = (
        "account.ignore pattern 'Scrach *' matches no list of the account that no file manages; "
        "did you mean 'Scratch B'?"
    )
    text = run_cli(["plan", str(applied)], env=api_env)
    assert text.exit_code == 0, text.output
    assert f"Warning: {warning}" in text.stdout and "Ignored:" not in text.stdout
    md = run_cli(["plan", "--format", "markdown", str(applied)], env=api_env).stdout
    assert f"_Warning: {html.escape(warning)}_" in md and "Ignored:" not in md
    data = json.loads(run_cli(["plan", "--format", "json", str(applied)], env=api_env).stdout)
    assert warning in data["warnings"] and data["ignored"]["count"] == 0
    # The typo has a visible cost too: the lists it meant to leave out are planned for pruning.
    assert {a["address"] for a in data["actions"]} >= {'list["Scratch A"]', 'list["Scratch B"]'}
