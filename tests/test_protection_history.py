"""Issue 18 point 3, the gap: protection survives removal from the configuration (config.history).

Real git repositories in temporary directories, the real CLI over real HTTP against the sandbox.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tatango_iac import workflow
from tatango_iac.config import history
from tatango_iac.engine.planfile import plan_shape_problem
from tatango_iac.identity.scope import Memory, Remembered, Scope
from tests.conftest import run_cli
from tests.gitrepo import GIT_ENV
from tests.test_changed_since import edit, repo  # noqa: F401 - the git repository fixture

VIP = "  - name: ACME VIP\n"
SHALLOW = (
    "cannot tell whether list 'ACME VIP' was protected earlier: the clone is shallow; check out with fetch-depth: 0"
)


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


def deletes(sandbox) -> list[str]:
    return [r["path"].removeprefix("/api/v2") for r in sandbox.api_requests("DELETE")]


def plan_json(env, *args: str) -> dict:
    shown = run_cli(["plan", "--format", "json", *args, "tatango/"], env=env)
    assert shown.exit_code == 0, shown.output
    return json.loads(shown.stdout)


def unmanaged(doc: dict, name: str) -> dict:
    return next(u for u in doc["unmanaged_lists"] if u["name"] == name)


def short(git_repo, rev: str = "HEAD") -> str:
    return git_repo.git("rev-parse", "--short=7", rev)


def protect_vip_and_prune(git_repo, api_env) -> str:
    """Commit protect: true on ACME VIP and account.prune: true, apply it; the commit's short id."""
    edit(git_repo / "tatango" / "lists" / "vip.yaml", VIP, VIP + "    protect: true\n")
    edit(git_repo / "tatango" / "account.yaml", "prune: false", "prune: true")
    git_repo.git("commit", "-qam", "protect VIP; prune")
    assert run_cli(["apply", "--auto-approve", "tatango/"], env=api_env).exit_code == 0
    return short(git_repo)


# ------------------------------------------------------------------ the exact gap


def test_a_protected_list_dropped_by_a_merged_pull_request_is_never_deleted_by_a_later_full_apply(
    api_env,
    repo,  # noqa: F811
    sandbox,
):
    protected_at = protect_vip_and_prune(repo, api_env)
    repo.git("checkout", "-qb", "drop-vip")  # the pull request drops the VIP file, and the deals file
    repo.git("rm", "-q", "tatango/lists/vip.yaml", "tatango/lists/deals.yaml")
    repo.git("commit", "-qm", "drop VIP and deals")
    scoped = run_cli(["plan", "--changed-since", "main", "tatango/"], env=api_env)
    assert "it was protected at main" in scoped.stdout, scoped.output
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request: drop VIP and deals", "drop-vip")
    merged = short(repo)
    doc = plan_json(api_env)
    vip = unmanaged(doc, "ACME VIP")
    assert vip["action"] == "protected"
    why = (
        f"protect: true in commit {protected_at} (tatango/lists/vip.yaml), removed in commit {merged} "
        "without lifting protection first"
    )
    assert vip["protected_by"] == why
    assert (
        f'list "ACME VIP" (id {vip["id"]}) was protected by {why}: never deleted; to delete it, restore the entry '
        "with protect: false, commit and apply that, then remove it"
    ) in doc["warnings"]
    assert [a["address"] for a in doc["actions"]] == ['list["ACME Deals"]'] and not doc["blocked"]
    sandbox.requests.clear()
    done = run_cli(["apply", "--auto-approve", "--allow-destroy", "tatango/"], env=api_env)
    assert done.exit_code == 0, done.output
    deals = unmanaged(doc, "ACME Deals")["id"]
    assert deletes(sandbox) == [f"/lists/{deals}"]  # the unprotected list goes, the protected one stays
    assert f"was protected by protect: true in commit {protected_at}" in done.output
    after = plan_json(api_env)  # and stays: a re-run deletes nothing
    assert after["actions"] == [] and unmanaged(after, "ACME VIP")["action"] == "protected"


def test_delete_true_after_a_protected_entry_is_refused_by_a_full_apply(api_env, repo, sandbox):  # noqa: F811
    protected_at = protect_vip_and_prune(repo, api_env)
    (repo / "tatango" / "lists" / "vip.yaml").write_text("version: 1\nlists:\n  - name: ACME VIP\n    delete: true\n")
    repo.git("commit", "-qam", "delete VIP")  # protection lifted and the delete asked in one commit
    sandbox.requests.clear()
    refused = run_cli(["apply", "--auto-approve", "--allow-destroy", "tatango/"], env=api_env)
    assert refused.exit_code == 1 and deletes(sandbox) == []
    assert f"protected by protect: true in commit {protected_at} (tatango/lists/vip.yaml), removed in commit" in (
        refused.output
    )


