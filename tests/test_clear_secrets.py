"""validate warns on a secret written in clear in a callback URL (issue 18 point 6)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli

SECRET = "s3cr3t-Value-9f8e7d"


def config(tmp_path, url: str):
    path = tmp_path / "hooks.yaml"
    path.write_text(f'version: 1\nlists:\n  - name: ACME VIP\n    webhooks:\n      - callback_url: "{url}"\n')
    return path


@pytest.mark.parametrize(
    "url, part, variable",
    [
        (f"https://h.example/t?list=5&token={SECRET}", "query parameter 'token'", "TATANGO_SECRET_ACME_VIP_TOKEN"),
        (
            f"https://h.example/t?X-Signature={SECRET}",
            "query parameter 'X-Signature'",
            "TATANGO_SECRET_ACME_VIP_X_SIGNATURE",
        ),
        (f"https://bot:{SECRET}@h.example/t", "the password in its user info", "TATANGO_SECRET_ACME_VIP_PASSWORD"),
        (
            "https://hooks.example/services/T0001/B0002/AbCdEf0123456789xyz",
            "path segment 4 (a token-like value)",
            "TATANGO_SECRET_ACME_VIP_PATH_4",
        ),
        (f"https://h.example/${{HOOK_PATH}}?sig={SECRET}", "query parameter 'sig'", "TATANGO_SECRET_ACME_VIP_SIG"),
    ],
)
def test_a_literal_secret_is_named_never_printed(tmp_path, url, part, variable):
    path = config(tmp_path, url)
    env = {"HOOK_PATH": "p"}
    text = run_cli(["validate", str(path)], env=env)
    assert text.exit_code == 0  # a warning: the configuration still works
    assert f"{path}:5:23: warning: callback_url has a secret written in clear: {part} (value not shown)" in text.stdout
    assert f"write it as ${{{variable}}} and set {variable} in the environment" in text.stdout
    assert "[webhook-secret-in-clear]" in text.stdout
    for fmt in ("text", "json", "github"):
        shown = run_cli(["validate", "--format", fmt, str(path)], env=env)
        assert SECRET not in shown.output and "AbCdEf0123456789xyz" not in shown.output
    data = json.loads(run_cli(["validate", "--format", "json", str(path)], env=env).stdout)
    assert [d["rule"] for d in data["diagnostics"]] == ["webhook-secret-in-clear"]
    assert run_cli(["validate", "--strict", str(path)], env=env).exit_code == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://h.example/t?token=${TOKEN}",
        "https://bot:${PASSWORD}@h.example/t",
        "https://h.example/t?list=5&page=2",
        "https://h.example/services/${HOOK}",
        "https://h.example/t?token=${TOKEN:-}",
    ],
)
def test_secrets_through_variables_and_ordinary_urls_are_quiet(tmp_path, url):
    path = config(tmp_path, url)
    result = run_cli(["validate", str(path)], env={"TOKEN": SECRET, "PASSWORD": SECRET, "HOOK": "AbCdEf0123456789xyz"})
    assert result.exit_code == 0 and "webhook-secret-in-clear" not in result.output, result.output
