"""`tatango-iac export`: YAML that validates and plans to "No changes" against the same account."""

from __future__ import annotations

import yaml

from tests.conftest import run_cli

SECRET = "s3cr3t-token-value"


def seed_varied(client) -> None:
    vip = client.create_list(
        {
            "name": "VIP Club",
            "message_help": "Help: help@acme.example. Text STOP to end.",
            "message_yes": ("Reply YES for recurring msgs. Msg&data rates may apply. " * 3).strip(),
            "message_stop": "You have been unsubscribed.\nNo more messages.",
            "email_digest": "team@acme.example",
            "email_subscribe": True,
        },
        ["VIP", "no"],
    )
    client.set_opt_in_settings(
        vip["id"],
        {
            "opt_in_type": "double",
            "bypass_opt_in_response": True,
            "opt_in_requests": [
                {
                    "collected_data": "zip_code",
                    "request_message": "Zip?",
                    "follow_up": True,
                    "follow_up_hour": 3,
                    "no_response_message": "Still there?",
                    "success_action": "nextrequest",
                },
                {
                    "collected_data": "yes",
                    "request_message": "Reply YES",
                    "retry_message": "YES?",
                    "success_action": "optinsubscriber",
                    "opt_in_message": "Welcome! Txt STOP to end, HELP for help. Msg&data rates may apply.",
                },
            ],
        },
    )
    client.create_custom_field(
        vip["id"],
        {
            "key": "zip",
            "label": "Zip",
            "content_type": "text",
            "max_length": 5,
            "pattern": "^[0-9]{5}$",
            "default_value": "98101",
            "should_validate_regex_via_api": True,
        },
    )
    client.create_custom_field(
        vip["id"], {"key": "born", "label": "Born", "content_type": "datetime", "max_length": 10}
    )
    client.create_webhook(
        vip["id"],
        {"callback_url": f"https://hooks.acme.example/v?token={SECRET}&ref=tt", "subscribe": True, "cleaned": True},
    )
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


# ------------------------------------------------------- issue 20, item 2: match by id first


def test_a_pinned_list_renamed_in_the_web_ui_is_never_written_twice(api_env, client, tmp_path):
    first = client.create_list({"name": "Pizza"}, ["PIZZA1"])
    client.create_list({"name": "Pizza"}, ["PIZZA2"])
    out = tmp_path / "out"
    assert run_cli(["export", "--output", str(out)], env=api_env).exit_code == 0
    assert sorted(p.name for p in out.glob("*.yaml")) == ["pizza-1.yaml", "pizza-2.yaml"]
    client.update_list(first["id"], {"name": "Pizza (old)"})
    again = run_cli(["export", "--output", str(out)], env=api_env)
    assert again.exit_code == 0 and "Exported 0 list(s)." in again.stdout
    assert (
        "list 'Pizza (old)' (id 1) (renamed in the web UI from 'Pizza') is already defined at "
        f"{out}/pizza-1.yaml:4; not written; take the new name with `tatango-iac pull --list 'Pizza' ...`"
        in again.stderr
    )
    assert sorted(p.name for p in out.glob("*.yaml")) == ["pizza-1.yaml", "pizza-2.yaml"]
    forced = run_cli(["export", "--output", str(out), "--force"], env=api_env)
    assert forced.exit_code == 0, forced.output
    assert sorted(p.name for p in out.glob("*.yaml")) == ["pizza-1.yaml", "pizza-2.yaml"]  # rewritten in place
    assert "- name: Pizza (old)\n  id: 1\n" in (out / "pizza-1.yaml").read_text()
    plan = run_cli(["plan", "--detailed-exitcode", str(out)], env=api_env)
    assert plan.exit_code == 0 and "No changes." in plan.stdout, plan.output


def test_force_rewrites_the_files_export_owns(api_env, client, tmp_path):
    deals = client.create_list({"name": "Deals", "message_help": "old help"}, ["DEALS"])
    out = tmp_path / "out"
    assert run_cli(["export", "--output", str(out)], env=api_env).exit_code == 0
    client.update_list(deals["id"], {"message_help": "new help"})
    skipped = run_cli(["export", "--output", str(out)], env=api_env)
    assert "Exported 0 list(s)." in skipped.stdout and "old help" in (out / "deals.yaml").read_text()
    forced = run_cli(["export", "--output", str(out), "--force"], env=api_env)
    assert forced.exit_code == 0 and "Exported 1 list(s)." in forced.stdout, forced.output
    assert f"rewriting {out}/deals.yaml: list 'Deals' (id 1)" in forced.stdout
    assert "new help" in (out / "deals.yaml").read_text() and list(out.glob("*.yaml")) == [out / "deals.yaml"]


def test_force_never_overwrites_a_file_that_defines_other_lists(api_env, client, tmp_path):
    client.create_list({"name": "Deals", "message_help": "live help"}, ["DEALS"])
    out = tmp_path / "out"
    out.mkdir()
    hand = "version: 1\nlists:\n  - name: Deals\n    message_help: mine\n  - name: Stores\n"
    (out / "all.yaml").write_text(hand)
    forced = run_cli(["export", "--output", str(out), "--force"], env=api_env)
    assert forced.exit_code == 0, forced.output
    assert (out / "all.yaml").read_text() == hand  # the other list (Stores) is not dropped
    assert "a file that holds other lists or the account settings: not rewritten" in forced.stderr
    assert sorted(p.name for p in out.glob("*.yaml")) == ["all.yaml"]


def test_two_names_that_give_one_file_name_both_get_files(api_env, client, tmp_path):
    client.create_list({"name": "Pizza 3"}, ["P3"])  # id 1: pizza-3.yaml
    client.create_list({"name": "Pizza"}, ["P1"])  # ids 2 and 3 share a name: pinned, pizza-<id>.yaml
    client.create_list({"name": "Pizza"}, ["P2"])  # pizza-3.yaml is taken: it must not replace id 1's file
    client.create_list({"name": "ACME Deals"}, ["AD1"])
    client.create_list({"name": "acme-deals"}, ["AD2"])
    out = tmp_path / "out"
    result = run_cli(["export", "--output", str(out)], env=api_env)
    assert result.exit_code == 0 and "Exported 5 list(s)." in result.stdout, result.output
    found = sorted(
        (doc["name"], doc.get("id")) for doc in (yaml.safe_load(p.read_text())["lists"][0] for p in out.glob("*.yaml"))
    )
    assert found == [("ACME Deals", None), ("Pizza", 2), ("Pizza", 3), ("Pizza 3", None), ("acme-deals", None)]
    plan = run_cli(["plan", "--detailed-exitcode", str(out)], env=api_env)
    assert plan.exit_code == 0, plan.output
