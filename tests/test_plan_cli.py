"""`tatango-iac plan` end to end: the real CLI against the sandbox over HTTP."""

from __future__ import annotations

import json

from tatango_iac.engine.diffs import field_changes
from tatango_iac.engine.plan import Action, Plan
from tatango_iac.engine.render import GITHUB_COMMENT_LIMIT, render_markdown, render_text, render_text_tty
from tests.conftest import EXAMPLE_ENV, run_cli

TOKEN = EXAMPLE_ENV["ACME_WEBHOOK_TOKEN"]


def test_plan_text_on_a_fresh_account(api_env, examples_copy):
    result = run_cli(["plan", str(examples_copy)], env=api_env)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("Plan: 10 to create, 0 to update, 0 to replace, 0 to delete.")
    assert '+ list["ACME VIP"] (create)' in result.stdout
    assert (
        'list["ACME VIP"].webhook["https://hooks.acme-retail.example/tatango/vip?token=${ACME_WEBHOOK_TOKEN}"]'
        in result.stdout
    )
    assert "\x1b[" not in result.stdout  # no colour when not a terminal
    assert TOKEN not in result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 120  # long values are wrapped


def test_detailed_exitcode(api_env, examples_copy):
    assert run_cli(["plan", "--detailed-exitcode", str(examples_copy)], env=api_env).exit_code == 2
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    converged = run_cli(["plan", "--detailed-exitcode", str(examples_copy)], env=api_env)
    assert converged.exit_code == 0 and "No changes." in converged.stdout
    broken = run_cli(["plan", "--detailed-exitcode", str(examples_copy / "nope")], env=api_env)
    assert broken.exit_code == 1


def test_plan_json_is_documented_and_ordered(api_env, examples_copy):
    result = run_cli(["plan", "--format", "json", str(examples_copy)], env=api_env)
    data = json.loads(result.stdout)
    assert data["format_version"] == "2"
    assert set(data) >= {"format_version", "actions", "summary", "unmanaged_lists", "config", "fingerprints", "drift"}
    assert [a["index"] for a in data["actions"]] == list(range(1, 11))
    assert data["summary"] == {
        "create": 10,
        "update": 0,
        "replace": 0,
        "delete": 0,
        "destructive": 0,
        "blocked": 0,
        "changes": True,
        "subscribers_affected": 0,
        "subscribers_unknown": 0,
        "conversations_changed": 0,
        "conversations_unknown": 0,
        "over_limit": False,
    }
    first = data["actions"][0]
    assert set(first) >= {"action", "resource", "address", "before", "after", "destructive", "changes", "reason_code"}
    assert {a["reason_code"] for a in data["actions"]} == {"create_because_missing"}
    assert TOKEN not in result.stdout
    hook = next(a for a in data["actions"] if a["resource"] == "webhook" and "vip" in a["address"])
    assert hook["after"]["callback_url"] == "https://hooks.acme-retail.example/tatango/vip?token=${ACME_WEBHOOK_TOKEN}"


def test_plan_markdown(api_env, examples_copy):
    result = run_cli(["plan", "--format", "markdown", str(examples_copy)], env=api_env)
    assert result.stdout.startswith("### tatango-iac plan")
    assert (
        "| 10 | 0 | 0 | 0 | 0 |" in result.stdout and "<details><summary>Show 10 action(s)</summary>" in result.stdout
    )
    assert TOKEN not in result.stdout


def test_plan_out_saves_no_secret_and_no_api_key(api_env, examples_copy, tmp_path):
    out = tmp_path / "plan.json"
    result = run_cli(["plan", "--out", str(out), str(examples_copy)], env=api_env)
    assert result.exit_code == 0 and "Saved the plan" in result.stderr
    text = out.read_text()
    saved = json.loads(text)
    assert saved["config"]["digest"].startswith("hmac-sha256:") and saved["fingerprints"]["lists"]
    assert TOKEN not in text and api_env["TATANGO_API_KEY"] not in text


def test_unavailable_keyword_fails_the_plan_with_its_location(api_env, examples_copy):
    path = examples_copy / "lists" / "deals.yaml"
    path.write_text(path.read_text().replace("[SAVE, SALE, COUPONS]", "[SAVE, PIZZA, COUPONS]"))
    result = run_cli(["plan", str(examples_copy)], env=api_env)
    assert result.exit_code == 1
    assert f"{path}:6:27: keyword 'PIZZA' of list 'ACME Deals' is not available on short code 33733" in result.stderr


