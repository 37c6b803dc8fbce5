"""Secrets the API echoes back, and secret URL shapes (tester's findings M3 and M4).

M3: the secret parts of every configured callback URL (literal or ``${...}``) are registered with
the redactor before any request, so an API error that echoes one is masked, also cut short by a
few characters, in base64 (each byte alignment, both alphabets), hex and HTML-escaped.
M4: well-known secret URL shapes (Slack/Discord/Teams/Zapier hook paths, ?hmac=, ?code=, a
token-like value of any parameter, token-like fragments) are masked in every plan format and
warned about by validate; ordinary parameters stay readable.
"""

from __future__ import annotations

import base64
import html
import json
import time

import pytest

from tatango_iac.secrets import MASK, Redactor, mask_url, truncations
from tests.conftest import run_cli, set_faults

LITERAL = "sk_live_LITERALtok3n9876"
ENV_TOKEN = "envTokSECRET12345"
LITERAL_URL = f"https://hooks.acme.example/tatango/raw?secret={LITERAL}&x=1"


def _config(tmp_path, *urls: str):
    hooks = "".join(f'      - callback_url: "{url}"\n        subscribe: true\n' for url in urls)
    path = tmp_path / "hooks.yaml"
    path.write_text(
        'version: 1\nlists:\n  - name: ACME Echo\n    message_help: "ACME: Help at help@acme.example. Text STOP to'
        ' end. Msg&data rates may apply."\n    message_stop: "ACME: You are unsubscribed, no more msgs."\n'
        f"    webhooks:\n{hooks}"
    )
    return path


def _b64_runs(secret: str) -> list[str]:
    """The secret inside a longer text, base64-encoded at byte offsets 0, 1 and 2, in both alphabets."""
    runs = []
    for prefix in ("", "a", "ab"):
        raw = f"{prefix}callback={secret}&more".encode()
        runs += [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()]
    return runs


ECHOES = {
    "literal": f"raw {LITERAL}",
    "literal upper": f"raw {LITERAL.upper()}",
    "env cut by one": f"token {ENV_TOKEN[:-1]} refused",
    "env cut at the start": f"token {ENV_TOKEN[2:]} refused",
    "literal cut by three": f"secret {LITERAL[:-3]}...",
    "hex": f"debug {LITERAL.encode().hex()} / {ENV_TOKEN.encode().hex().upper()}",
    "html": f"<p>{html.escape('token=' + ENV_TOKEN + '&x=<1>')}</p>",
    **{f"base64 {i}": f"dump {run}" for i, run in enumerate(_b64_runs(LITERAL) + _b64_runs(ENV_TOKEN))},
}


@pytest.mark.parametrize("name", sorted(ECHOES))
def test_an_echoed_literal_or_env_secret_is_masked_in_every_output(tmp_path, sandbox, api_env, name):
    """The tester's reproduction: a 422 on POST webhooks whose body echoes a configured secret."""
    path = _config(tmp_path, "https://hooks.acme.example/tatango/loyal?token=${HOOK_TOKEN}", LITERAL_URL)
    body = {"status": "error", "error": ECHOES[name]}
    set_faults(
        sandbox,
        script=[{"method": "POST", "path": r"/webhooks$", "fault": "answer", "times": 5, "status": 422, "json": body}],
    )
    env = {**api_env, "HOOK_TOKEN": ENV_TOKEN}
    result = run_cli(["apply", "--auto-approve", str(path)], env=env)
    assert result.exit_code == 1 and "HTTP 422" in result.output, result.output
    assert MASK in result.output
    report = run_cli(["apply", "--auto-approve", "--format", "json", str(path)], env=env)
    for shown in (result.output, report.output):
        for secret in (LITERAL, ENV_TOKEN):
            folded = shown.casefold()
            assert all(piece.casefold() not in folded for piece in {secret, secret[:-1], secret[1:]}), shown
            assert secret.encode().hex() not in folded
        for run in _b64_runs(LITERAL) + _b64_runs(ENV_TOKEN):
            assert run not in shown and run[4:-8] not in shown


def test_the_echo_control_without_masking_shows_the_secret(tmp_path, sandbox, api_env):
    """The control: the scripted echo does reach the output (so the test above could fail)."""
    path = _config(tmp_path, "https://hooks.acme.example/tatango/plain")
    body = {"status": "error", "error": "raw plainword-echo-visible"}
    set_faults(
        sandbox, script=[{"method": "POST", "path": r"/webhooks$", "fault": "answer", "status": 422, "json": body}]
    )
    result = run_cli(["apply", "--auto-approve", str(path)], env=api_env)
    assert "HTTP 422: raw plainword-echo-visible" in result.output


