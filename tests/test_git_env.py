"""Every git call runs in the configuration's repository, whatever the environment (fix-protect L3), and
git's refusal of a repository owned by another user is said as git said it, with the fix (L2).

Real git repositories in temporary directories, the real CLI over real HTTP against the sandbox.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tatango_iac import workflow
from tatango_iac.gitenv import REPOSITORY_VARIABLES, git_env
from tests.conftest import run_cli
from tests.gitrepo import GIT_ENV
from tests.test_changed_since import repo  # noqa: F401 - the git repository fixture
from tests.test_protection_history import deletes, protect_vip_and_prune


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


def other_repository(tmp_path) -> dict[str, str]:
    """Another repository, and the variables a git hook running there would pass down."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "README").write_text("another project\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "other"]):
        subprocess.run(["git", *args], cwd=other, env=GIT_ENV, check=True, capture_output=True)
    git_dir = str(other / ".git")
    return {
        "GIT_DIR": git_dir,
        "GIT_WORK_TREE": str(other),
        "GIT_INDEX_FILE": os.path.join(git_dir, "index"),
        "GIT_COMMON_DIR": git_dir,
        "GIT_OBJECT_DIRECTORY": os.path.join(git_dir, "objects"),
    }


def test_an_inherited_git_dir_does_not_choose_the_history(api_env, repo, sandbox, tmp_path):  # noqa: F811
    protect_vip_and_prune(repo, api_env)
    repo.git("rm", "-q", "tatango/lists/vip.yaml")
    repo.git("commit", "-qm", "drop VIP")
    hooked = {**api_env, **other_repository(tmp_path)}
    shown = run_cli(["plan", "--format", "json", "tatango/"], env=hooked)
    assert shown.exit_code == 0, shown.output
    vip = next(u for u in json.loads(shown.stdout)["unmanaged_lists"] if u["name"] == "ACME VIP")
    assert vip["action"] == "protected", vip
    scoped = run_cli(["plan", "--changed-since", "HEAD~1", "tatango/"], env=hooked)
    assert scoped.exit_code == 0 and "it was protected at HEAD~1" in scoped.stdout, scoped.output
    sandbox.requests.clear()
    done = run_cli(["apply", "--auto-approve", "--allow-destroy", "--allow-bulk", "tatango/"], env=hooked)
    assert done.exit_code == 0, done.output
    assert deletes(sandbox) == []


def test_git_env_removes_every_repository_variable_and_keeps_the_rest():
    environ = dict.fromkeys(REPOSITORY_VARIABLES, "/elsewhere") | {"PATH": "/bin", "GIT_CONFIG_COUNT": "1"}
    assert git_env(environ) == {"PATH": "/bin", "GIT_CONFIG_COUNT": "1"}
    assert {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR"} <= REPOSITORY_VARIABLES


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give the repo away")
def test_a_repository_owned_by_another_user_is_reported_with_git_s_words_and_the_fix(api_env, repo, tmp_path):  # noqa: F811
    protect_vip_and_prune(repo, api_env)
    repo.git("rm", "-q", "tatango/lists/vip.yaml")
    repo.git("commit", "-qm", "drop VIP")
    subprocess.run(["chown", "-R", "12345:12345", str(repo.path)], check=True)
    empty = tmp_path / "gitconfig"
    empty.write_text("")
    env = {**api_env, "GIT_CONFIG_GLOBAL": str(empty), "GIT_CONFIG_NOSYSTEM": "1"}
    try:
        shown = run_cli(["plan", "--format", "json", "tatango/"], env=env)
    finally:
        subprocess.run(["chown", "-R", f"{os.geteuid()}:{os.getegid()}", str(repo.path)], check=True)
    assert shown.exit_code == 0, shown.output
    text = json.dumps(json.loads(shown.stdout))
    assert "dubious ownership" in text and "git config --global --add safe.directory" in text, text
    assert "run in a clone" not in text