def test_config_errors_are_reported_before_any_call(api_env, examples_copy, sandbox):
    (examples_copy / "bad.yaml").write_text("version: 1\nlists:\n  - nam: x\n")
    result = run_cli(["plan", str(examples_copy)], env=api_env)
    assert result.exit_code == 1 and "unknown key 'nam'" in result.stderr and "Traceback" not in result.output
    assert sandbox.api_requests() == []


def test_missing_credentials_and_insecure_url(examples_copy):
    no_creds = run_cli(["plan", str(examples_copy)], env=EXAMPLE_ENV)
    assert no_creds.exit_code == 1 and "set TATANGO_EMAIL and TATANGO_API_KEY" in no_creds.stderr
    insecure = run_cli(
        ["plan", str(examples_copy)],
        env={
            **EXAMPLE_ENV,
            "TATANGO_EMAIL": "a",
            "TATANGO_API_KEY": "b",
            "TATANGO_API_URL": "http://api.example.com/v2",
        },
    )
    assert insecure.exit_code == 1 and "plain http" in insecure.stderr


def test_api_failures_are_one_line_errors(api_env, examples_copy, sandbox):
    from tests.conftest import set_faults

    set_faults(sandbox, rate=1.0, kinds=["html403"])
    result = run_cli(["plan", str(examples_copy)], env=api_env)
    assert result.exit_code == 1
    assert "API call failed: GET /lists: HTTP 403 with a non-JSON body" in result.stderr
    assert "Traceback" not in result.output


def test_target_on_the_command_line(api_env, examples_copy):
    result = run_cli(["plan", "--target", "ACME Deals", str(examples_copy)], env=api_env)
    assert "ACME VIP" not in result.stdout and "Plan: 3 to create" in result.stdout


def test_unmanaged_lists_are_listed(api_env, examples_copy, client):
    client.create_list({"name": "Made in the web UI"}, ["WEBUI"])
    result = run_cli(["plan", str(examples_copy)], env=api_env)
    assert (
        "Unmanaged lists" in result.stdout
        and '"Made in the web UI" (id 1, 0 subscribers, keywords WEBUI)' in result.stdout
    )


# ------------------------------------------------------------------ renderers


def _plan(n: int, text: str = "x") -> Plan:
    actions = [
        Action(
            "update",
            "list",
            f'list["L{i}"]',
            f"L{i}",
            before={"message_help": "old " + text},
            after={"message_help": "new " + text},
            list_id=i,
            changes=field_changes({"message_help": "old " + text}, {"message_help": "new " + text}),
        )
        for i in range(n)
    ]
    return Plan(actions=actions)


def test_text_colour_only_through_the_tty_renderer():
    plain_text = render_text(_plan(1))
    assert "\x1b[" not in plain_text and '~ list["L0"] (update)' in plain_text
    # A changed text is a - old line and a + new line.
    assert '~ message_help:\n         -     "old x"\n         +     "new x"' in plain_text
    assert "\x1b[" in render_text_tty(_plan(1))


def test_markdown_is_truncated_safely_under_the_github_limit():
    huge = _plan(400, "y" * 400)
    md = render_markdown(huge)
    assert len(md) < GITHUB_COMMENT_LIMIT
    assert "Output truncated" in md and md.rstrip().endswith("</details>")
    assert md.count("```") % 2 == 0  # fences balanced
    assert "Plan: 0 to create, 400 to update" in md  # the summary survives truncation


def test_markdown_fence_survives_backticks_in_messages():
    md = render_markdown(_plan(1, "```rm -rf```"))
    assert "````diff" in md


def test_destructive_actions_are_called_out():
    plan = Plan(
        actions=[
            Action(
                "delete",
                "list",
                'list["Old"]',
                "Old",
                before={"name": "Old"},
                destructive=True,
                subscribers=1500,
                list_id=3,
            )
        ]
    )
    text = render_text(plan)
    assert '- list["Old"] (delete; DESTRUCTIVE; 1,500 subscribers)' in text
    assert "1 destructive action(s): apply needs --allow-destroy." in text
    assert "> **Warning:** 1 destructive action(s)" in render_markdown(plan)
