"""Issue 12, item 4: `plan --changed-since GIT_REF` refreshes only the lists a pull request touches."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tatango_iac import workflow
from tests.conftest import ROOT, run_cli


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


class Repo:
    def __init__(self, path: Path, git):
        self.path, self.git = path, git

    def __truediv__(self, part: str) -> Path:
        return self.path / part


@pytest.fixture
def repo(tmp_path, monkeypatch, api_env):
    """A git repository holding the examples on main, applied to the sandbox; cwd inside it."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "examples", root / "tatango", ignore=shutil.ignore_patterns("invalid", "ci"))
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid"}

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True,
                              check=True).stdout.strip()

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    monkeypatch.chdir(root)
    assert run_cli(["apply", "--auto-approve", "tatango/"], env=api_env).exit_code == 0
    return Repo(root, git)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def plan_json(api_env, *args: str) -> dict:
    result = run_cli(["plan", "--format", "json", *args], env=api_env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def reads(sandbox) -> list[str]:
    return [r["path"].split("/api/v2")[1] for r in sandbox.api_requests()]


@pytest.mark.parametrize("paths", ["relative", "absolute"])
def test_one_changed_list_costs_the_index_and_its_own_two_reads(repo, api_env, sandbox, paths):
    edit(repo / "tatango" / "lists" / "vip.yaml", "follow_up_hour: 2", "follow_up_hour: 3")
    sandbox.requests.clear()
    config = "tatango/" if paths == "relative" else str(repo / "tatango")
    data = plan_json(api_env, "--changed-since", "main", config)
    assert reads(sandbox) == ["/lists", "/lists/3/webhooks", "/lists/3/custom_fields"]
    assert [a["address"] for a in data["actions"]] == ['list["ACME VIP"].opt_in_settings']
    assert data["scope"] == {"kind": "changed_since", "lists": ["ACME VIP"], "ref": "main", "removed": []}
    assert data["warnings"] == ["--changed-since main: 2 list(s) unchanged since then were not refreshed (their "
                                "webhooks and custom fields were not read, no action is planned for them): ACME "
                                "Deals, ACME Store Alerts"]


def test_a_keyword_move_brings_both_lists_into_scope(repo, api_env, sandbox):
    edit(repo / "tatango" / "lists" / "deals.yaml", "[SAVE, SALE, COUPONS]", "[SAVE, SALE, COUPONS, PICKUP]")
    edit(repo / "tatango" / "lists" / "stores.yaml", "[STORE, PICKUP]", "[STORE]")
    data = plan_json(api_env, "--changed-since", "main", "tatango/")
    assert data["scope"]["lists"] == ["ACME Deals", "ACME Store Alerts"]
    assert [a["address"] for a in data["actions"]] == ['list["ACME Store Alerts"].keywords',
                                                       'list["ACME Deals"].keywords']


def test_a_list_removed_from_the_configuration_is_pruned_in_a_scoped_plan(repo, api_env):
    edit(repo / "tatango" / "account.yaml", "prune: false", "prune: true")
    repo.git("commit", "-q", "-am", "prune on")
    (repo / "tatango" / "lists" / "stores.yaml").unlink()
    data = plan_json(api_env, "--changed-since", "main", "tatango/")
    assert data["scope"]["removed"] == ["ACME Store Alerts"]
    assert [(a["action"], a["address"]) for a in data["actions"]] == [("delete", 'list["ACME Store Alerts"]')]


def test_a_change_to_account_settings_plans_every_list(repo, api_env, sandbox):
    edit(repo / "tatango" / "account.yaml", "sms-length: warning", "sms-length: off")
    sandbox.requests.clear()
    data = plan_json(api_env, "--changed-since", "main", "tatango/")
    assert data["scope"] == {"kind": "all"} and len(reads(sandbox)) == 5


def test_a_saved_scoped_plan_applies_with_its_scope_and_its_stale_checks(repo, api_env, sandbox, client, tmp_path):
    edit(repo / "tatango" / "lists" / "deals.yaml", "Weekly deals.", "Daily deals.")
    out = tmp_path / "plan.json"
    assert run_cli(["plan", "--changed-since", "main", "--out", str(out), "tatango/"], env=api_env).exit_code == 0
    deals = next(lst for lst in client.list_lists() if lst["name"] == "ACME Deals")
    client.update_list(deals["id"], {"message_stop": "changed by hand"})
    stale = run_cli(["apply", "--plan", str(out)], env=api_env)
    assert stale.exit_code == 1 and "list id 1 changed in the account" in stale.stderr
    client.update_list(deals["id"], {"message_stop": "ACME Deals: You have been unsubscribed and will not receive "
                                                     "any more messages."})
    sandbox.requests.clear()
    applied = run_cli(["apply", "--plan", str(out)], env=api_env)
    assert applied.exit_code == 0, applied.output
    assert reads(sandbox)[:3] == ["/lists", "/lists/1/webhooks", "/lists/1/custom_fields"]  # the same scope


def test_an_unknown_ref_fails_before_any_call(repo, api_env, sandbox):
    sandbox.requests.clear()
    result = run_cli(["plan", "--changed-since", "no-such-branch", "tatango/"], env=api_env)
    assert result.exit_code == 1 and "git rev-parse --verify --quiet no-such-branch^{commit}" in result.stderr
    assert sandbox.api_requests() == []