def test_truncations_are_a_documented_rule_and_short_words_stay():
    assert truncations("abcdefghijk") == {"abcdefghij", "abcdefghi", "abcdefgh", "bcdefghijk", "cdefghijk", "defghijk"}
    assert truncations("abcdefgh") == set()  # never shorter than 8 characters
    redactor = Redactor()
    redactor.register("envTokSECRET12345")
    assert redactor.redact("envTok envTokSECRET1 envTokSECRET12 TokSECRET12345 SECRET12345") == (
        f"envTok envTokSECRET1 {MASK} {MASK} SECRET12345"
    )


def test_redaction_of_the_new_forms_stays_linear():
    redactor = Redactor()
    redactor.register(LITERAL, ENV_TOKEN, "pizza&fries<3")
    start = time.perf_counter()
    small = redactor.redact("x" * 100_000 + " " + LITERAL)
    small_time = time.perf_counter() - start
    start = time.perf_counter()
    big = redactor.redact("x" * 1_000_000 + " " + LITERAL)
    big_time = time.perf_counter() - start
    assert small.endswith(MASK) and big.endswith(MASK)
    assert big_time < max(small_time, 0.01) * 40  # ten times the text, far from a hundred times the time


SHAPES = [
    (
        "https://hooks.slack.com/services/T024BE7LD/B01ABCDEF12/abcdEFGHijklMNOPqrstUVWX",
        "https://hooks.slack.com/services/T024BE7LD/B01ABCDEF12/****",
        "abcdEFGHijklMNOPqrstUVWX",
        "path segment 4 (the Slack webhook token)",
    ),
    (
        "https://discord.com/api/webhooks/112233445566/aBcD-eFgH_iJ",
        "https://discord.com/api/webhooks/112233445566/****",
        "aBcD-eFgH_iJ",
        "path segment 4 (the Discord webhook token)",
    ),
    (
        "https://acme.webhook.office.com/webhookb2/a1@b2/IncomingWebhook/0f1e2d3c4b5a/77aa",
        "https://acme.webhook.office.com/webhookb2/a1@b2/IncomingWebhook/****/****",
        "0f1e2d3c4b5a",
        "path segment 4 (the Microsoft Teams webhook token)",
    ),
    (
        "https://hooks.zapier.com/hooks/catch/1234567/abcde12/",
        "https://hooks.zapier.com/hooks/catch/1234567/****/",
        "abcde12",
        "path segment 4 (the Zapier hook token)",
    ),
    ("https://h.example/t?hmac=HMACtok3n7777", "https://h.example/t?hmac=****", "HMACtok3n7777", "'hmac'"),
    ("https://h.example/t?code=CODEtok3n4444", "https://h.example/t?code=****", "CODEtok3n4444", "'code'"),
    (
        "https://h.example/t?s=ZmFrZS1zZWNyZXQtdmFsdWUtODg4OA&page=2",
        "https://h.example/t?s=****&page=2",
        "ZmFrZS1zZWNyZXQtdmFsdWUtODg4OA",
        "query parameter 's' (a token-like value)",
    ),
    ("https://h.example/t#FRAGtok3n5555", "https://h.example/t#****", "FRAGtok3n5555", "the fragment"),
    (
        "https://h.example/t#access_token=abc123def&state=1",
        "https://h.example/t#access_token=****&state=1",
        "abc123def",
        "fragment parameter 'access_token'",
    ),
    (
        "https://h.example/t?session_id=S3ss10n&private_key=pk9&credential=c1",
        "https://h.example/t?session_id=****&private_key=****&credential=****",
        "S3ss10n",
        "query parameter 'session_id'",
    ),
]


@pytest.mark.parametrize("url, shown, secret, part", SHAPES)
def test_well_known_secret_shapes_are_masked(url, shown, secret, part):
    assert mask_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "https://h.example/t?page=2&ref=tatango&utm_source=sms&utm_campaign=spring_sale",
        "https://h.example/hooks/tatango/subscribe#section-2",
        "https://h.example/CamelCaseHandler/subscriptions",
    ],
)
def test_ordinary_values_stay_readable(url):
    assert mask_url(url) == url


@pytest.mark.parametrize("url, shown, secret, part", SHAPES)
def test_secret_shapes_are_masked_in_every_plan_format_and_warned_by_validate(
    tmp_path, sandbox, api_env, url, shown, secret, part
):
    path = _config(tmp_path, url)
    for fmt in ("text", "json", "markdown"):
        result = run_cli(["plan", "--format", fmt, str(path)], env=api_env)
        assert result.exit_code in (0, 2), result.output
        assert secret not in result.output, (fmt, result.output)
        assert secret not in json.dumps(result.output)
    checked = run_cli(["validate", str(path)], env=api_env)
    assert "[webhook-secret-in-clear]" in checked.stdout and part in checked.stdout, checked.output
    assert "TATANGO_SECRET_ACME_ECHO_" in checked.stdout and secret not in checked.output
