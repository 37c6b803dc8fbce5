"""Issue 11, items 5-8: cheap checks first, progress on long work, conventions, no side effects."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest

from tatango_iac import workflow
from tatango_iac.cli import cli, output
from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL, SandboxServer
from tests.conftest import EXAMPLE_ENV, ROOT, run_cli, set_faults
from tests.gitrepo import committed
from tests.test_ordering import seed_lists


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


# ------------------------------------------------------------ cheap checks first


def test_apply_without_a_terminal_or_auto_approve_fails_before_any_call(api_env, examples_copy, sandbox):
    result = run_cli(["apply", str(examples_copy)], env=api_env)
    assert result.exit_code == 1 and "pass --auto-approve. Nothing was read or changed." in result.stderr
    assert sandbox.api_requests() == []


@pytest.mark.parametrize("where", ["missing-dir/plan.json", "is-a-dir"])
def test_an_unwritable_out_fails_before_any_call(api_env, examples_copy, sandbox, tmp_path, where):
    (tmp_path / "is-a-dir").mkdir()
    result = run_cli(["plan", "--out", str(tmp_path / where), str(examples_copy)], env=api_env)
    assert result.exit_code == 1 and "internal error" not in result.stderr
    assert ("Nothing was read." if where.startswith("missing") else "is a directory") in result.stderr
    assert sandbox.api_requests() == []


def test_destructive_actions_in_a_saved_plan_fail_before_any_call(api_env, examples_copy, sandbox, client, tmp_path):
    client.create_list({"name": "Old"}, ["OLDKW"])
    account = committed(examples_copy) / "account.yaml"
    account.write_text(account.read_text().replace("prune: false", "prune: true"))
    out = tmp_path / "plan.json"
    assert run_cli(["plan", "--out", str(out), str(examples_copy)], env=api_env).exit_code == 0
    sandbox.requests.clear()
    result = run_cli(["apply", "--plan", str(out)], env=api_env)
    assert result.exit_code == 1 and "the saved plan has destructive actions" in result.stderr
    assert 'list["Old"] (delete, 0 subscribers)' in result.stderr and sandbox.api_requests() == []


def test_an_unknown_target_fails_before_any_call_with_a_did_you_mean(api_env, examples_copy, sandbox):
    result = run_cli(["plan", "--target", "ACME Deal", str(examples_copy)], env=api_env)
    assert result.exit_code == 1
    assert "--target 'ACME Deal' is not a list in the configuration; did you mean 'ACME Deals'?" in result.stderr
    assert sandbox.api_requests() == []


# ---------------------------------------------------------------------- progress


def many_lists(tmp_path: Path, n: int) -> Path:
    config = tmp_path / "many.yaml"
    config.write_text(
        "version: 1\naccount: {shortcode: '33733'}\nlists:\n"
        + "".join(f"  - {{name: L{i}, webhooks: []}}\n" for i in range(n))
    )
    return config


def test_without_a_terminal_a_long_read_prints_a_progress_line_at_least_every_30_s(api_env, sandbox, tmp_path, clock):
    seed_lists(sandbox, [{"name": f"L{i}"} for i in range(40)])
    result = run_cli(["plan", "--rate", "1200", str(many_lists(tmp_path, 40))], env=api_env)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("reading the account:")]
    # 41 calls at 3.1 s: about 124 s of (fake) time, so a first line with the total and time left, then one
    # at least every 30 s, then the total time.
    assert lines[0] == "reading the account: 1/41 calls done, about 2 min left"
    assert len(lines) >= 5 and lines[-1].startswith("reading the account: 41/41 calls done in")


def test_on_a_terminal_progress_shows_count_total_and_time_left(tmp_path):
    with SandboxServer() as server:
        seed_lists(server, [{"name": f"L{i}"} for i in range(6)])
        env = {
            **os.environ,
            "TATANGO_API_URL": server.url,
            "TATANGO_EMAIL": SANDBOX_EMAIL,
            "TATANGO_API_KEY": SANDBOX_API_KEY,
            "TATANGO_RATE_LIMIT": "0",
        }
        primary, secondary = pty.openpty()
        proc = subprocess.run(
            [sys.executable, "-m", "tatango_iac", "plan", str(many_lists(tmp_path, 6))],
            env=env,
            stdout=subprocess.PIPE,
            stderr=secondary,
            timeout=60,
            check=False,
        )
        os.close(secondary)
        shown = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        os.close(primary)
    assert proc.returncode == 0
    assert b"reading the account" in shown and b"7/7" in shown  # click's bar: count and total


def test_a_long_wait_is_announced_and_one_over_the_cap_fails_clearly(api_env, examples_copy, sandbox, clock):
    set_faults(
        sandbox,
        script=[
            {
                "method": "GET",
                "path": "/lists$",
                "fault": "answer",
                "status": 429,
                "json": {"status": "error", "error": "Rate limit exceeded"},
                "headers": {"Retry-After": "60"},
            }
        ],
    )
    waited = run_cli(["plan", str(examples_copy)], env=api_env)
    assert waited.exit_code == 0 and "GET /lists: rate limited (HTTP 429); waiting 6" in waited.stderr
    set_faults(
        sandbox,
        script=[
            {
                "method": "GET",
                "path": "/lists$",
                "fault": "answer",
                "status": 429,
                "json": {"status": "error", "error": "Rate limit exceeded"},
                "headers": {"Retry-After": "3600"},
                "times": 2,
            }
        ],
    )
    capped = run_cli(["plan", str(examples_copy)], env=api_env)
    assert capped.exit_code == 1 and max(clock.sleeps) < 3600
    assert (
        "the API asked to wait 3600 s before retrying (Retry-After), more than the 300 s cap (--max-wait / "
        "TATANGO_MAX_WAIT): stopping instead of hanging"
    ) in capped.stderr
    allowed = run_cli(["plan", "--max-wait", "4000", str(examples_copy)], env=api_env)
    assert allowed.exit_code == 0 and max(clock.sleeps) >= 3600


@pytest.mark.parametrize("header", ["abc", "-5", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_an_invalid_retry_after_is_treated_as_absent(client, sandbox, clock, header):
    set_faults(
        sandbox,
        script=[
            {
                "method": "GET",
                "path": "/lists$",
                "fault": "answer",
                "status": 429,
                "json": {"status": "error", "error": "Rate limit exceeded"},
                "headers": {"Retry-After": header},
            }
        ],
    )
    assert client.list_lists() == []  # backed off and retried, not "no answer from the API"
    assert len(sandbox.api_requests()) == 2 and 1.0 <= clock.sleeps[0] <= 2.0


def test_a_recovered_fault_gets_one_line(api_env, examples_copy, sandbox):
    set_faults(sandbox, script=[{"method": "POST", "path": "/lists$", "fault": "drop_after"}])
    result = run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env)
    assert result.exit_code == 0
    assert (
        result.stderr.count("POST /lists: no answer from the API (connection dropped); re-read found it; not retried")
        == 1
    )


# ------------------------------------------------------------------ conventions


def test_no_color_turns_colour_off(api_env, examples_copy, monkeypatch):
    monkeypatch.setattr(output, "stdout_colour", lambda: output.colour_wanted(True))
    coloured = run_cli(["plan", str(examples_copy)], env=api_env)
    plain = run_cli(["plan", str(examples_copy)], env={**api_env, "NO_COLOR": "1"})
    assert "\x1b[" in coloured.stdout and "\x1b[" not in plain.stdout


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


def test_every_option_of_every_command_has_help_text():
    from tatango_iac.cli import commands  # noqa: F401 - registers them

    missing = [
        (name, p.name)
        for name, command in _commands(cli)
        for p in command.params
        if isinstance(p, click.Option) and not p.help
    ]
    assert missing == []


@pytest.mark.parametrize("command", ["plan", "apply", "export", "doctor"])
def test_help_names_the_environment_variables(command):
    text = run_cli([command, "--help"]).stdout
    for name in ("TATANGO_EMAIL", "TATANGO_API_KEY", "TATANGO_API_URL", "TATANGO_RATE_LIMIT"):
        assert name in text, (command, name)


def test_a_directory_walk_skips_hidden_directories_and_files(tmp_path):
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "workflow.yaml").write_text("on: push\n")
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    (tmp_path / "lists.yaml").write_text("version: 1\nlists:\n  - name: A\n")
    result = run_cli(["validate", str(tmp_path)])
    assert result.exit_code == 0 and "Configuration is valid." in result.stdout


def test_control_characters_are_refused_or_warned_with_their_location(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        'version: 1\nlists:\n  - name: "Deals\\e[2J"\n    message_help: "Help: help@a.example. '
        'Text STOP to end. \\u202Egnimoc"\n  - name: "Null\\0byte"\n'
    )
    result = run_cli(["validate", str(path)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert (
        f"{path}:3:11: error: name has a control character (U+001B) at position 6; refused [control-character]" in lines
    )
    assert any(
        line.startswith(f"{path}:4:19: warning: message_help has a bidi control character (U+202E)") for line in lines
    )
    assert (
        f"{path}:5:11: error: name has a control character (U+0000) at position 5; refused [control-character]" in lines
    )
    assert "\x1b" not in result.output


def test_an_interrupted_read_says_nothing_was_changed(tmp_path):
    with SandboxServer() as server:
        set_faults(server, latency_ms=300)
        seed_lists(server, [{"name": f"L{i}"} for i in range(30)])
        env = {
            **os.environ,
            "TATANGO_API_URL": server.url,
            "TATANGO_EMAIL": SANDBOX_EMAIL,
            "TATANGO_API_KEY": SANDBOX_API_KEY,
            "TATANGO_RATE_LIMIT": "0",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "tatango_iac", "plan", str(many_lists(tmp_path, 30))],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(server.api_requests()) < 2:
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)  # what a CI runner sends on cancel
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "interrupted before anything was written; nothing was changed" in err and "Traceback" not in err


# --------------------------------------------------------------- side effects


def test_two_commands_on_one_embedded_state_file_never_lose_each_others_writes(tmp_path):
    state = tmp_path / "shared.json"
    env = {**os.environ, **EXAMPLE_ENV, "TATANGO_SANDBOX_STATE": str(state)}
    configs = []
    for name in ("Alpha", "Beta", "Gamma"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(f"version: 1\nlists:\n  - name: {name}\n    keyword_names: [{name.upper()}KW]\n")
        configs.append(path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tatango_iac", "apply", "--sandbox", "--auto-approve", str(c)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for c in configs
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    names = sorted(lst["name"] for lst in json.loads(state.read_text())["lists"].values())
    assert names == ["Alpha", "Beta", "Gamma"]


def test_a_read_only_command_does_not_write_the_state_back(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "c.yaml"
    config.write_text("version: 1\nlists:\n  - name: A\n")
    assert run_cli(["apply", "--sandbox", "--auto-approve", str(config)]).exit_code == 0
    state = tmp_path / ".tatango-sandbox.json"
    before = (state.stat().st_mtime_ns, state.read_bytes())
    time.sleep(0.01)
    assert run_cli(["plan", "--sandbox", str(config)]).exit_code == 0
    assert (state.stat().st_mtime_ns, state.read_bytes()) == before


def test_the_readme_says_where_the_embedded_state_lives():
    assert ".tatango-sandbox.json.lock" in (ROOT / "README.md").read_text()
