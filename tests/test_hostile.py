"""Issue 13, items 2-4 and 8: nothing lost, nothing leaked, nothing hangs.

Each test fails before its fix: silent skips, blocking reads, quadratic or exponential
work, secrets in clear, raw control characters on the terminal.
"""

from __future__ import annotations

import base64
import os
import re
import signal

import pytest

from tatango_iac import workflow
from tatango_iac.config.loader import load
from tests.conftest import run_cli, set_faults

SECRET = "tok9c1f0e2d3b4a5968"


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


class Deadline:
    """Fail a test that takes longer than it may (a quadratic blow-up, or a hang), instead of hanging CI.

    The limit is CPU time of this process (ITIMER_PROF), so a loaded machine (a shared CI
    runner, parallel jobs) does not fail a linear-time check; a generous wall-clock alarm
    (ten times the limit) still catches a hang that burns no CPU."""

    WALL_FACTOR = 10

    def __init__(self, seconds: int):
        self.seconds = seconds

    def __enter__(self):
        signal.signal(signal.SIGPROF, self._cpu_expired)
        signal.signal(signal.SIGALRM, self._wall_expired)
        signal.setitimer(signal.ITIMER_PROF, self.seconds)
        signal.alarm(self.seconds * self.WALL_FACTOR)

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.alarm(0)

    def _cpu_expired(self, signum, frame):
        raise TimeoutError(f"took longer than {self.seconds} s of CPU")

    def _wall_expired(self, signum, frame):
        raise TimeoutError(f"took longer than {self.seconds * self.WALL_FACTOR} s (a hang?)")


# ------------------------------------------------------------ nothing skipped


def test_an_unreadable_sub_directory_is_an_error_not_a_silent_skip(tmp_path, monkeypatch):
    (tmp_path / "main.yaml").write_text("version: 1\naccount: {prune: true}\nlists:\n  - name: A\n")
    hidden = tmp_path / "teams"
    hidden.mkdir()
    (hidden / "b.yaml").write_text("version: 1\nlists:\n  - name: B\n")
    if os.geteuid() == 0:  # root reads everything: make the directory unreadable the way the OS would
        real_scandir = os.scandir

        def scandir(path="."):
            if os.path.realpath(path) == str(hidden):
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
    else:
        hidden.chmod(0)
    try:
        account, diagnostics = load([str(tmp_path)], {})
    finally:
        hidden.chmod(0o755)
    assert account is None  # so no plan is made that would prune the lists teams/ manages
    assert [(d.file, d.message) for d in diagnostics] == [(str(hidden), "cannot read directory: Permission denied")]


@pytest.mark.parametrize("how", ["in a directory", "named explicitly"])
def test_a_fifo_named_yaml_is_refused_without_being_opened(tmp_path, how):
    fifo = tmp_path / "trap.yaml"
    os.mkfifo(fifo)
    (tmp_path / "ok.yaml").write_text("version: 1\nlists:\n  - name: A\n")
    with Deadline(10):  # opening a FIFO for reading blocks until a writer comes: it must not be opened
        result = run_cli(["validate", str(tmp_path if how == "in a directory" else fifo)])
    assert result.exit_code == 1
    assert f"{fifo}:1:1: error: not a regular file (a FIFO, socket or device); refused [file]" in result.stdout


# ------------------------------------------------------------- bounded work


def test_an_80_kb_help_message_lints_in_linear_time_even_with_the_rule_off(tmp_path):
    word = "a" * 80_000  # one long word: the old contact regex rescanned it from every position
    for lint in ("true", "false"):
        path = tmp_path / f"help-{lint}.yaml"
        path.write_text(
            f"version: 1\naccount: {{lint: {{help-contact: {lint}}}}}\nlists:\n  - name: A\n"
            f"    message_help: '{word}'\n"
        )
        with Deadline(5):  # it took 22 s before
            _account, diagnostics = load([str(path)], {})
        assert ("help-contact" in [d.rule for d in diagnostics]) == (lint == "true")


