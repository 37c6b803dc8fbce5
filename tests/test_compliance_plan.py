"""The plan shows what a change does to each message (§15): SMS parts and encoding before and after,
and each compliance rule the change breaks or fixes, in text, Markdown and JSON. End to end: the real
CLI against the sandbox over HTTP."""

from __future__ import annotations

import json

from tests.conftest import run_cli

RATES = " Msg&data rates may apply."
OPTIN = "ACME Deals: You agreed to receive recurring msgs. Txt STOP to end, HELP for help."


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def applied(api_env, config) -> None:
    result = run_cli(["apply", "--auto-approve", str(config)], env=api_env)
    assert result.exit_code == 0, result.output


def break_deals(config) -> None:
    deals = config / "lists" / "deals.yaml"
    edit(deals, OPTIN + RATES, OPTIN + " 😀")  # drops the rates disclosure, forces UCS-2
    edit(deals, "will not receive any more messages.", "will not receive any more messages. Shop at bit.ly/acme")


def test_text_plan_shows_parts_encoding_and_the_rules_a_change_breaks(api_env, examples_copy):
    applied(api_env, examples_copy)
    break_deals(examples_copy)
    result = run_cli(["plan", str(examples_copy)], env=api_env)
    assert result.exit_code == 1  # the examples make stop-marketing and url-shortener errors
    assert "message_stop has a URL ('bit.ly/acme') [stop-marketing]" in result.output
    edit(examples_copy / "account.yaml", "stop-marketing: error", "stop-marketing: warning")
    edit(examples_copy / "account.yaml", "url-shortener: error", "url-shortener: warning")
    result = run_cli(["plan", str(examples_copy)], env=api_env)
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.stdout.splitlines()]
    at = lines.index("~ first_optin_message:")
    assert lines[at + 4] == (
        "sms first_optin_message: 1 part GSM-7 (107 characters) -> 2 parts UCS-2 (84 characters): the emoji '😀'"
    )
    assert "! breaks rates-disclosure (warning): removes 'Msg&data rates may apply' from first_optin_message" in lines
    assert "! breaks stop-marketing (warning): adds a URL ('bit.ly/acme') to message_stop" in lines
    assert "! breaks url-shortener (warning): adds a public URL shortener (bit.ly) to message_stop" in lines
    assert "sms message_stop: 1 part GSM-7 (78 characters) -> 1 part GSM-7 (98 characters)" in lines
    assert "Compliance: this change breaks 5 message rule(s) and fixes 0 (lines marked ! above)." in lines


def test_a_change_that_fixes_a_rule_says_so(api_env, examples_copy):
    deals = examples_copy / "lists" / "deals.yaml"
    edit(deals, OPTIN + RATES, OPTIN)
    applied(api_env, examples_copy)
    edit(deals, OPTIN, OPTIN + RATES)
    result = run_cli(["plan", str(examples_copy)], env=api_env)
    assert "fixes rates-disclosure: adds 'Msg&data rates may apply' to first_optin_message" in result.stdout
    assert "Compliance: this change breaks 0 message rule(s) and fixes 1." in result.stdout
    markdown = run_cli(["plan", "--format", "markdown", str(examples_copy)], env=api_env).stdout
    assert "**Compliance:**" not in markdown  # the callout is for a change that breaks a rule


def test_markdown_puts_a_compliance_callout_at_the_top(api_env, examples_copy):
    applied(api_env, examples_copy)
    edit(examples_copy / "lists" / "deals.yaml", OPTIN + RATES, OPTIN)
    markdown = run_cli(["plan", "--format", "markdown", str(examples_copy)], env=api_env).stdout
    head = markdown.split("**Plan:", 1)[0]
    assert "> [!WARNING]\n> **Compliance:** this change breaks 1 message rule(s):" in head
    assert (
        "> - `list[\"ACME Deals\"]`: removes 'Msg&amp;data rates may apply' from first_optin_message "
        "(`rates-disclosure`, warning)"
    ) in head
    diff = markdown.split("```diff", 1)[1].splitlines()
    assert any(line.startswith("!") and "breaks rates-disclosure (warning)" in line for line in diff)  # in the diff too


