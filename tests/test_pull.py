"""Issue 20, item 1: `tatango-iac pull` takes the web UI's changes back into the files.

Each test changes the account the way a person in the web UI would (through the API, on the
sandbox over real HTTP), runs the real CLI, and checks the file byte for byte and that the
next plan says "No changes".
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli

TOKEN = "tok-7Hq2xR9mW4pL"
NEW_TOKEN = "tok-NEW-5Zt8Kc3V"

CONFIG = """\
# yaml-language-server: $schema=tatango.schema.json
# Deals: comments, blank lines and quoting styles must survive a pull.
version: 1
lists:
  - name: Deals   # the weekly list

    keyword_names:
      - SAVE
      - 'SALE'
    message_help: "Deals: help at ${HELP_EMAIL}. Text STOP to end."
    message_stop: 'Deals: you are unsubscribed.'   # keep this comment
    message_reply: plain reply text
    email_subscribe: false
    custom_fields:
      - key: zip
        label: Zip
        content_type: text
        max_length: 5    # US only
    webhooks:
      # the CRM; its token comes from the environment
      - callback_url: "https://crm.acme.example/in?token=${CRM_TOKEN}"
        subscribe: true
        unsubscribe: true
  - name: Stores
    keyword_names: [STORE, PICKUP]
"""


def env_for(api_env: dict) -> dict:
    return {**api_env, "HELP_EMAIL": "desk@deals-pull.example", "CRM_TOKEN": TOKEN}


def applied(tmp_path: Path, api_env: dict, text: str = CONFIG) -> Path:
    path = tmp_path / "deals.yaml"
    path.write_text(text)
    result = run_cli(["apply", "--auto-approve", str(path)], env=env_for(api_env))
    assert result.exit_code == 0, result.output
    return path


def lists(client) -> dict:
    return {lst["name"]: lst for lst in client.list_lists()}


def no_changes(api_env: dict, path: Path) -> None:
    result = run_cli(["plan", "--detailed-exitcode", str(path)], env=env_for(api_env))
    assert result.exit_code == 0 and "No changes." in result.stdout, result.output


def pull(api_env: dict, path: Path, *args: str):
    return run_cli(["pull", *args, str(path)], env=env_for(api_env))


def test_pull_writes_only_the_drifted_values_and_the_plan_then_has_no_changes(api_env, client, tmp_path):
    path = applied(tmp_path, api_env)
    deals = lists(client)["Deals"]
    client.update_list(
        deals["id"],
        {
            "message_stop": "Deals: unsubscribed. Bye!",
            "email_subscribe": True,
            "message_reply": "edited: in the web UI",
        },
    )
    result = pull(api_env, path, "--all")
    assert result.exit_code == 0, result.output
    assert "Pulled into 1 file(s)" in result.stdout
    expected = (
        CONFIG.replace("message_stop: 'Deals: you are unsubscribed.'", "message_stop: 'Deals: unsubscribed. Bye!'")
        .replace("email_subscribe: false", "email_subscribe: true")
        .replace("message_reply: plain reply text", 'message_reply: "edited: in the web UI"')
    )
    assert path.read_text() == expected  # every other byte as it was: comments, blank line, quotes, order
    no_changes(api_env, path)
    again = pull(api_env, path, "--all")
    assert again.exit_code == 0 and "Nothing to pull" in again.stdout and path.read_text() == expected


def test_dry_run_shows_a_diff_and_writes_nothing(api_env, client, tmp_path):
    path = applied(tmp_path, api_env)
    client.update_list(lists(client)["Deals"]["id"], {"message_reply": "new reply"})
    result = pull(api_env, path, "--list", "Deals", "--dry-run")
    assert result.exit_code == 0, result.output
    assert path.read_text() == CONFIG
    assert f"--- a/{path}\n+++ b/{path}\n" in result.stdout
    assert "-    message_reply: plain reply text\n+    message_reply: new reply\n" in result.stdout
    assert "Dry run: 1 file(s) would change; nothing was written." in result.stdout


def test_collections_are_pulled_as_a_whole_in_the_files_style(api_env, client, tmp_path):
    path = applied(tmp_path, api_env)
    account = lists(client)
    client.set_keywords(account["Deals"]["id"], ["SALE", "BARGAIN"])  # SAVE dropped, BARGAIN added
    client.set_keywords(account["Stores"]["id"], ["STORE"])
    client.delete_custom_field(account["Deals"]["id"], "zip")
    client.create_custom_field(
        account["Deals"]["id"], {"key": "city", "label": "City: name", "content_type": "text", "max_length": 40}
    )
    hook = client.list_webhooks(account["Deals"]["id"])[0]
    client.update_webhook(
        account["Deals"]["id"],
        hook["id"],
        {
            **{k: hook[k] for k in ("callback_url", "subscribe", "message_sent", "reply_received", "cleaned")},
            "unsubscribe": False,
        },
    )
    result = pull(api_env, path, "--all")
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert "    keyword_names:\n      - 'SALE'\n      - 'BARGAIN'\n    message_help" in text  # block style, quotes kept
    assert "keyword_names: [STORE]\n" in text  # flow style kept
    assert (
        '    custom_fields:\n      - key: city\n        label: "City: name"\n        content_type: text\n'
        "        max_length: 40\n"
    ) in text
    assert "max_length: 5    # US only" not in text
    assert "        subscribe: true\n        unsubscribe: false\n" in text
    assert "      # the CRM; its token comes from the environment\n" in text
    no_changes(api_env, path)


def test_a_new_webhooks_secret_becomes_a_placeholder_and_is_never_printed(api_env, client, tmp_path):
    path = applied(tmp_path, api_env)
    deals = lists(client)["Deals"]
    client.create_webhook(
        deals["id"], {"callback_url": f"https://hooks.acme.example/x?secret={NEW_TOKEN}", "subscribe": True}
    )
    result = pull(api_env, path, "--all")
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert NEW_TOKEN not in text and NEW_TOKEN not in result.output
    assert '      - callback_url: "https://hooks.acme.example/x?secret=${TATANGO_SECRET_DEALS_SECRET}"\n' in text
    assert "TATANGO_SECRET_DEALS_SECRET" in result.stderr
    plan = run_cli(
        ["plan", "--detailed-exitcode", str(path)], env={**env_for(api_env), "TATANGO_SECRET_DEALS_SECRET": NEW_TOKEN}
    )
    assert plan.exit_code == 0, plan.output


def test_a_changed_secret_keeps_its_template_and_names_the_variable(api_env, client, tmp_path):
    path = applied(tmp_path, api_env)
    deals = lists(client)["Deals"]
    hook = client.list_webhooks(deals["id"])[0]
    client.update_webhook(
        deals["id"], hook["id"], {**hook, "callback_url": f"https://crm.acme.example/in?token={NEW_TOKEN}"}
    )
    client.update_list(deals["id"], {"message_help": "Deals: help at desk@deals-pull.example. Text STOP to quit."})
    result = pull(api_env, path, "--all")
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert NEW_TOKEN not in text + result.output and TOKEN not in text + result.output
    assert 'callback_url: "https://crm.acme.example/in?token=${CRM_TOKEN}"' in text  # the template stays
    assert "differs in the value of ${CRM_TOKEN}" in result.stderr
    # The help text changed around the variable: the variable's value is put back as ${HELP_EMAIL}.
    assert 'message_help: "Deals: help at ${HELP_EMAIL}. Text STOP to quit."' in text
    plan = run_cli(["plan", "--detailed-exitcode", str(path)], env={**env_for(api_env), "CRM_TOKEN": NEW_TOKEN})
    assert plan.exit_code == 0, plan.output  # once the variable has the web UI's value, nothing to do


def test_a_variable_changed_in_place_is_named_never_written(api_env, client, tmp_path):
    path = applied(tmp_path, api_env)
    client.update_list(
        lists(client)["Deals"]["id"], {"message_help": "Deals: help at sms@deals-pull.example. Text STOP to end."}
    )
    result = pull(api_env, path, "--all")
    assert result.exit_code == 0, result.output
    assert path.read_text() == CONFIG
    assert "message_help differs in the value of ${HELP_EMAIL}" in result.stderr
    assert 'still planned after the pull (needs the variable set): update list["Deals"]' in result.stderr


def test_unmanaged_keys_stay_unmanaged(api_env, client, tmp_path):
    path = applied(tmp_path, api_env)
    stores = lists(client)["Stores"]
    client.update_list(stores["id"], {"message_help": "Stores help"})
    client.create_webhook(stores["id"], {"callback_url": "https://example.com/stores", "subscribe": True})
    client.create_custom_field(stores["id"], {"key": "k", "label": "K", "content_type": "text", "max_length": 3})
    result = pull(api_env, path, "--list", "Stores")
    assert result.exit_code == 0 and "Nothing to pull" in result.stdout
    assert path.read_text() == CONFIG


def test_a_pinned_list_renamed_in_the_web_ui_gets_its_new_name(api_env, client, tmp_path):
    path = applied(tmp_path, api_env)
    stores = lists(client)["Stores"]
    path.write_text(CONFIG.replace("  - name: Stores\n", f"  - name: Stores\n    id: {stores['id']}\n"))
    client.update_list(stores["id"], {"name": "Stores & Pickup"})
    result = pull(api_env, path, "--list", "Stores")
    assert result.exit_code == 0, result.output
    assert f"  - name: Stores & Pickup\n    id: {stores['id']}\n" in path.read_text()
    no_changes(api_env, path)


def test_opt_in_requests_are_pulled_by_position(api_env, client, tmp_path):
    config = CONFIG.replace(
        "  - name: Stores\n",
        """  - name: Stores
    opt_in_type: double
    opt_in_requests:
      - collected_data: zip_code
        request_message: "Zip?"
        success_action: nextrequest
      - collected_data: "yes"
        request_message: "Reply YES"
        success_action: optinsubscriber
