"""The embedded `--sandbox` mode a newcomer starts with, and the remaining sandbox rules."""

from __future__ import annotations

import json

import pytest

from tatango_iac.api.client import ApiError
from tatango_iac.errors import PlanError
from tatango_iac.workflow import read_account
from tests.conftest import EXAMPLE_ENV, run_cli, seed
from tests.planning import desired_from


def test_plan_apply_plan_with_the_embedded_sandbox(examples_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = run_cli(["plan", "--sandbox", str(examples_copy)], env=EXAMPLE_ENV)
    assert first.exit_code == 0 and "Plan: 10 to create" in first.stdout
    assert (tmp_path / ".tatango-sandbox.json").exists()
    assert run_cli(["apply", "--sandbox", "--auto-approve", str(examples_copy)], env=EXAMPLE_ENV).exit_code == 0
    state = json.loads((tmp_path / ".tatango-sandbox.json").read_text())
    assert sorted(lst["name"] for lst in state["lists"].values()) == ["ACME Deals", "ACME Store Alerts", "ACME VIP"]
    again = run_cli(["plan", "--sandbox", "--detailed-exitcode", str(examples_copy)], env=EXAMPLE_ENV)
    assert again.exit_code == 0 and "No changes." in again.stdout
    other = tmp_path / "elsewhere.json"
    fresh = run_cli(["plan", "--sandbox", str(examples_copy)], env={**EXAMPLE_ENV, "TATANGO_SANDBOX_STATE": str(other)})
    assert "Plan: 10 to create" in fresh.stdout and other.exists()


def test_several_or_no_shortcodes(client, sandbox):
    config = desired_from({"lists": [{"name": "A", "keyword_names": ["NEWKW"]}]})
    state = sandbox.state.snapshot()
    seed(sandbox, {**state, "shortcodes": ["33733", "44844"]})
    with pytest.raises(PlanError, match=r"several short codes \(33733, 44844\): set account.shortcode"):
        read_account(client, config)
    seed(sandbox, {**state, "shortcodes": []})
    with pytest.raises(PlanError, match="no short code"):
        read_account(client, config)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda c: c.create_list({"name": "x" * 26}), "Name is too long (maximum is 25 characters)"),
        (lambda c: c.create_list({"name": "  "}), "Name can't be blank"),
        (lambda c: c.update_list(c.create_list({"name": "A"})["id"], {"name": ""}), "Name can't be blank"),
        (
            lambda c: c.request(
                "PUT", f"/lists/{c.create_list({'name': 'A'})['id']}/keywords", body={"keyword_names": "JOIN"}
            ),
            "keyword_names must be an array of strings",
        ),
        (lambda c: c.set_keywords(c.create_list({"name": "A"})["id"], ["A B"]), "invalid keyword names: A B"),
        (
            lambda c: c.set_opt_in_settings(c.create_list({"name": "A"})["id"], {"opt_in_type": "triple"}),
            "Opt in type is not included in the list",
        ),
        (
            lambda c: c.set_opt_in_settings(c.create_list({"name": "A"})["id"], {"opt_in_type": "double"}),
            "Opt in requests can't be blank for double opt-in",
        ),
        (
            lambda c: c.set_opt_in_settings(
                c.create_list({"name": "A"})["id"],
                {
                    "opt_in_type": "double",
                    "opt_in_requests": [
                        {"collected_data": "shoe_size", "request_message": "x", "success_action": "optinsubscriber"}
                    ],
                },
            ),
            "Opt in requests collected data is not included in the list",
        ),
        (
            lambda c: c.set_opt_in_settings(
                c.create_list({"name": "A"})["id"],
                {
                    "opt_in_type": "double",
                    "opt_in_requests": [
                        {"collected_data": "yes", "request_message": "", "success_action": "optinsubscriber"}
                    ],
                },
            ),
            "Opt in requests request message can't be blank",
        ),
        (
            lambda c: c.set_opt_in_settings(
                c.create_list({"name": "A"})["id"],
                {
                    "opt_in_type": "double",
                    "opt_in_requests": [
                        {
                            "collected_data": "yes",
                            "request_message": "x",
                            "follow_up": True,
                            "success_action": "optinsubscriber",
                        }
                    ],
                },
            ),
            "Opt in requests follow up hour can't be blank",
        ),
        (
            lambda c: c.create_custom_field(
                c.create_list({"name": "A"})["id"],
                {"key": "Bad Key", "label": "L", "content_type": "text", "max_length": 5},
            ),
            "Key must only contain lower case characters, numbers and underscores",
        ),
        (
            lambda c: c.create_custom_field(
                c.create_list({"name": "A"})["id"],
                {"key": "k", "label": "L", "content_type": "text", "max_length": 10000},
            ),
            "Max. characters must be less than or equal to 9999",
        ),
        (
            lambda c: c.create_custom_field(
                c.create_list({"name": "A"})["id"],
                {"key": "k", "label": "L", "pattern": "(", "content_type": "text", "max_length": 5},
            ),
            "Pattern is not a valid regular expression",
        ),
        (
            lambda c: c.create_custom_field(
                c.create_list({"name": "A"})["id"],
                {
                    "key": "k",
                    "label": "L",
                    "pattern": "^[0-9]+$",
                    "default_value": "x",
                    "content_type": "text",
                    "max_length": 5,
                },
            ),
            "Default value does not match pattern",
        ),
        (
            lambda c: c.create_webhook(c.create_list({"name": "A"})["id"], {"subscribe": True}),
            "Callback url can't be blank",
        ),
        (
            lambda c: c.request(
                "POST",
                f"/lists/{c.create_list({'name': 'A'})['id']}/subscribers",
                body={"subscriber": {"phone_number": "12"}},
            ),
            "Phone number is invalid",
        ),
        (
            lambda c: c.request("POST", "/lists", body={"name": "not wrapped"}),
            "param is missing or the value is empty: list",
        ),
    ],
)
def test_sandbox_validation_errors(client, call, error):
    with pytest.raises(ApiError) as err:
        call(client)
    assert err.value.status == 422 and err.value.error == error


def test_the_saved_plan_hint_is_a_command_that_works_as_printed(examples_copy, tmp_path, monkeypatch):
    """`plan --sandbox --out` names the apply command for the same (sandbox) account, and it runs."""
    import shlex

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "my plans" / "p.json"
    out.parent.mkdir()
    planned = run_cli(
        ["plan", "--sandbox", "--sandbox-profile", "faithful", "--out", str(out), str(examples_copy)], env=EXAMPLE_ENV
    )
    hint = planned.stderr.split("Apply it with: ", 1)[1].strip()
    words = shlex.split(hint)
    assert words[:2] == ["tatango-iac", "apply"] and "--sandbox" in words and words[-1] == str(out)
    applied = run_cli([*words[1:], "--auto-approve"], env=EXAMPLE_ENV)
    assert applied.exit_code == 0, applied.output