# ------------------------------------------------------------------ lifting, patterns, renames


def test_lifting_protection_in_a_commit_of_its_own_makes_the_list_deletable(api_env, repo, sandbox):  # noqa: F811
    protect_vip_and_prune(repo, api_env)
    vip = repo / "tatango" / "lists" / "vip.yaml"
    edit(vip, "    protect: true\n", "    protect: false\n")
    repo.git("commit", "-qam", "lift VIP's protection")
    assert run_cli(["apply", "--auto-approve", "tatango/"], env=api_env).exit_code == 0
    repo.git("rm", "-q", "tatango/lists/vip.yaml")
    repo.git("commit", "-qm", "drop VIP")
    doc = plan_json(api_env)
    vip_id = unmanaged(doc, "ACME VIP")["id"]
    assert [a["action"] for a in doc["actions"]] == ["delete"] and "history" not in doc["scope"]
    sandbox.requests.clear()
    done = run_cli(["apply", "--auto-approve", "--allow-destroy", "tatango/"], env=api_env)
    assert done.exit_code == 0, done.output
    assert deletes(sandbox) == [f"/lists/{vip_id}"]


def test_an_account_protect_pattern_removed_along_with_the_list_still_protects_it(api_env, repo, sandbox):  # noqa: F811
    account = repo / "tatango" / "account.yaml"
    edit(account, "prune: false", 'prune: true\n  protect: ["ACME V*"]\n ')
    repo.git("commit", "-qam", "prune; protect ACME V*")
    protected_at = short(repo)
    edit(account, '  protect: ["ACME V*"]\n', "")
    repo.git("rm", "-q", "tatango/lists/vip.yaml")
    repo.git("commit", "-qam", "drop VIP and its pattern")
    doc = plan_json(api_env)
    assert doc["actions"] == []
    assert unmanaged(doc, "ACME VIP")["protected_by"].startswith(
        f"the account.protect pattern 'ACME V*' in commit {protected_at} (tatango/account.yaml), "
        f"removed in commit {short(repo)} without lifting protection first"
    )
    sandbox.requests.clear()
    assert run_cli(["apply", "--auto-approve", "--allow-destroy", "tatango/"], env=api_env).exit_code == 0
    assert deletes(sandbox) == []


def test_a_pinned_list_renamed_in_the_account_is_still_found_by_its_id(api_env, repo, sandbox, tmp_path):  # noqa: F811
    vip_id = next(u["id"] for u in _live_lists(api_env, repo) if u["name"] == "ACME VIP")
    vip = repo / "tatango" / "lists" / "vip.yaml"
    edit(vip, VIP, VIP + f"    id: {vip_id}\n    protect: true\n")
    edit(repo / "tatango" / "account.yaml", "prune: false", "prune: true")
    repo.git("commit", "-qam", "pin and protect VIP; prune")
    protected_at = short(repo)
    repo.git("rm", "-q", "tatango/lists/vip.yaml")
    repo.git("commit", "-qm", "drop VIP")
    # Someone renames the list in the account (another configuration, outside the repository).
    rename = tmp_path / "rename.yaml"
    rename.write_text(f"version: 1\nlists:\n  - name: VIP Club\n    id: {vip_id}\n")
    renamed = run_cli(["apply", "--auto-approve", "--target", "VIP Club", str(rename)], env=api_env)
    assert renamed.exit_code == 0, renamed.output
    doc = plan_json(api_env)
    club = unmanaged(doc, "VIP Club")
    assert club["id"] == vip_id and club["action"] == "protected" and doc["actions"] == []
    assert club["protected_by"].startswith(f"protect: true in commit {protected_at}")


def _live_lists(env, git_repo) -> list[dict]:
    """The account's lists as a plan reports them when the configuration manages none."""
    empty = git_repo.path.parent / "empty"
    empty.mkdir(exist_ok=True)
    (empty / "none.yaml").write_text("version: 1\nlists: []\n")
    shown = run_cli(["plan", "--format", "json", str(empty)], env=env)
    assert shown.exit_code == 0, shown.output
    return json.loads(shown.stdout)["unmanaged_lists"]


# ------------------------------------------------------------------ when the history cannot tell


def test_a_shallow_clone_refuses_the_delete_with_the_sentence(api_env, repo, sandbox, tmp_path, monkeypatch):  # noqa: F811
    protect_vip_and_prune(repo, api_env)
    repo.git("rm", "-q", "tatango/lists/vip.yaml")
    repo.git("commit", "-qm", "drop VIP")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True, env=GIT_ENV)
    monkeypatch.chdir(clone)
    shown = run_cli(["plan", "--detailed-exitcode", "tatango/"], env=api_env)
    assert shown.exit_code == 2 and SHALLOW in shown.stdout, shown.output
    sandbox.requests.clear()
    refused = run_cli(["apply", "--auto-approve", "--allow-destroy", "tatango/"], env=api_env)
    assert refused.exit_code == 1 and "Refusing to apply" in refused.stderr and SHALLOW in refused.output
    assert deletes(sandbox) == [] and [r for r in sandbox.api_requests() if r["method"] != "GET"] == []


