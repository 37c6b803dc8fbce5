"""Compliance rules (§15): ids, catalogue, the account's severities, brand, keywords, linear time."""

from __future__ import annotations

import json
import time

import pytest

from tatango_iac.compliance import MessageContext, Policy, Rule, Severity, check_keyword, check_message
from tatango_iac.compliance.catalogue import CATALOGUE, catalogue_markdown, schema_lint_properties
from tatango_iac.compliance.encoding import change_summary, culprit, sms_info
from tatango_iac.config.loader import load
from tatango_iac.config.schema import load_schema
from tests.conftest import ROOT, run_cli
from tests.test_hostile import Deadline

OK_HELP = "ACME: 4 msgs/mo. Help: help@acme.example. Reply STOP to end. Msg&data rates may apply."
OK_STOP = "ACME: You are unsubscribed. No more messages will be sent."
OK_OPTIN = "ACME: Recurring msgs. Reply HELP for help, STOP to cancel. Msg&data rates may apply."


def write(tmp_path, body: str, name: str = "c.yaml"):
    path = tmp_path / name
    path.write_text("version: 1\n" + body, encoding="utf-8")
    return path


def found(tmp_path, body: str) -> list[tuple[int, int, str, str, str]]:
    _account, diagnostics = load([str(write(tmp_path, body))], {})
    return [(d.line, d.col, d.severity, d.rule, d.message) for d in diagnostics]


def rules_of(text: str, field: str = "message_help", **context) -> list[str]:
    return sorted(f.rule.value for f in check_message(field, text, MessageContext(**context)))


# ----------------------------------------------------------------- catalogue


def test_every_rule_has_a_catalogue_entry_with_a_source():
    assert set(CATALOGUE) == set(Rule)
    for info in CATALOGUE.values():
        assert info.checks and info.why and info.fields and info.sources, info.rule
        assert all(len(source) > 10 for source in info.sources)


def test_the_schema_lint_keys_are_the_catalogue():
    lint = load_schema()["properties"]["account"]["properties"]["lint"]["properties"]
    assert lint == schema_lint_properties()
    assert "keyword-reserved" not in lint  # the eight carrier commands are not the account's choice


def test_the_readme_catalogue_is_generated_from_the_code():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- BEGIN RULE CATALOGUE -->\n", 1)[1].split("\n<!-- END RULE CATALOGUE -->", 1)[0]
    assert section == catalogue_markdown(), "run: python -m tatango_iac.config.docs --write"
    for rule in Rule:
        assert f"| `{rule.value}` |" in section


# ----------------------------------------------------------------- severities


@pytest.mark.parametrize(
    "setting, severity",
    [("error", "error"), ("warning", "warning"), ("true", "warning"), ("'off'", None), ("off", None), ("false", None)],
)
def test_severity_per_rule_is_the_accounts_choice(tmp_path, setting, severity):
    body = (
        f"account:\n  lint: {{help-contact: {setting}}}\nlists:\n  - name: A\n"
        "    message_help: 'ACME: 4 msgs/mo. Reply STOP to end. Msg&data rates may apply.'\n"
    )
    hits = [(line, col, sev, rule) for line, col, sev, rule, _m in found(tmp_path, body)]
    assert hits == ([(6, 19, severity, "help-contact")] if severity else [])


