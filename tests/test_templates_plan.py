"""Issue 23, point 3: the plan says where a value came from, and a change to a template reads
as one change to each list it reaches, grouped (real CLI, sandbox over HTTP)."""

import json
import os
import subprocess

import pytest

from tatango_iac import workflow
from tests.conftest import run_cli

ACCOUNT = """version: 1
account:
  defaults:
    message_stop: "You have been unsubscribed from ${list.name}. No more msgs."
templates:
  store:
    message_help: "ACME ${list.name}: help at care@store-help.example. Text STOP to end."
    webhooks:
      - callback_url: "https://hooks.acme.example/t?store=${var.store}"
        subscribe: true
"""
STORES = (
    "version: 1\nlists:\n"
    + "".join(f"  - name: Store {i}\n    extends: store\n    vars: {{store: '{i}'}}\n" for i in range(3))
    + ("  - name: Own\n    message_help: 'Own help: care@store-help.example. Text STOP to end.'\n")
)


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


@pytest.fixture
def config(tmp_path, api_env):
    root = tmp_path / "tatango"
    root.mkdir()
    (root / "account.yaml").write_text(ACCOUNT)
    (root / "stores.yaml").write_text(STORES)
    applied = run_cli(["apply", "--auto-approve", str(root)], env=api_env)
    assert applied.exit_code == 0, applied.output
    assert "No changes" in run_cli(["plan", str(root)], env=api_env).stdout
    return root


def test_a_template_change_is_one_change_per_list_grouped(config, api_env):
    text = (config / "account.yaml").read_text()
    (config / "account.yaml").write_text(text.replace("help at care@", "help: care@"))
    result = run_cli(["plan", str(config)], env=api_env)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.count('~ message_help (from template "store"):') == 3
    assert '+     "ACME Store 1: help: care@store-help.example. Text STOP to end."' in out, out
    assert 'list["Own"]' not in out
    assert (
        "Changes that come from templates and account.defaults (each list is planned above):\n"
        '  template "store": 3 lists, message_help\n'
    ) in out
    assert "Plan: 0 to create, 3 to update, 0 to replace, 0 to delete." in out

    markdown = run_cli(["plan", "--format", "markdown", str(config)], env=api_env).stdout
    assert '| template "store" | 3 | `message_help` |' in markdown
    assert '~     message_help (from template "store"):' in markdown

    plan = json.loads(run_cli(["plan", "--format", "json", str(config)], env=api_env).stdout)
    assert [a["from"] for a in plan["actions"]] == [{"message_help": 'template "store"'}] * 3
    assert {c["from"] for a in plan["actions"] for c in a["changes"]} == {'template "store"'}

    assert run_cli(["apply", "--auto-approve", str(config)], env=api_env).exit_code == 0
    assert "No changes" in run_cli(["plan", str(config)], env=api_env).stdout


def test_defaults_and_collections_name_their_origin(config, api_env):
    text = (config / "account.yaml").read_text()
    text = text.replace("No more msgs.", "No more messages.").replace("subscribe: true", "subscribe: false")
    (config / "account.yaml").write_text(text)
    out = run_cli(["plan", str(config)], env=api_env).stdout
    assert out.count("~ message_stop (from account.defaults):") == 4  # Own takes the default too
    assert out.count('~ subscribe (from template "store"): true -> false') == 3
    assert '  account.defaults: 4 lists, message_stop\n  template "store": 3 lists, webhooks\n' in out


def test_a_saved_plan_shows_the_origins_again(config, api_env, tmp_path):
    (config / "account.yaml").write_text((config / "account.yaml").read_text().replace("help at", "help:"))
    saved = tmp_path / "plan.json"
    assert run_cli(["plan", "--out", str(saved), str(config)], env=api_env).exit_code == 0
    shown = run_cli(["show", str(saved)]).stdout
    assert '  template "store": 3 lists, message_help' in shown


def test_changed_since_plans_every_list_a_changed_template_reaches(config, api_env, monkeypatch):
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    root = config.parent

    def git(*args):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    monkeypatch.chdir(root)
    (config / "account.yaml").write_text((config / "account.yaml").read_text().replace("help at", "help:"))
    result = run_cli(["plan", "--format", "json", "--changed-since", "main", "tatango"], env=api_env)
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert sorted(plan["scope"]["lists"]) == ["Store 0", "Store 1", "Store 2"]
    assert len(plan["actions"]) == 3