""",
    )
    path = applied(tmp_path, api_env, config)
    stores = lists(client)["Stores"]
    client.set_opt_in_settings(
        stores["id"],
        {
            "opt_in_type": "double",
            "opt_in_requests": [
                {
                    "collected_data": "yes",
                    "request_message": "Reply YES now",
                    "retry_message": "YES?",
                    "success_action": "optinsubscriber",
                }
            ],
        },
    )
    result = pull(api_env, path, "--list", "Stores")
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert (
        '    opt_in_requests:\n      - collected_data: "yes"\n        request_message: "Reply YES now"\n'
        "        success_action: optinsubscriber\n        retry_message: YES?\n"
    ) in text
    no_changes(api_env, path)


def test_block_scalars_stay_block_scalars(api_env, client, tmp_path):
    config = CONFIG.replace(
        "    message_reply: plain reply text\n",
        "    message_reply: >-\n      A long reply text that an export writes folded\n"
        "      over two lines.\n    message_yes: |\n      Line one\n      Line two\n",
    )
    path = applied(tmp_path, api_env, config)
    client.update_list(
        lists(client)["Deals"]["id"], {"message_reply": "A shorter reply.", "message_yes": "Line one\nLine 2\n"}
    )
    result = pull(api_env, path, "--all")
    assert result.exit_code == 0, result.output
    assert (
        "    message_reply: >-\n      A shorter reply.\n    message_yes: |\n      Line one\n      Line 2\n"
        in path.read_text()
    )
    no_changes(api_env, path)


# ------------------------------------------------------------------ bad input


def test_pull_needs_a_choice_of_lists_and_a_known_name(api_env, tmp_path):
    path = tmp_path / "deals.yaml"
    path.write_text(CONFIG)
    neither = pull(api_env, path)
    assert neither.exit_code == 1 and "--list NAME (repeatable) or --all" in neither.stderr
    both = pull(api_env, path, "--all", "--list", "Deals")
    assert both.exit_code == 1
    typo = pull(api_env, path, "--list", "Deal")
    assert typo.exit_code == 1 and "did you mean 'Deals'" in typo.stderr
    assert "Traceback" not in neither.output + both.output + typo.output
    assert path.read_text() == CONFIG


def test_a_value_shared_through_an_anchor_is_left_to_a_person(api_env, client, tmp_path):
    config = CONFIG.replace("message_reply: plain reply text", "message_reply: &reply plain reply text").replace(
        "    keyword_names: [STORE, PICKUP]\n", "    keyword_names: [STORE, PICKUP]\n    message_reply: *reply\n"
    )
    path = applied(tmp_path, api_env, config)
    client.update_list(lists(client)["Deals"]["id"], {"message_reply": "changed"})
    result = pull(api_env, path, "--all")
    assert result.exit_code == 1
    assert f"{path}:12:20: the value is shared through the anchor &reply; edit it by hand" in result.stderr
    assert "nothing was written" in result.stderr and path.read_text() == config


def test_a_list_missing_from_the_account_is_reported_not_guessed(api_env, client, tmp_path):
    path = applied(tmp_path, api_env)
    client.delete_list(lists(client)["Stores"]["id"])
    result = pull(api_env, path, "--all")
    assert result.exit_code == 0
    assert "list 'Stores' is not in the account: nothing to pull" in result.stderr
    assert path.read_text() == CONFIG


# ------------------------------------------------------- values from templates and defaults

TEMPLATES = """version: 1
templates:
  store:
    message_help: "Store ${list.name}: help at desk@stores-pull.example. Text STOP to end."
    webhooks:
      - callback_url: "https://hooks.stores-pull.example/t?store=${var.store}"
        subscribe: true
