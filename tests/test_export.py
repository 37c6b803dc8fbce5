"""`tatango-iac export`: YAML that validates and plans to "No changes" against the same account."""
from __future__ import annotations

import yaml

from tests.conftest import run_cli

SECRET = "s3cr3t-token-value"


def seed_varied(client) -> None:
    vip = client.create_list({"name": "VIP Club", "message_help": "Help: help@acme.example. Text STOP to end.",
                              "message_yes": ("Reply YES for recurring msgs. Msg&data rates may apply. " * 3).strip(),
                              "message_stop": "You have been unsubscribed.\nNo more messages.",
                              "email_digest": "team@acme.example", "email_subscribe": True}, ["VIP", "no"])
    client.set_opt_in_settings(vip["id"], {"opt_in_type": "double", "bypass_opt_in_response": True, "opt_in_requests": [
        {"collected_data": "zip_code", "request_message": "Zip?", "follow_up": True, "follow_up_hour": 3,
         "no_response_message": "Still there?", "success_action": "nextrequest"},
        {"collected_data": "yes", "request_message": "Reply YES", "retry_message": "YES?", "success_action": "optinsubscriber",
         "opt_in_message": "Welcome! Txt STOP to end, HELP for help. Msg&data rates may apply."}]})
    client.create_custom_field(vip["id"], {"key": "zip", "label": "Zip", "content_type": "text", "max_length": 5,
                                           "pattern": "^[0-9]{5}$", "default_value": "98101",
                                           "should_validate_regex_via_api": True})
    client.create_custom_field(vip["id"], {"key": "born", "label": "Born", "content_type": "datetime", "max_length": 10})
    client.create_webhook(vip["id"], {"callback_url": f"https://hooks.acme.example/v?token={SECRET}&ref=tt",
                                      "subscribe": True, "cleaned": True})
    client.create_webhook(vip["id"], {"callback_url": "https://crm.acme.example/plain", "unsubscribe": True})
    plain = client.create_list({"name": "Plain ${not a var}", "message_help": None}, [])
    client.create_webhook(plain["id"], {"callback_url": "https://crm.acme.example/x?page=${1}"})


def test_export_round_trips_to_no_changes(api_env, client, tmp_path):
    seed_varied(client)
    out = tmp_path / "exported"
    result = run_cli(["export", "--output", str(out)], env=api_env)
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    files = sorted(p.name for p in out.glob("*.yaml"))
    assert files == ["plain-not-a-var.yaml", "vip-club.yaml"]
    text = (out / "vip-club.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert SECRET not in text and "token=${TATANGO_SECRET_VIP_CLUB_TOKEN}&ref=tt" in text
    assert "TATANGO_SECRET_VIP_CLUB_TOKEN" in result.stderr
    assert "message_stop: |-" in text and "message_yes: >-" in text  # long/multi-line messages as block scalars
    doc = yaml.safe_load(text)["lists"][0]
    assert list(doc)[:3] == ["name", "message_yes", "message_help"]  # keys in schema order
    env = {**api_env, "TATANGO_SECRET_VIP_CLUB_TOKEN": SECRET}
    assert run_cli(["validate", str(out)], env=env).exit_code == 0
    again = run_cli(["plan", "--detailed-exitcode", str(out)], env=env)
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout


def test_export_selected_lists_and_include_secrets(api_env, client, tmp_path):
    seed_varied(client)
    out = tmp_path / "one"
    result = run_cli(["export", "--output", str(out), "--list", "VIP Club", "--include-secrets"], env=api_env)
    assert result.exit_code == 0
    assert [p.name for p in out.glob("*.yaml")] == ["vip-club.yaml"]
    assert SECRET in (out / "vip-club.yaml").read_text()
    assert "webhook URLs were written in clear" in result.stderr
    missing = run_cli(["export", "--output", str(out), "--list", "Nope"], env=api_env)
    assert missing.exit_code == 1 and "no live list named 'Nope'" in missing.stderr
