"""Issue 12, item 4: `plan --changed-since GIT_REF` refreshes only the lists a pull request touches."""

from __future__ import annotations

import html
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
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True
        ).stdout.strip()

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
    assert data["warnings"] == [
        "--changed-since main: 2 list(s) unchanged since then were not refreshed (their "
        "webhooks and custom fields were not read, no action is planned for them): ACME "
        "Deals, ACME Store Alerts"
    ]


def test_a_keyword_move_brings_both_lists_into_scope(repo, api_env, sandbox):
    edit(repo / "tatango" / "lists" / "deals.yaml", "[SAVE, SALE, COUPONS]", "[SAVE, SALE, COUPONS, PICKUP]")
    edit(repo / "tatango" / "lists" / "stores.yaml", "[STORE, PICKUP]", "[STORE]")
    data = plan_json(api_env, "--changed-since", "main", "tatango/")
    assert data["scope"]["lists"] == ["ACME Deals", "ACME Store Alerts"]
    assert [a["address"] for a in data["actions"]] == [
        'list["ACME Store Alerts"].keywords',
        'list["ACME Deals"].keywords',
    ]


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
    assert stale.exit_code == 1 and "list 'ACME Deals' (id 1) changed in the account" in stale.stderr
    client.update_list(
        deals["id"], {"message_stop": "ACME Deals: You have been unsubscribed and will not receive any more messages."}
    )
    sandbox.requests.clear()
    applied = run_cli(["apply", "--plan", str(out)], env=api_env)
    assert applied.exit_code == 0, applied.output
    assert reads(sandbox)[:3] == ["/lists", "/lists/1/webhooks", "/lists/1/custom_fields"]  # the same scope


def test_an_unknown_ref_fails_before_any_call(repo, api_env, sandbox):
    sandbox.requests.clear()
    result = run_cli(["plan", "--changed-since", "no-such-branch", "tatango/"], env=api_env)
    assert result.exit_code == 1
    assert (
        f"--changed-since no-such-branch: no branch, tag or commit of that name in the repository at "
        f"{os.path.realpath(repo.path)}; name the base branch as git knows it here (e.g. origin/main, after "
        "`git fetch origin main`). Nothing was read or changed" in result.stderr
    ), result.stderr
    assert "rev-parse" not in result.stderr and "Traceback" not in result.output
    assert sandbox.api_requests() == []


# ----------------------------------------- issue 17 point 8: --changed-since errors are sentences; git runs
# in the configuration's repository


def test_git_runs_in_the_configurations_repository_not_the_current_directory(repo, api_env, tmp_path, monkeypatch):
    edit(repo / "tatango" / "lists" / "vip.yaml", "follow_up_hour: 2", "follow_up_hour: 3")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not a git repository at all
    data = plan_json(api_env, "--changed-since", "main", str(repo / "tatango"))
    assert data["scope"]["kind"] == "changed_since" and data["scope"]["lists"] == ["ACME VIP"]
    other = tmp_path / "other"  # the current directory is ANOTHER repository, with no such history
    other.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=other, check=True)
    monkeypatch.chdir(other)
    again = plan_json(api_env, "--changed-since", "main", str(repo / "tatango"))
    assert again["scope"]["lists"] == ["ACME VIP"]