def test_a_catastrophic_pattern_against_its_default_cannot_hang_validate(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "version: 1\nlists:\n  - name: A\n    custom_fields:\n"
        "      - {key: a, label: A, content_type: text, max_length: 99, pattern: '^(a|a)+$', "
        "default_value: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'}\n"
        "      - {key: b, label: B, content_type: text, max_length: 9, pattern: '\\A\\d{5}\\z', "
        "default_value: '98101'}\n"
    )
    with Deadline(5):
        account, diagnostics = load([str(path)], {})
    assert account is not None  # patterns are never errors: the API's engine decides
    assert [(d.line, d.severity, d.rule) for d in diagnostics] == [(5, "warning", "custom-field-default")]
    assert "longer than 0.05s to match" in diagnostics[0].message


@pytest.mark.parametrize("opener", ["[", "{a: ", "- "])
@pytest.mark.parametrize("parser", ["libyaml", "pure-python"])
def test_deep_nesting_is_refused_with_a_location_not_a_crash(tmp_path, monkeypatch, opener, parser):
    """The property, whichever parser (and whichever of its versions) refuses first:
    exit 1, one located error under the rule yaml-too-large, no traceback, no crash."""
    import yaml

    from tatango_iac.config import yamlsafe

    if parser == "pure-python":
        monkeypatch.setattr(yamlsafe, "_Loader", yaml.SafeLoader)
    path = tmp_path / "deep.yaml"
    nested = opener * 30_000 if opener != "- " else "".join("\n" + "  " * i + "- " for i in range(300))
    path.write_text("version: 1\nlists: " + nested + "\n")
    result = run_cli(["validate", str(path)])  # in-process: a segfault would kill the test run itself
    assert result.exit_code == 1
    assert "Traceback" not in result.stdout + result.stderr
    located = re.findall(rf"^{re.escape(str(path))}:(\d+):(\d+): error: (.*) \[(.+)\]$", result.stdout, re.M)
    assert len(located) == 1, result.stdout
    line, col, message, rule = located[0]
    assert int(line) >= 2 and int(col) >= 1
    assert rule == "yaml-too-large" and "nesting deeper than 64 levels" in message


@pytest.mark.parametrize("text", ["${" * 200_000, "$" * 500_000, "${A}" * 100_000])
def test_interpolation_is_linear_in_the_text(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(f"version: 1\nlists:\n  - name: A\n    message_help: '{text}'\n")
    with Deadline(5):
        load([str(path)], {"A": "x"})


# ------------------------------------------------------------- nothing leaked


def test_export_masks_path_tokens_and_passwords_unless_asked(api_env, client, tmp_path):
    list_id = client.create_list({"name": "Hooks"})["id"]
    client.create_webhook(
        list_id, {"callback_url": f"https://hooks.slack.example/services/T0000/B0000/{SECRET}", "subscribe": True}
    )
    client.create_webhook(list_id, {"callback_url": "https://crm:pa55w0rd-xyz@crm.example/in?src=t", "cleaned": True})
    out = tmp_path / "export"
    result = run_cli(["export", "--output", str(out)], env=api_env)
    text = (out / "hooks.yaml").read_text()
    assert result.exit_code == 0 and SECRET not in text + result.output and "pa55w0rd-xyz" not in text + result.output
    assert "services/T0000/B0000/${TATANGO_SECRET_HOOKS_PATH}" in text
    assert "https://crm:${TATANGO_SECRET_HOOKS_PASSWORD}@crm.example/in?src=t" in text
    env = {**api_env, "TATANGO_SECRET_HOOKS_PATH": SECRET, "TATANGO_SECRET_HOOKS_PASSWORD": "pa55w0rd-xyz"}
    assert run_cli(["plan", "--detailed-exitcode", str(out)], env=env).exit_code == 0  # the round trip holds
    clear = run_cli(["export", "--output", str(tmp_path / "clear"), "--include-secrets"], env=api_env)
    assert clear.exit_code == 0 and SECRET in (tmp_path / "clear" / "hooks.yaml").read_text()


def test_api_error_bodies_and_page_titles_never_echo_a_secret(api_env, examples_copy, sandbox):
    token = api_env["ACME_WEBHOOK_TOKEN"]
    credentials = base64.b64encode(b"sandbox@tatango-iac.local:sandbox-api-key").decode()
    set_faults(
        sandbox,
        script=[
            {
                "method": "POST",
                "path": "/webhooks$",
                "fault": "answer",
                "status": 422,
                "json": {
                    "status": "error",
                    "error": f"Callback url https://hooks.acme-retail.example/tatango/vip?token={token} "
                    f"is invalid; sent with Authorization: Basic {credentials}",
                },
            }
        ],
    )
    result = run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env)
    assert (
        result.exit_code == 1
        and "Callback url https://hooks.acme-retail.example/tatango/vip?token=****" in result.stderr
    )
    assert token not in result.output and credentials not in result.output and "sandbox-api-key" not in result.output
    set_faults(
        sandbox,
        script=[
            {
                "method": "GET",
                "path": "/lists$",
                "fault": "answer",
                "status": 403,
                "text": f"<html><title>Blocked: key sandbox-api-key, token {token}</title></html>",
            }
        ],
    )
    blocked = run_cli(["plan", str(examples_copy)], env=api_env)
    assert blocked.exit_code == 1 and "Blocked: key ****, token ****" in blocked.stderr