"""
STORES = "version: 1\nlists:\n" + "".join(
    f"  - name: Store {i}\n    extends: store\n    vars: {{store: '{i}'}}\n" for i in range(2)
)


def test_a_value_from_a_template_is_written_at_the_list_never_into_the_template(api_env, client, tmp_path):
    root = tmp_path / "tatango"
    root.mkdir()
    (root / "account.yaml").write_text(TEMPLATES)
    (root / "stores.yaml").write_text(STORES)
    assert run_cli(["apply", "--auto-approve", str(root)], env=api_env).exit_code == 0
    store = lists(client)["Store 1"]
    client.update_list(store["id"], {"message_help": "Store 1 only: call 555-0100. Text STOP to end."})
    result = run_cli(["pull", "--list", "Store 1", str(root)], env=api_env)
    assert result.exit_code == 0, result.output
    assert (root / "account.yaml").read_text() == TEMPLATES  # shared by Store 0: untouched
    assert (root / "stores.yaml").read_text() == STORES.replace(
        "vars: {store: '1'}\n",
        "vars: {store: '1'}\n    message_help: \"Store 1 only: call 555-0100. Text STOP to end.\"\n",
    )
    assert run_cli(["plan", "--detailed-exitcode", str(root)], env=api_env).exit_code == 0
    hook = client.list_webhooks(store["id"])[0]
    client.update_webhook(store["id"], hook["id"], {**hook, "subscribe": False})
    shared = run_cli(["pull", "--list", "Store 1", str(root)], env=api_env)  # a collection: the list's own copy
    assert shared.exit_code == 0, shared.output
    assert (root / "account.yaml").read_text() == TEMPLATES
    assert run_cli(["plan", "--detailed-exitcode", str(root)], env=api_env).exit_code == 0
