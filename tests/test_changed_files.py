"""Issue 22 point 5: a pull-request plan loads at the base ref only the files it needs.

A repository of one file per list (as `export` writes it) plus account.yaml; the real CLI
plans `--changed-since main` against the sandbox, and the scope it reports must be the
one a full load at the base would give, in every case where files move, appear, vanish,
or a shared definition (account:, templates:) changes.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tatango_iac import workflow
from tatango_iac.config.changed import _materialise
from tatango_iac.config.changed_files import defines_shared
from tatango_iac.config.loader import load_or_raise
from tests.conftest import run_cli

LISTS = 8


def list_file(i: int, keywords: str = "") -> str:
    kws = keywords or f"[KW{i}]"
    return (
        f"version: 1\nlists:\n  - name: L{i}\n    keyword_names: {kws}\n"
        f"    message_help: 'L{i}: help at help@acme.example. Text STOP to end.'\n"
    )


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


@pytest.fixture
def repo(tmp_path, monkeypatch, api_env):
    root = tmp_path / "repo"
    conf = root / "tatango"
    (conf / "lists").mkdir(parents=True)
    (conf / "account.yaml").write_text("version: 1\naccount:\n  shortcode: '33733'\n")
    for i in range(LISTS):
        (conf / "lists" / f"l{i}.yaml").write_text(list_file(i))
    (conf / "drafts").mkdir()
    (conf / "drafts" / ".tatango-skip").write_text("")
    (conf / "drafts" / "draft.yaml").write_text("not: [valid configuration\n")
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
    return root


def scope(api_env) -> dict:
    result = run_cli(["plan", "--format", "json", "--changed-since", "main", "tatango/"], env=api_env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["scope"]


def written_at_base(tmp_path: Path) -> list[str]:
    desired = load_or_raise(["tatango/"], {})[0]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    _materialise("main", desired, str(scratch))
    return sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*") if p.is_file())


def test_only_the_changed_file_and_the_account_file_are_loaded_at_the_base(repo, api_env, tmp_path):
    lists = repo / "tatango" / "lists"
    (lists / "l3.yaml").write_text(list_file(3).replace("help at", "help: at"))
    assert written_at_base(tmp_path) == [
        "tatango/account.yaml",
        "tatango/drafts/.tatango-skip",
        "tatango/lists/l3.yaml",
    ]
    assert scope(api_env)["lists"] == ["L3"]


def test_nothing_changed_means_nothing_in_scope(repo, api_env, tmp_path):
    assert written_at_base(tmp_path) == ["tatango/account.yaml", "tatango/drafts/.tatango-skip"]
    assert scope(api_env)["lists"] == []


def test_a_list_moved_to_another_file_unchanged_is_not_in_scope(repo, api_env):
    lists = repo / "tatango" / "lists"
    (lists / "l2.yaml").unlink()
    (lists / "l1.yaml").write_text(list_file(1) + list_file(2).split("lists:\n", 1)[1])
    assert scope(api_env)["lists"] == []


def test_a_keyword_moved_between_files_puts_both_lists_in_scope(repo, api_env):
    lists = repo / "tatango" / "lists"
    (lists / "l4.yaml").write_text(list_file(4, "[KW4, KW5]"))
    (lists / "l5.yaml").write_text(list_file(5, "[]"))
    assert scope(api_env)["lists"] == ["L4", "L5"]


def test_new_and_deleted_files(repo, api_env):
    lists = repo / "tatango" / "lists"
    (lists / "l0.yaml").unlink()
    (lists / "new.yaml").write_text(list_file(99))
    found = scope(api_env)
    assert found["lists"] == ["L99"] and found["removed"] == ["L0"]


def test_a_changed_account_file_compares_everything(repo, api_env, tmp_path):
    (repo / "tatango" / "account.yaml").write_text("version: 1\naccount:\n  shortcode: '33733'\n  prune: true\n")
    assert len(written_at_base(tmp_path)) == LISTS + 3  # every file, the skipped draft and its marker too
    assert scope(api_env)["kind"] == "all"


def test_a_changed_template_reaches_lists_in_unchanged_files(repo, api_env, tmp_path):
    conf = repo / "tatango"
    (conf / "templates.yaml").write_text(
        "version: 1\ntemplates:\n  store:\n    message_stop: 'Stopped. No more msgs.'\n"
    )
    (conf / "lists" / "l1.yaml").write_text(list_file(1) + "    extends: store\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "t"],
        cwd=repo,
        check=True,
    )
    assert written_at_base(tmp_path) == [
        "tatango/account.yaml",
        "tatango/drafts/.tatango-skip",
        "tatango/templates.yaml",
    ]
    (conf / "templates.yaml").write_text("version: 1\ntemplates:\n  store:\n    message_stop: 'Stopped. Bye.'\n")
    found = scope(api_env)
    assert found["lists"] == ["L1"]  # its file is unchanged; the template it takes changed


@pytest.mark.parametrize(
    ("content", "shared"),
    [
        (b"version: 1\naccount:\n  prune: true\n", True),
        (b"version: 1\ntemplates: {}\n", True),
        (b"# c\n{version: 1, account: {}}\n", True),
        (b"version: 1\nlists:\n  - name: account: x\n", False),
        (b"version: 1\nlists:\n  - name: A\n    message_help: 'templates: no'\n", False),
    ],
)
def test_shared_definitions_are_recognised(content, shared):
    assert defines_shared(content) is shared