def test_values_from_env_stay_templates_in_schema_errors_and_plans(api_env, tmp_path):
    env = {**api_env, "LIST_NAME": "Secret Project Falcon", "KEYWORD": "FALCON", "CODE": "abc-12345"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\naccount: {shortcode: '${CODE}'}\nlists: []\n")
    result = run_cli(["validate", str(bad)], env=env)
    assert result.exit_code == 1 and '"${CODE}" does not match' in result.stdout and "abc-12345" not in result.output
    good = tmp_path / "good.yaml"
    good.write_text("version: 1\nlists:\n  - name: '${LIST_NAME}'\n    keyword_names: ['${KEYWORD}']\n")
    shown = run_cli(["plan", str(good)], env=env)
    assert shown.exit_code == 0, shown.output
    assert 'list["${LIST_NAME}"]' in shown.stdout and "${KEYWORD}" in shown.stdout
    assert "Falcon" not in shown.output and "FALCON" not in shown.output


# --------------------------------------------------------------- terminal safety


def test_control_and_bidi_characters_from_the_api_are_shown_escaped(api_env, examples_copy, client):
    client.create_list({"name": "Evil\x1b[2J\x07\u202eeman"}, [])
    result = run_cli(["plan", str(examples_copy)], env=api_env)
    assert "\x1b[2J" not in result.output and "\x07" not in result.output and "\u202e" not in result.output
    assert "Evil\\u001b[2J\\u0007\\u202eeman" in result.stdout  # JSON-quoted, then escaped


def test_control_characters_in_messages_from_yaml_are_escaped_in_the_plan(api_env, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text('version: 1\nlists:\n  - name: A\n    message_reply: "Thanks \\u202Eevil"\n')
    result = run_cli(["plan", str(path)], env=api_env)
    assert result.exit_code == 0 and "\u202e" not in result.output and "\\u202e" in result.stdout


def test_the_deadline_fails_a_quadratic_loop_on_cpu_time():
    """The guard the linear-time tests rely on does fire (on CPU time, not on a loaded clock)."""
    with pytest.raises(TimeoutError, match="of CPU"), Deadline(1):
        text = "a" * 200_000
        while True:  # burns CPU until the timer fires
            text.find("b")


@pytest.mark.parametrize("opened", ["'ACME: reply HELP", '"ACME: reply HELP', "[HELP, INFO"])
def test_an_unclosed_quote_or_bracket_points_where_it_was_opened(tmp_path, opened):
    path = tmp_path / "c.yaml"
    path.write_text(f"version: 1\nlists:\n  - name: A\n    message_help: {opened}\n\n    message_stop: x\n\n")
    result = run_cli(["validate", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{path}:4:19: error: YAML syntax error:" in result.stdout, result.stdout