def test_an_error_severity_fails_validate_and_plan_with_the_location(tmp_path, api_env):
    path = write(
        tmp_path,
        "account:\n  lint: {stop-marketing: error}\nlists:\n  - name: A\n"
        "    message_stop: 'ACME: You are unsubscribed. Shop now at acme.example!'\n",
    )
    result = run_cli(["validate", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{path}:6:19: error: message_stop has a URL ('acme.example') [stop-marketing]" in result.stdout
    assert f"{path}:6:19: error: message_stop has an offer ('Shop now') [stop-marketing]" in result.stdout
    plan = run_cli(["plan", str(path)], env=api_env)
    assert plan.exit_code == 1 and "[stop-marketing]" in plan.output


def test_strict_turns_warnings_into_errors_and_annotations_carry_the_rule_id(tmp_path):
    path = write(tmp_path, "lists:\n  - name: A\n    message_stop: 'Bye'\n")
    assert run_cli(["validate", str(path)]).exit_code == 0
    assert run_cli(["validate", "--strict", str(path)]).exit_code == 1
    github = run_cli(["validate", "--format", "github", str(path)]).stdout.splitlines()
    assert github == [
        f"::warning file={path},line=4,col=19,title=stop-confirmation::message_stop lacks a "
        "confirmation of the opt-out ('You are unsubscribed. No more messages will be sent.')"
    ]
    report = json.loads(run_cli(["validate", "--format", "json", str(path)]).stdout)
    assert [d["rule"] for d in report["diagnostics"]] == ["stop-confirmation"]


@pytest.mark.parametrize(
    "lint, message",
    [
        ("{help-contact: warn}", 'account.lint.help-contact: "warn" is not one of'),
        ("{help-contact: 3}", "account.lint.help-contact: 3 is not one of"),
        ("{no-such-rule: error}", "unknown key 'no-such-rule' in account.lint"),
    ],
)
def test_a_bad_severity_is_refused_with_its_location(tmp_path, lint, message):
    path = write(tmp_path, f"account:\n  lint: {lint}\n")
    result = run_cli(["validate", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{path}:3:" in result.stdout and message in result.stdout


def test_a_rule_that_is_off_is_not_computed(monkeypatch):
    import tatango_iac.compliance.check as check

    calls = []
    monkeypatch.setitem(check._CHECKS, Rule.HELP_CONTACT, lambda text, c: calls.append(text) or [])
    policy = Policy.from_settings({"help-contact": "off"})
    check_message("message_help", "hi", MessageContext(), policy.enabled())
    assert calls == []
    check_message("message_help", "hi", MessageContext(), Policy.from_settings({}).enabled())
    assert calls == ["hi"]


def test_old_keys_map_onto_the_rules_they_were_split_into():
    policy = Policy.from_settings({"optin-disclosure": False, "help-content": "error", "help-instructions": True})
    assert policy.severity(Rule.RATES_DISCLOSURE) is Severity.OFF
    assert policy.severity(Rule.HELP_INSTRUCTIONS) is Severity.WARNING  # its own key wins
    assert policy.severity(Rule.HELP_CONTACT) is Severity.ERROR


# ----------------------------------------------------------------- brand


def test_brand_from_the_account_and_per_list(tmp_path):
    body = (
        "account:\n  brand: ACME\nlists:\n"
        f"  - name: A\n    message_stop: '{OK_STOP}'\n"
        "  - name: B\n    message_stop: 'You are unsubscribed. No more messages will be sent.'\n"
        "  - name: C\n    brand: Bean Co\n    message_stop: '" + OK_STOP + "'\n"
        "  - name: D\n    brand: null\n    message_stop: 'You are unsubscribed. No more messages will be sent.'\n"
    )
    hits = [(line, rule, message) for line, _c, _s, rule, message in found(tmp_path, body)]
    assert hits == [
        (8, "brand-name", "message_stop lacks the brand name 'ACME'"),
        (11, "brand-name", "message_stop lacks the brand name 'Bean Co'"),
    ]


def test_no_brand_check_when_no_brand_is_set():
    assert rules_of("You are unsubscribed. No more messages will be sent.", "message_stop") == []
    assert rules_of("You are unsubscribed. No more messages will be sent.", "message_stop", brand="ACME") == [
        "brand-name"
    ]
    assert rules_of("acme   rewards: you are unsubscribed.", "message_stop", brand="ACME Rewards") == []


# ----------------------------------------------------------------- rules on text


@pytest.mark.parametrize(
    "text, expected",
    [
        (OK_HELP, []),
        (
            "ACME: msgs from time to time. Help: help@acme.example. Reply STOP to end. Msg&data rates may apply.",
            ["frequency-vague"],
        ),
        ("ACME: Help: help@acme.example. Reply STOP to end. Msg&data rates may apply.", ["frequency-disclosure"]),
        ("ACME: 4 msgs/mo. Help: help@acme.example. STOP. Msg&data rates may apply.", ["stop-instructions"]),
        ("ACME: 4 msgs/mo. Help: (800) 555-0100. Reply STOP to end. Message and data rates may apply.", []),
        ("ACME: 4 msgs/mo. Help: https://acme.example/help. Text STOP to quit. Msg & data rates apply.", []),
    ],
)
def test_help_replies(text, expected):
    assert rules_of(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (OK_STOP, []),
        ("ACME: You are unsubscribed. Reply START, UNSTOP or HELP.", []),
        ("ACME: You are unsubscribed. Text DEALS to 12345 for our deals list.", ["stop-marketing"]),
        ("ACME: You are unsubscribed. Everything is $5 today.", ["stop-marketing"]),
        ("ACME: You are unsubscribed. Visit https://acme.example", ["stop-marketing"]),
        ("ACME: You are unsubscribed. Free shipping on your next order!", ["stop-marketing"]),
        ("ACME: OK.", ["stop-confirmation"]),
    ],
)
def test_stop_replies(text, expected):
    assert rules_of(text, "message_stop") == expected


@pytest.mark.parametrize(
    "field, context, text, expected",
    [
        (
            "message_yes",
            {},
            "ACME: Reply YES for recurring autodialed marketing msgs. No purchase rqd. Msg&data rates may apply.",
            [],
        ),
        (
            "message_yes",
            {},
            "ACME: Reply YES for msgs. Msg&data rates may apply.",
            ["consent-wording", "consent-wording"],
        ),
        (
            "request_message",
            {"asks_consent": True},
            "Reply with your zip code.",
            ["consent-wording", "consent-wording", "consent-wording", "rates-disclosure"],
        ),
        ("request_message", {"asks_consent": False}, "Reply with your zip code.", []),
    ],
)
def test_consent_wording_where_consent_is_asked(field, context, text, expected):
    assert rules_of(text, field, **context) == expected


@pytest.mark.parametrize(
    "field",
    [
        "message_yes",
        "message_help",
        "message_stop",
        "message_reply",
        "message_already_subscribed",
        "first_optin_message",
        "second_optin_message",
        "request_message",
        "retry_message",
        "no_response_message",
        "opt_in_message",
        "second_opt_in_message",
    ],
)
def test_shorteners_and_run_together_opt_out_words_anywhere(field):
    for text, rule in (
        ("See bit.ly/x2", "url-shortener"),
        ("See https://TinyURL.com/abc", "url-shortener"),
        ("Txt stop2quit", "opt-out-wording"),
        ("STOP2END", "opt-out-wording"),
    ):
        assert rule in rules_of(text, field)
    for text in ("See acme.example/bit.ly", "Nonstop deals, stopping by?", "end-to-end"):
        assert not {"url-shortener", "opt-out-wording"} & set(rules_of(text, field))


def test_reserved_keywords_extended():
    assert check_keyword("stop") is Rule.KEYWORD_RESERVED
    assert [check_keyword(k) for k in ("START", "unstop", "OPTOUT", "REVOKE")] == [Rule.KEYWORD_RESERVED_EXTENDED] * 4
    assert [check_keyword(k) for k in ("ALTO", "INICIO", "AUXILIO", "YES")] == [Rule.KEYWORD_RESERVED_ADVISORY] * 4
    assert check_keyword("DEALS") is None


def test_reserved_keywords_in_validate_and_their_severities(tmp_path):
    body = "lists:\n  - name: A\n    keyword_names: [STOP, START, ALTO, DEALS]\n"
    hits = [(col, sev, rule) for _l, col, sev, rule, _m in found(tmp_path, body)]
    assert hits == [
        (21, "error", "keyword-reserved"),
        (27, "warning", "keyword-reserved-extended"),
        (34, "warning", "keyword-reserved-advisory"),
    ]
    messages = [m for *_x, m in found(tmp_path, body)]
    assert "refused if the plan writes it new" in messages[1]
    off = "account:\n  lint: {keyword-reserved-extended: off, keyword-reserved-advisory: error}\n" + body
    # At error, a keyword rule refuses a keyword the plan claims new (a warning in validate, like START above).
    assert [(sev, rule) for _l, _c, sev, rule, _m in found(tmp_path, off)] == [
        ("error", "keyword-reserved"),
        ("warning", "keyword-reserved-advisory"),
    ]


def test_a_new_reserved_keyword_is_refused_by_the_plan_a_live_one_kept(tmp_path, api_env, sandbox):
    path = write(tmp_path, "lists:\n  - name: A\n    keyword_names: [REVOKE]\n")
    result = run_cli(["plan", str(path)], env=api_env)
    assert result.exit_code == 1 and "[keyword-reserved-extended]" in result.output
    warn = write(
        tmp_path,
        "account:\n  lint: {keyword-reserved-extended: warning}\nlists:\n  - name: A\n    keyword_names: [REVOKE]\n",
        "w.yaml",
    )
    assert run_cli(["apply", "--auto-approve", str(warn)], env=api_env).exit_code == 0
    kept = run_cli(["plan", "--detailed-exitcode", str(path)], env=api_env)  # the account holds it: kept
    assert kept.exit_code == 0, kept.output


# ----------------------------------------------------------------- encoding


def test_encoding_and_the_character_that_forces_ucs2():
    assert sms_info("a" * 160).parts == 1 and sms_info("a" * 161).parts == 2 and sms_info("a" * 307).parts == 3
    assert sms_info("😀" * 35).length == 70 and sms_info("😀" * 35).parts == 1
    assert culprit("Hi 😀") == "the emoji '😀'" and culprit("It\u2019s") == "the curly quote '\u2019'"
    assert culprit("→") == "the character '→' (U+2192)" and culprit("plain") == ""
    assert change_summary("Hello", "Hello 😀") == (
        "1 part GSM-7 (5 characters) -> 1 part UCS-2 (8 characters): the emoji '😀'"
    )
    assert change_summary(None, "a" * 200) == "2 parts GSM-7 (200 characters)"
    assert change_summary("a", None) == "1 part GSM-7 (1 characters) -> none"


# ----------------------------------------------------------------- bounded work


HOSTILE = [
    "a" * 200_000,
    "stop" * 50_000,
    "reply " * 40_000,
    "1" * 200_000,
    "msg & data " * 20_000,
    "$" * 200_000,
    "http://" * 30_000,
    "a." * 100_000,
    "@" * 200_000,
    "help for " * 25_000,
    "Reply STOP2" * 20_000,
    "9" * 5 + " 1-800-" * 30_000,
    "😀" * 100_000,
]


@pytest.mark.parametrize(
    "field, context",
    [
        ("message_help", {"brand": "ACME"}),
        ("message_stop", {"brand": "x" * 50}),
        ("message_yes", {}),
        ("first_optin_message", {"brand": "ACME"}),
    ],
)
def test_every_check_is_linear_in_the_text(field, context):
    def cost(text: str) -> float:
        start = time.process_time()
        check_message(field, text, MessageContext(**context))
        return time.process_time() - start

    with Deadline(20):
        for text in HOSTILE:
            cost(text)  # none may take seconds
        # Doubling the text at most roughly doubles the time (a quadratic check would quadruple it).
        small, large = HOSTILE[0][:50_000] + HOSTILE[1][:50_000], HOSTILE[0][:100_000] + HOSTILE[1][:100_000]
        assert cost(large) < 4 * cost(small) + 0.05


def test_a_message_that_takes_a_secret_is_checked_in_its_template_form(tmp_path):
    path = write(
        tmp_path,
        "lists:\n  - name: A\n    message_stop: 'ACME: You are unsubscribed. ${PROMO_URL}'\n"
        "    message_reply: '${REPLY_TEXT}'\n",
    )
    env = {"PROMO_URL": "bit.ly/s3cr3tv4lue", "REPLY_TEXT": "sale stop2quit s3cr3tw0rd"}
    for fmt in ("text", "json", "github"):
        result = run_cli(["validate", "--format", fmt, str(path)], env=env)
        assert "s3cr3t" not in result.output and "stop2quit" not in result.output and "bit.ly" not in result.output
    assert "[stop-instructions]" in run_cli(["validate", str(path)], env=env).stdout  # still checked, as written