def test_json_carries_the_review_outside_the_actions(api_env, examples_copy):
    applied(api_env, examples_copy)
    edit(examples_copy / "lists" / "deals.yaml", OPTIN + RATES, OPTIN + " 😀")
    data = json.loads(run_cli(["plan", "--format", "json", str(examples_copy)], env=api_env).stdout)
    review = data["compliance"]
    assert review["breaks"] == 3 and review["fixes"] == 0
    [message] = review["messages"]
    assert message["action"] == 1 and message["address"] == 'list["ACME Deals"]' and message["list"] == "ACME Deals"
    assert message["field"] == "first_optin_message"
    assert message["sms"] == {
        "before": {"length": 107, "parts": 1, "encoding": "GSM-7"},
        "after": {"length": 84, "parts": 2, "encoding": "UCS-2"},
        "summary": "1 part GSM-7 (107 characters) -> 2 parts UCS-2 (84 characters): the emoji '😀'",
    }
    assert [(b["rule"], b["severity"]) for b in message["breaks"]] == [
        ("gsm7", "warning"),
        ("rates-disclosure", "warning"),
        ("sms-length", "warning"),
    ]
    assert all("review" not in action for action in data["actions"])  # a reviewed plan's actions compare as before


def test_an_opt_in_request_change_is_reviewed_with_its_consent_context(api_env, examples_copy):
    applied(api_env, examples_copy)
    vip = examples_copy / "lists" / "vip.yaml"
    edit(vip, 'request_message: "ACME VIP: Reply YES for recurring', 'request_message: "ACME VIP: Welcome to recurring')
    result = run_cli(["plan", "--format", "json", str(examples_copy)], env=api_env)
    [message] = json.loads(result.stdout)["compliance"]["messages"]
    assert message["field"] == "opt_in_requests[3].request_message"
    assert [b["message"] for b in message["breaks"]] == ["removes how to agree ('Reply YES') from request_message"]
    text = run_cli(["plan", str(examples_copy)], env=api_env).stdout
    lines = [line.strip() for line in text.splitlines()]
    at = lines.index("~ opt_in_requests[3].request_message:")
    assert lines[at + 5].startswith("sms opt_in_requests[3].request_message: 1 part GSM-7")


def test_a_saved_plan_shows_the_same_review(api_env, examples_copy, tmp_path):
    applied(api_env, examples_copy)
    edit(examples_copy / "lists" / "deals.yaml", OPTIN + RATES, OPTIN)
    saved = tmp_path / "plan.json"
    fresh = run_cli(["plan", "--out", str(saved), str(examples_copy)], env=api_env)
    shown = run_cli(["show", str(saved)])
    assert shown.exit_code == 0, shown.output
    expected = "! breaks rates-disclosure (warning): removes 'Msg&data rates may apply' from first_optin_message"
    assert expected in fresh.stdout and expected in shown.stdout
    assert json.loads(saved.read_text())["compliance"]["breaks"] == 1


def test_a_new_list_is_reviewed_and_an_unchanged_account_has_no_review(api_env, examples_copy):
    data = json.loads(run_cli(["plan", "--format", "json", str(examples_copy)], env=api_env).stdout)
    fields = {(m["list"], m["field"]) for m in data["compliance"]["messages"]}
    assert ("ACME Deals", "message_help") in fields and ("ACME VIP", "opt_in_requests[3].opt_in_message") in fields
    assert data["compliance"]["breaks"] == 0  # the examples are compliant
    summary = next(m["sms"]["summary"] for m in data["compliance"]["messages"] if m["field"] == "message_stop")
    assert summary == "1 part GSM-7 (78 characters)"  # a new message: its own parts only
    applied(api_env, examples_copy)
    converged = json.loads(run_cli(["plan", "--format", "json", str(examples_copy)], env=api_env).stdout)
    assert converged["compliance"] == {"breaks": 0, "fixes": 0, "messages": []}


def test_a_message_from_a_secret_is_reviewed_in_its_template_form(api_env, examples_copy):
    secret = "promo-code-7f3a9c2e"
    deals = examples_copy / "lists" / "deals.yaml"
    edit(deals, OPTIN + RATES, OPTIN + " Code ${PROMO_CODE} →")
    env = {**api_env, "PROMO_CODE": secret}
    for fmt in ("text", "json", "markdown"):
        result = run_cli(["plan", "--format", fmt, str(examples_copy)], env=env)
        assert result.exit_code == 0, result.output
        assert secret not in result.output
    review = json.loads(run_cli(["plan", "--format", "json", str(examples_copy)], env=env).stdout)["compliance"]
    assert any("the character '→'" in m["sms"]["summary"] for m in review["messages"])
