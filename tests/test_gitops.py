"""Drift detection through the CLI, and the pre-commit hook (the workflows: test_action.py)."""
from __future__ import annotations

import json

import yaml

from tests.conftest import EXAMPLES, ROOT, run_cli


def test_nightly_drift_is_grouped_and_exit_codes_keep_drift_apart_from_errors(api_env, examples_copy, client):
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    in_sync = run_cli(["plan", "--detailed-exitcode", "--drift", str(examples_copy)], env=api_env)
    assert in_sync.exit_code == 0 and "In sync." in in_sync.stdout
    lists = {lst["name"]: lst for lst in client.list_lists()}
    client.update_list(lists["ACME Deals"]["id"], {"message_reply": "edited by hand"})  # drift made in the web UI
    client.delete_list(lists["ACME Store Alerts"]["id"])
    client.create_list({"name": "Side project"}, ["SIDE"])
    drift = run_cli(["plan", "--detailed-exitcode", "--drift", str(examples_copy)], env=api_env)
    assert drift.exit_code == 2
    text = drift.stdout
    assert "Managed attributes whose live value differs (1):" in text
    assert 'list["ACME Deals"].message_reply\n      live:    "edited by hand"\n      desired: "ACME Deals: Thanks' in text
    assert 'Managed lists missing from the account (1):\n  "ACME Store Alerts"' in text
    assert 'Lists in the account that no file manages (1):\n  "Side project"' in text
    data = json.loads(run_cli(["plan", "--format", "json", str(examples_copy)], env=api_env).stdout)["drift"]
    assert data["changed_attributes"] == [{"address": 'list["ACME Deals"]', "list": "ACME Deals", "action": "update",
                                           "attribute": "message_reply", "live": "edited by hand",
                                           "desired": "ACME Deals: Thanks for your reply. Reply STOP to end, HELP "
                                                      "for help. Msg&data rates may apply."}]
    assert data["missing_lists"] == [{"list": "ACME Store Alerts"}]
    assert [u["name"] for u in data["unmanaged_lists"]] == ["Side project"]
    broken = run_cli(["plan", "--detailed-exitcode", "--drift", str(examples_copy / "missing")], env=api_env)
    assert broken.exit_code == 1


def test_pre_commit_hook_validates_without_secrets(tmp_path):
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    entry = hooks[0]["entry"].split()
    assert entry[:2] == ["tatango-iac", "validate"]
    files = [str(p) for p in sorted(EXAMPLES.rglob("*.yaml"))
             if not {"invalid", "ci", "accounts"} & set(p.parts)]  # accounts: one account per run
    result = run_cli(entry[1:] + files, env={"ACME_WEBHOOK_TOKEN": None})
    assert result.exit_code == 0, result.output
    assert "environment variable ACME_WEBHOOK_TOKEN is not set" in result.stdout and "warning" in result.stdout


def test_examples_carry_the_schema_modeline():
    for path in sorted(EXAMPLES.glob("**/*.yaml")):
        if "invalid" in path.parts:
            continue
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        schema = (path.parent / first.split("=", 1)[1]).resolve()
        assert schema == (ROOT / "schemas" / "tatango.schema.json").resolve(), path