def test_the_history_walk_is_capped_and_says_what_it_did_not_walk(api_env, repo, sandbox, tmp_path, monkeypatch):  # noqa: F811
    # A list the configuration never had: made outside it (another configuration, not in the repository).
    stray = tmp_path / "stray.yaml"
    stray.write_text("version: 1\nlists:\n  - name: Stray\n")
    assert run_cli(["apply", "--auto-approve", str(stray)], env=api_env).exit_code == 0
    edit(repo / "tatango" / "account.yaml", "prune: false", "prune: true")
    repo.git("commit", "-qam", "prune")
    deals = repo / "tatango" / "lists" / "deals.yaml"
    for n in range(3):
        deals.write_text(deals.read_text() + f"# note {n}\n")
        repo.git("commit", "-qam", f"note {n}")
    walked = repo.git("log", "--format=%h", "--abbrev=7", "-n", "2", "--", "tatango").split()
    monkeypatch.setattr(history, "MAX_COMMITS", 2)
    doc = plan_json(api_env)
    (refused,) = doc["blocked"]
    assert refused["live_name"] == "Stray" and doc["actions"] == []
    assert (
        "cannot tell whether list 'Stray' was protected earlier: it is not configured in the newest 2 commits that "
        f"touched the configuration (walked back to {walked[-1]}; older history was not walked)"
    ) in refused["message"]
    monkeypatch.setattr(history, "MAX_COMMITS", 500)  # the whole history: never configured, so prune deletes it
    assert [a["address"] for a in plan_json(api_env)["actions"]] == ['list["Stray"]']


def test_a_detached_head_reads_its_own_history(api_env, repo, sandbox):  # noqa: F811
    protected_at = protect_vip_and_prune(repo, api_env)
    repo.git("rm", "-q", "tatango/lists/vip.yaml")
    repo.git("commit", "-qm", "drop VIP")
    repo.git("checkout", "-q", "--detach", "HEAD")  # as CI checks out a pull request's merge commit
    doc = plan_json(api_env)
    assert doc["actions"] == [] and f"in commit {protected_at}" in unmanaged(doc, "ACME VIP")["protected_by"]


def test_no_repository_or_no_commit_yet_refuses_unless_told(api_env, examples_copy, sandbox, monkeypatch):
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    edit(examples_copy / "account.yaml", "prune: false", "prune: true")
    (examples_copy / "lists" / "deals.yaml").unlink()
    monkeypatch.chdir(examples_copy.parent)
    shown = run_cli(["plan", "config"], env=api_env)
    assert shown.exit_code == 0, shown.output
    deals = next(
        u["id"]
        for u in json.loads(run_cli(["plan", "--format", "json", "config"], env=api_env).stdout)["unmanaged_lists"]
    )
    assert f'ACME Deals" (id {deals}, 0 subscribers, keywords COUPONS, SALE, SAVE; its deletion is refused' in (
        shown.stdout
    )
    assert (
        f"refused to delete the list \"ACME Deals\" (id {deals}, 0 subscribers): cannot tell whether list 'ACME Deals' was "
        "protected earlier: config is not in a git repository, whose history is what remembers protection; run in "
        "a clone of the configuration's repository; or pass --no-history-check"
    ) in shown.stdout
    subprocess.run(["git", "init", "-q"], cwd=examples_copy, check=True, env=GIT_ENV)
    unborn = run_cli(["plan", "config"], env=api_env)
    assert f"the git repository at {examples_copy.resolve()} has no commits yet" in unborn.stdout, unborn.output
    sandbox.requests.clear()
    assert run_cli(["apply", "--auto-approve", "--allow-destroy", "config"], env=api_env).exit_code == 1
    assert deletes(sandbox) == []
    # On the user's word: planned, saved with the plan, applied from it.
    saved = examples_copy.parent / "plan.json"
    told = run_cli(["plan", "--no-history-check", "--out", str(saved), "config"], env=api_env)
    assert told.exit_code == 0 and json.loads(saved.read_text())["scope"]["history_check"] is False
    wrong = run_cli(["apply", "--plan", str(saved), "--no-history-check", "--allow-destroy"], env=api_env)
    assert wrong.exit_code == 1 and "carries its own history check" in wrong.output
    done = run_cli(["apply", "--plan", str(saved), "--allow-destroy"], env=api_env)
    assert done.exit_code == 0, done.output
    assert deletes(sandbox) == [f"/lists/{deals}"]


