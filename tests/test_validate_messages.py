"""Tester L6: validate says each problem once, and says what is wrong with a URL it cannot show."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli

HEAD = 'version: 1\nlists:\n  - name: A\n    message_help: "ACME: Help at help@acme.example. Text STOP to end."\n'


def test_each_missing_key_is_reported_once(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(HEAD + "    opt_in_type: double\n    opt_in_requests:\n      - follow_up: false\n")
    result = run_cli(["validate", str(path)])
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if "missing required key" in line]
    assert lines == [
        f"{path}:7:9: error: lists[0].opt_in_requests[0]: missing required key '{key}' [schema]"
        for key in ("collected_data", "request_message", "success_action")
    ], result.stdout
    data = json.loads(run_cli(["validate", "--format", "json", str(path)]).stdout)
    messages = [(d["line"], d["col"], d["message"]) for d in data["diagnostics"]]
    assert len(messages) == len(set(messages)) == data["error_count"] + data["warning_count"]


@pytest.mark.parametrize(
    "url, shown, problem, secret",
    [
        ("http://[::1", "http://…", "unclosed '[' in the host", None),
        ("https://h]x/t?token=s3cretTOKEN99", "https://…", "a ']' without its '[' in the host", "s3cretTOKEN99"),
        ("https://[zz::tok3nVALUE]/t", "https://…", "the host in [...] is not an IPv6 address", "tok3nVALUE"),
        (
            "https://user:pa55wordXYZ/hook",
            "https://…",
            "the port (after ':' in the host part) is not a number from 0 to 65535",
            "pa55wordXYZ",
        ),
    ],
)
def test_an_invalid_url_says_what_is_wrong_never_the_secret(tmp_path, url, shown, problem, secret):
    path = tmp_path / "a.yaml"
    path.write_text(HEAD + f'    webhooks:\n      - callback_url: "{url}"\n')
    result = run_cli(["validate", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{path}:6:23: error: callback_url '{shown}' is not a valid URL: {problem}" in result.stdout, result.stdout
    assert "'****'" not in result.stdout
    if secret:
        assert secret not in result.output
        assert secret not in run_cli(["validate", "--format", "json", str(path)]).output


def test_a_url_that_parses_keeps_its_message(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(HEAD + '    webhooks:\n      - callback_url: "ftp://x/A?token=s3cretTOKEN99"\n')
    result = run_cli(["validate", str(path)])
    assert "callback_url 'ftp://x/A?token=****' is not an http(s) URL with a host" in result.stdout, result.stdout
