"""Issue 23, point 4 (pull): a value drifted on one list is written at that list, never into
the template or account.defaults it came from (real CLI, sandbox over HTTP)."""

from pathlib import Path

import pytest

from tatango_iac import workflow
from tests.conftest import run_cli

ACCOUNT = """version: 1
account:
  defaults:
    message_stop: "You have been unsubscribed from ${list.name}. No more msgs."
templates:
  store:
    message_help: "${list.name}: help at care@store-help.example. Text STOP to end."
    keyword_names: []
    custom_fields:
      - key: zip
        label: ZIP
        content_type: text
        max_length: 5
    webhooks:
      - callback_url: "https://hooks.acme.example/t?store=${var.store}&token=${HOOK_TOKEN}"
        subscribe: true
"""
STORES = """version: 1
lists:
  - name: Store 1
    extends: store
    vars: {store: "1"}
  - name: Store 2
    extends: store
    vars: {store: "2"}
"""
TOKEN = "tok-Zq81mXw3Lr5p"


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


@pytest.fixture
def config(tmp_path, api_env):
    (tmp_path / "account.yaml").write_text(ACCOUNT)
    (tmp_path / "stores.yaml").write_text(STORES)
    env = {**api_env, "HOOK_TOKEN": TOKEN}
    assert run_cli(["apply", "--auto-approve", str(tmp_path)], env=env).exit_code == 0
    return tmp_path, env


def by_name(client):
    return {lst["name"]: lst for lst in client.list_lists()}


def test_drift_on_one_list_is_written_at_that_list(config, client):
    root, env = config
    store1 = by_name(client)["Store 1"]["id"]
    client.update_list(
        store1,
        {"message_help": "Store 1 only: call 512-555-0100. Text STOP to end.", "message_stop": "Bye from Store 1."},
    )
    client.set_keywords(store1, ["AUSTIN"])
    hook = client.list_webhooks(store1)[0]
    client.update_webhook(
        store1,
        hook["id"],
        {
            **{k: hook[k] for k in ("callback_url", "unsubscribe", "message_sent", "reply_received", "cleaned")},
            "subscribe": False,
        },
    )
    client.delete_custom_field(store1, "zip")
    template_before = (root / "account.yaml").read_text()

    result = run_cli(["pull", "--all", str(root)], env=env)
    assert result.exit_code == 0, result.output
    assert (root / "account.yaml").read_text() == template_before  # the shared template and defaults: untouched
    assert (root / "stores.yaml").read_text() == STORES.replace(
        '    vars: {store: "1"}\n',
        '    vars: {store: "1"}\n'
        '    message_help: "Store 1 only: call 512-555-0100. Text STOP to end."\n'
        "    message_stop: Bye from Store 1.\n"
        "    keyword_names: [AUSTIN]\n"
        "    custom_fields: []\n"
        '    webhooks: [{callback_url: "https://hooks.acme.example/t?store=${var.store}&token=${HOOK_TOKEN}", '
        "subscribe: false}]\n",
    )
    assert TOKEN not in result.output and TOKEN not in (root / "stores.yaml").read_text()
    assert 'webhooks came from template "store": the list now has its own copy' in result.output
    assert "message_stop" in result.output
    plan = run_cli(["plan", str(root)], env=env)
    assert plan.exit_code == 0 and "No changes" in plan.stdout, plan.output


def test_drift_on_every_list_is_still_written_at_each_list(config, client):
    root, env = config
    for name, lst in by_name(client).items():
        client.update_list(lst["id"], {"message_help": f"{name}: new help at care@store-help.example. Text STOP."})
    template_before = (root / "account.yaml").read_text()
    result = run_cli(["pull", "--all", str(root)], env=env)
    assert result.exit_code == 0, result.output
    assert (root / "account.yaml").read_text() == template_before
    text = (root / "stores.yaml").read_text()
    assert text.count("message_help: ") == 2
    assert "No changes" in run_cli(["plan", str(root)], env=env).stdout


def test_a_dry_run_names_the_list_and_writes_nothing(config, client):
    root, env = config
    client.update_list(by_name(client)["Store 2"]["id"], {"message_stop": "Gone."})
    before = {p.name: p.read_text() for p in Path(root).iterdir()}
    result = run_cli(["pull", "--all", "--dry-run", str(root)], env=env)
    assert result.exit_code == 0, result.output
    assert "list 'Store 2': message_stop" in result.output
    assert {p.name: p.read_text() for p in Path(root).iterdir()} == before