# ------------------------------------------------------------------ saved plans


def test_what_the_history_said_survives_a_saved_plan_and_a_bad_one_is_refused():
    memory = Remembered(7, "VIP", Memory.PROTECTED, "protected by protect: true in commit abc1234", "protect: true")
    scope = Scope(history=(memory,), history_check=False)
    assert Scope.from_json(scope.to_json()) == scope and scope.remembered(7) == memory
    bad = {"config": {"paths": []}, "actions": [], "scope": {"kind": "all", "history": [{"id": "7"}]}}
    assert "scope.history is not a list of objects" in str(plan_shape_problem(bad))


# ------------------------------------------------------------------ bounded work


def test_the_walk_reads_each_changed_file_once_not_the_configuration_per_commit(tmp_path, monkeypatch):
    root = tmp_path / "cfg"
    (root / "lists").mkdir(parents=True)
    for n in range(20):
        (root / "lists" / f"l{n}.yaml").write_text(f"version: 1\nlists:\n  - name: L{n}\n")
    (root / "lists" / "gone.yaml").write_text("version: 1\nlists:\n  - name: Gone\n    protect: true\n")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, env=GIT_ENV, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "base")
    git("rm", "-q", "lists/gone.yaml")
    git("commit", "-qm", "drop Gone")
    for n in range(30):  # thirty later commits, each touching one file
        (root / "lists" / "l0.yaml").write_text(f"version: 1\nlists:\n  - name: L0\n# {n}\n")
        git("commit", "-qam", f"edit {n}")
    calls: list[str] = []
    real = history._git
    monkeypatch.setattr(history, "_git", lambda top, *args: calls.append(args[0]) or real(top, *args))
    from tatango_iac.config.loader import load

    desired, _ = load([str(root)], {})
    gone = history.Candidate(99, "Gone", frozenset({"Gone"}))
    never = history.Candidate(98, "Never", frozenset({"Never"}))
    (remembered,) = history.remember(desired, [gone, never], {})
    assert remembered.list_id == 99 and remembered.memory is Memory.PROTECTED
    assert "(lists/gone.yaml), removed in commit" in remembered.reason
    # One tree listing and two logs for the walk (the second asks git's rename detection about the commits
    # that added files, all at once); each distinct blob read once (20 files at HEAD, the 30 earlier versions
    # of l0.yaml, gone.yaml): never the whole configuration per commit.
    assert calls.count("log") == 2 and calls.count("cat-file") <= 21 + 30 + 1


def _repo_with(root, *commits: dict[str, str | None]) -> None:
    """A repository whose commits each write (or, with None, remove) the given files."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True, env=GIT_ENV)
    for n, files in enumerate(commits):
        for name, text in files.items():
            path = root / name
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=GIT_ENV)
        subprocess.run(["git", "commit", "-qm", f"c{n}"], cwd=root, check=True, env=GIT_ENV)


def _remember(root, *candidates: str):
    from tatango_iac.config.loader import load

    desired, _ = load([str(root)], {})
    assert desired is not None
    picked = [history.Candidate(90 + i, name, frozenset({name})) for i, name in enumerate(candidates)]
    return {r.name: r for r in history.remember(desired, picked, {})}


def test_protection_from_account_defaults_counts_as_it_did_then(tmp_path):
    root = tmp_path / "cfg"
    _repo_with(
        root,
        {
            "account.yaml": "version: 1\naccount:\n  defaults:\n    protect: true\n",
            "lists.yaml": "version: 1\nlists:\n  - name: Club\n  - name: Kept\n",
        },
        {"account.yaml": "version: 1\naccount: {}\n", "lists.yaml": "version: 1\nlists:\n  - name: Kept\n"},
    )
    (club,) = _remember(root, "Club").values()
    assert club.memory is Memory.PROTECTED and club.reason.startswith("protected by protect: true in commit")


def test_a_deciding_commit_that_does_not_load(tmp_path):
    root = tmp_path / "cfg"
    _repo_with(
        root,
        {
            "lists.yaml": "version: 1\nlists:\n  - name: Club\n    protect: true\n  - name: Plain\n",
            "broken.yaml": "version: 1\nlists:\n  - name: Other\n    no_such_key: 1\n",
        },
        {"lists.yaml": "version: 1\nlists: []\n", "broken.yaml": None},
    )
    found = _remember(root, "Club", "Plain")
    # Protected in so many words: loading cannot change that.
    assert found["Club"].memory is Memory.PROTECTED
    assert "(that commit's configuration does not load)" in found["Club"].reason
    # Not protected in its entry, but a template or default of a configuration that does not load might
    # have: the history cannot vouch for it.
    assert found["Plain"].memory is Memory.UNKNOWN
    assert "the last to configure it (lists.yaml), does not load (broken.yaml:" in found["Plain"].reason