def test_a_configuration_outside_any_repository_says_so(api_env, tmp_path, monkeypatch, sandbox):
    config = tmp_path / "loose"
    shutil.copytree(ROOT / "examples", config, ignore=shutil.ignore_patterns("invalid", "ci"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # no enclosing repository is found
    sandbox.requests.clear()
    result = run_cli(["plan", "--changed-since", "main", str(config)], env=api_env)
    assert result.exit_code == 1
    assert (
        f"{config} is not in a git repository, so --changed-since has nothing to compare it with; run the "
        "plan in a clone of the repository, or without --changed-since (a full plan)" in result.stderr
    )
    assert "Traceback" not in result.output and sandbox.api_requests() == []


def test_a_shallow_clone_without_the_base_says_how_to_fetch_it(repo, api_env, tmp_path, sandbox):
    edit(repo / "tatango" / "lists" / "vip.yaml", "follow_up_hour: 2", "follow_up_hour: 3")
    repo.git("commit", "-q", "-am", "second")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True)
    base = repo.git("rev-parse", "HEAD~1")
    sandbox.requests.clear()
    result = run_cli(["plan", "--changed-since", base, str(clone / "tatango")], env=api_env)
    assert result.exit_code == 1
    assert (
        f"--changed-since {base}: the base is not in this shallow clone of {os.path.realpath(clone)}; fetch it first"
        in result.stderr
        and "fetch-depth: 0" in result.stderr
    ), result.stderr
    assert sandbox.api_requests() == []


def test_a_ref_beyond_the_history_says_how_many_ancestors_there_are(repo, api_env, tmp_path, sandbox):
    """Tester L6: HEAD~99 is a valid ref; in a short history git only says "unknown", which misleads."""
    edit(repo / "tatango" / "lists" / "vip.yaml", "follow_up_hour: 2", "follow_up_hour: 3")
    repo.git("commit", "-q", "-am", "second")
    sandbox.requests.clear()
    full = run_cli(["plan", "--changed-since", "HEAD~99", "tatango/"], env=api_env)
    assert full.exit_code == 1 and "Traceback" not in full.output
    assert (
        f"--changed-since HEAD~99: HEAD has fewer than 99 ancestors in this clone of {os.path.realpath(repo.path)} "
        "(it has 1); the history has no commit that far back: name a nearer base. Nothing was read or changed"
    ) in full.stderr, full.stderr
    assert "no branch, tag or commit" not in full.stderr
    stepped = run_cli(["plan", "--changed-since", "main~1^", "tatango/"], env=api_env)
    assert "main has fewer than 2 ancestors" in stepped.stderr, stepped.stderr
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True)
    shallow = run_cli(["plan", "--changed-since", "HEAD~1", str(clone / "tatango")], env=api_env)
    assert (
        f"--changed-since HEAD~1: HEAD has fewer than 1 ancestors in this clone of {os.path.realpath(clone)} (it has "
        "0); fetch more history (`git fetch --unshallow`, or actions/checkout with fetch-depth: 0)" in shallow.stderr
    ), shallow.stderr
    assert sandbox.api_requests() == []
    assert plan_json(api_env, "--changed-since", "HEAD~1", "tatango/")["scope"]["lists"] == ["ACME VIP"]  # in reach


def test_a_broken_base_falls_back_to_a_full_plan_and_says_so(repo, api_env):
    deals = repo / "tatango" / "lists" / "vip.yaml"
    good = deals.read_text()
    deals.write_text(good.replace("lists:", "lists: [", 1))  # main is broken...
    repo.git("commit", "-q", "-am", "broken main")
    deals.write_text(good.replace("follow_up_hour: 2", "follow_up_hour: 3"))  # ...and this change repairs it
    result = run_cli(["plan", "--format", "json", "--changed-since", "main", "tatango/"], env=api_env)
    assert result.exit_code == 0, result.output
    assert "Warning: the configuration at main does not load, so it cannot be compared: main:" in result.stderr
    assert "vip.yaml:" in result.stderr and "tatango-ref-" not in result.stderr  # repository path, not scratch
    assert "planning every list instead of only those changed since main" in result.stderr
    data = json.loads(result.stdout)
    assert data["scope"]["kind"] == "all"
    assert [a["list"] for a in data["actions"]] == ["ACME VIP"]
    # The fallback is in the plan itself, not only on stderr: the PR comment (Markdown) and the JSON show it.
    [warning] = [w for w in data["warnings"] if "does not load" in w]
    assert warning.startswith("the configuration at main does not load, so it cannot be compared: main:")
    assert "vip.yaml:" in warning and "tatango-ref-" not in warning
    assert warning.endswith(
        "planning every list instead of only those changed since main: this plan may also show changes made "
        "outside this pull request"
    )
    md = run_cli(["plan", "--format", "markdown", "--changed-since", "main", "tatango/"], env=api_env)
    assert md.exit_code == 0, md.output
    assert f"_Warning: {html.escape(warning)}_" in md.stdout
    text = run_cli(["plan", "--changed-since", "main", "tatango/"], env=api_env)
    assert f"Warning: {warning}" in text.stdout
