"""Protection survives moving the configuration, and naming its files one by one (fix-protect H1, H2, L1).

Real git repositories in temporary directories, the real CLI over real HTTP against the sandbox.
"""

from __future__ import annotations

import json

import pytest

from tatango_iac import workflow
from tests.conftest import run_cli
from tests.test_changed_since import repo  # noqa: F401 - the git repository fixture
from tests.test_protection_history import deletes, protect_vip_and_prune, short


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


def plan_doc(api_env, *args: str) -> dict:
    shown = run_cli(["plan", "--format", "json", *args], env=api_env)
    assert shown.exit_code == 0, shown.output
    return json.loads(shown.stdout)


def unmanaged(doc: dict, name: str) -> dict:
    return next(u for u in doc["unmanaged_lists"] if u["name"] == name)


@pytest.mark.parametrize("one_commit", [False, True], ids=["remove-then-move", "remove-and-move-in-one-commit"])
def test_moving_the_configuration_directory_keeps_a_removed_protected_list(api_env, repo, sandbox, one_commit):  # noqa: F811
    protected_at = protect_vip_and_prune(repo, api_env)
    repo.git("rm", "-q", "tatango/lists/vip.yaml", "tatango/lists/deals.yaml")
    if not one_commit:
        repo.git("commit", "-qm", "drop VIP and deals")
    removed_in = short(repo) if not one_commit else None
    repo.git("mv", "tatango", "config")
    repo.git("commit", "-qm", "reorganise" if not one_commit else "drop VIP and deals; reorganise")
    removed_in = removed_in or short(repo)
    doc = plan_doc(api_env, "config/")
    vip = unmanaged(doc, "ACME VIP")
    assert vip["action"] == "protected", doc
    assert vip["protected_by"] == (
        f"protect: true in commit {protected_at} (tatango/lists/vip.yaml), removed in commit {removed_in} "
        "without lifting protection first"
    )
    assert [a["address"] for a in doc["actions"]] == ['list["ACME Deals"]']  # the unprotected one is pruned
    sandbox.requests.clear()
    done = run_cli(["apply", "--auto-approve", "--allow-destroy", "--allow-bulk", "config/"], env=api_env)
    assert done.exit_code == 0, done.output
    assert deletes(sandbox) == [f"/lists/{unmanaged(doc, 'ACME Deals')['id']}"]


def test_a_file_moved_within_the_configuration_then_removed_is_remembered_at_its_new_path(api_env, repo, sandbox):  # noqa: F811
    protect_vip_and_prune(repo, api_env)
    repo.git("mv", "tatango/lists/vip.yaml", "tatango/vip-club.yaml")
    repo.git("commit", "-qm", "move VIP's file")
    moved_at = short(repo)
    repo.git("rm", "-q", "tatango/vip-club.yaml")
    repo.git("commit", "-qm", "drop VIP")
    vip = unmanaged(plan_doc(api_env, "tatango/"), "ACME VIP")
    assert vip["action"] == "protected" and f"in commit {moved_at} (tatango/vip-club.yaml)" in vip["protected_by"]


def test_a_removal_not_committed_yet_is_named_the_working_tree(api_env, repo, sandbox):  # noqa: F811
    protected_at = protect_vip_and_prune(repo, api_env)
    (repo / "tatango" / "lists" / "vip.yaml").unlink()
    doc = plan_doc(api_env, "tatango/")
    why = (
        f"protect: true in commit {protected_at} (tatango/lists/vip.yaml), removed from the configuration in "
        "the working tree (not committed yet) without lifting protection first"
    )
    assert unmanaged(doc, "ACME VIP")["protected_by"] == why
    assert any(why in w for w in doc["warnings"]) and "the wor " not in json.dumps(doc)


def test_files_named_one_by_one_see_a_protected_file_removed_beside_them(api_env, repo, sandbox):  # noqa: F811
    protected_at = protect_vip_and_prune(repo, api_env)
    repo.git("rm", "-q", "tatango/lists/vip.yaml")
    repo.git("commit", "-qm", "drop VIP")
    removed_in = short(repo)
    files = ["tatango/account.yaml", "tatango/lists/deals.yaml", "tatango/lists/stores.yaml"]  # the shell's glob
    doc = plan_doc(api_env, *files)
    vip = unmanaged(doc, "ACME VIP")
    assert vip["action"] == "protected", doc
    assert vip["protected_by"] == (
        f"protect: true in commit {protected_at} (tatango/lists/vip.yaml), removed in commit {removed_in} "
        "without lifting protection first"
    )
    assert doc["actions"] == []
    sandbox.requests.clear()
    done = run_cli(["apply", "--auto-approve", "--allow-destroy", "--allow-bulk", *files], env=api_env)
    assert done.exit_code == 0, done.output
    assert deletes(sandbox) == []


def test_the_pull_request_plan_compares_a_moved_configuration_at_its_old_location(api_env, repo, sandbox):  # noqa: F811
    protect_vip_and_prune(repo, api_env)
    repo.git("rm", "-q", "tatango/lists/vip.yaml", "tatango/lists/deals.yaml")
    repo.git("mv", "tatango", "config")
    repo.git("commit", "-qm", "drop VIP and deals; reorganise")
    doc = plan_doc(api_env, "--changed-since", "HEAD~1", "config/")
    assert (
        "--changed-since HEAD~1: the configuration moved since then (git's rename detection: config was tatango "
        "at HEAD~1); it was compared with the configuration at its old location"
    ) in doc["warnings"], doc["warnings"]
    assert sorted(doc["scope"]["removed"]) == ["ACME Deals", "ACME VIP"]
    assert unmanaged(doc, "ACME VIP")["action"] == "protected"  # dropped while protected: reported, never deleted
    assert [a["address"] for a in doc["actions"]] == ['list["ACME Deals"]']  # the dropped unprotected one: pruned
    text = run_cli(["plan", "--changed-since", "HEAD~1", "config/"], env=api_env)
    assert "No changes in the 2 lists" not in text.stdout and "ACME VIP" in text.stdout, text.output


def test_the_budgeted_drift_run_shows_a_history_protected_list_as_a_plan_would(api_env, repo, sandbox, tmp_path):  # noqa: F811
    protected_at = protect_vip_and_prune(repo, api_env)
    repo.git("rm", "-q", "tatango/lists/vip.yaml")
    repo.git("commit", "-qm", "drop VIP")
    state = str(tmp_path / "drift-state.json")
    shown = run_cli(
        ["plan", "--drift", "--format", "json", "--budget", "50", "--drift-state", state, "tatango/"], env=api_env
    )
    assert shown.exit_code in (0, 2), shown.output
    drift = json.loads(shown.stdout)["drift"]
    vip = unmanaged(drift, "ACME VIP")
    assert vip["action"] == "protected" and f"in commit {protected_at}" in vip["protected_by"], vip
    assert not [b for b in drift["blocked"] if b.get("live_name") == "ACME VIP"]  # neither deleted nor refused


def test_past_the_moves_it_follows_the_history_cannot_tell_and_the_delete_is_refused(
    api_env,
    repo,  # noqa: F811
    sandbox,
    monkeypatch,
):
    from tatango_iac.config import history

    protect_vip_and_prune(repo, api_env)
    repo.git("rm", "-q", "tatango/lists/vip.yaml")
    repo.git("mv", "tatango", "config")
    repo.git("commit", "-qm", "drop VIP; reorganise")
    monkeypatch.setattr(history, "MAX_MOVES", 0)
    doc = plan_doc(api_env, "config/")
    assert unmanaged(doc, "ACME VIP")["action"] == "refused"
    assert any(
        "cannot tell whether list 'ACME VIP' was protected earlier" in b["message"]
        and "the configuration was moved in more than 0 commits" in b["message"]
        for b in doc["blocked"]
    ), doc["blocked"]
    sandbox.requests.clear()
    refused = run_cli(["apply", "--auto-approve", "--allow-destroy", "--allow-bulk", "config/"], env=api_env)
    assert refused.exit_code == 1 and deletes(sandbox) == []
