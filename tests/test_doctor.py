"""Issue 10, items 5-6: `tatango-iac doctor` tells a user which assumptions hold on their account."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import vcr
import yaml

from tatango_iac.api.client import TatangoClient
from tatango_iac.doctor import run_doctor
from tatango_iac.doctor.attributes import PROBE_TOKEN
from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL, SandboxServer
from tatango_iac.sandbox.profiles import PROFILES
from tests.conftest import EXAMPLE_ENV, ROOT, run_cli, set_faults

TOKEN = EXAMPLE_ENV["ACME_WEBHOOK_TOKEN"]
FIELD_CASSETTES = ROOT / "cassettes" / "field"

# What each profile changes in the doctor's table (assumption prefix -> verdict); the rest stays "ok".
CHANGED = {
    "faithful": {},
    "three-events": {
        "webhooks: every field the tool manages is reported": "warn",
        "a webhook answer echoes the five events": "warn",
        "every webhook attribute comes back as written": "warn",
    },
    "string-scalars": {
        "lists: numbers and booleans have JSON types": "warn",
        "webhooks: numbers and booleans have JSON types": "warn",
        "custom fields: numbers and booleans have JSON types": "warn",
        "opt-in requests: numbers and booleans have JSON types": "warn",
    },
    "created-201": {},
    "keywords-add": {
        "a keywords PUT replaces the list's keywords": "fail",
        "list keyword_names comes back as written": "fail",
        "the answer to a write shows what was written": "note",
    },
    "opt-in-append": {
        "an opt-in PUT replaces the requests": "fail",
        "opt-in settings opt_in_requests comes back as written": "fail",
        "opt-in settings bypass_opt_in_response comes back as written": "fail",
        "the answer to a write shows what was written": "note",
    },
    "webhook-put-resets": {"a webhook PUT leaves the events it omits alone": "note"},
    "normalized-urls": {"the callback URL is stored as sent": "note"},
    "custom-fields-paged": {"the custom-field index is read in one call": "note"},
    "odd-timestamps": {"timestamps are ISO 8601": "warn"},
    "opt-in-defaults": {"opt-in keys left out stay empty": "note"},
    "read-lag": {
        "a write shows in the next read": "note",
        "the write probe stays within its stated call budget": "note",
    },
    "page-cap": {},
    "index-summary": {"lists: every field the tool manages is reported": "warn"},
    "strips-whitespace": {"texts with whitespace at either end and a line break are stored as written": "note"},
    "stale-answers": {"the answer to a write shows what was written": "note"},
    "soft-delete-webhooks": {
        "deleting a missing object answers the API's own 404 'not found'": "note",
        "a webhook delete removes it": "fail",
    },
    "rename-ignored": {"list name comes back as written": "fail"},
    "no-emoji": {
        "list message_": "fail",
        "list first_optin_message comes back as written (with emoji)": "fail",
        "list second_optin_message comes back as written (with emoji)": "fail",
        "opt-in request ": "fail",
        "custom field label comes back as written (with emoji)": "fail",
        "custom field default_value comes back as written (with emoji)": "fail",
    },
    "caps-max-length": {"custom field max_length comes back as written (with a value at the schema's bound)": "fail"},
    "follow-up-even-hours": {"opt-in request follow_up_hour comes back as written": "fail"},
}


def doctor_json(env: dict, *args: str) -> tuple[int, dict, str]:
    result = run_cli(["doctor", "--format", "json", *args], env=env)
    return result.exit_code, json.loads(result.stdout), result.output


@pytest.fixture
def fake_clock(monkeypatch):
    """The probe's bounded waits (reads that lag writes) advance a fake clock: the matrix never sleeps for real."""
    from tatango_iac import workflow
    from tests.conftest import FakeClock

    clock = FakeClock()
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)
    return clock


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_the_verdicts_follow_each_behaviour_profile(profile, tmp_path, fake_clock):
    assert set(CHANGED) == set(PROFILES)
    env = {**EXAMPLE_ENV, "TATANGO_SANDBOX_STATE": str(tmp_path / "state.json")}
    seeded = run_cli(
        ["apply", "--sandbox", "--sandbox-profile", profile, "--auto-approve", str(ROOT / "examples")], env=env
    )
    assert seeded.exit_code == 0, seeded.output
    code, report, text = doctor_json(env, "--sandbox", "--sandbox-profile", profile, "--write-probe")
    verdicts = {c["assumption"]: c["verdict"] for c in report["checks"] if c["verdict"] != "skip"}
    expected = CHANGED[profile]
    for assumption, verdict in verdicts.items():
        wanted = next((v for prefix, v in expected.items() if assumption.startswith(prefix)), None)
        assert verdict == (wanted or "ok"), (profile, assumption, verdict, report)
    assert all(any(a.startswith(prefix) for a in verdicts) for prefix in expected), (profile, verdicts)
    assert code == (1 if "fail" in expected.values() else 0)
    assert verdicts["the scratch list and everything on it are removed"] == "ok"
    state = json.loads((tmp_path / "state.json").read_text())
    assert sorted(lst["name"] for lst in state["lists"].values()) == ["ACME Deals", "ACME Store Alerts", "ACME VIP"]
    assert SANDBOX_API_KEY not in text and TOKEN not in text and PROBE_TOKEN not in text  # never a secret
    if profile == "created-201":
        assert next(c for c in report["checks"] if c["assumption"] == "creates answer 2xx")["observed"] == "201"


def test_a_read_only_doctor_costs_a_handful_of_calls(api_env, client, sandbox):
    for name in ("A", "B", "C"):
        client.create_list({"name": name})
    sandbox.requests.clear()
    code, report, _text = doctor_json(api_env)
    assert code == 0 and report["calls"] == len(sandbox.api_requests()) <= 10
    assert all(r["method"] == "GET" for r in sandbox.api_requests())


def test_a_wrong_key_is_told_apart_from_a_firewall_page(api_env, sandbox):
    wrong = run_cli(["doctor"], env={**api_env, "TATANGO_API_KEY": "not-the-key"})
    assert wrong.exit_code == 1 and "HTTP 401: API key authorization failure" in wrong.stdout
    assert "TATANGO_EMAIL or TATANGO_API_KEY is wrong" in wrong.stdout and "not-the-key" not in wrong.output
    set_faults(sandbox, rate=1.0, kinds=["html403"])
    blocked = run_cli(["doctor"], env=api_env)
    assert blocked.exit_code == 1 and "a firewall or proxy answered, not the API" in blocked.stdout


def test_the_probe_removes_everything_after_a_failure(api_env, client, sandbox):
    set_faults(
        sandbox,
        script=[
            {
                "method": "POST",
                "path": "/custom_fields$",
                "fault": "answer",
                "status": 500,
                "json": {"status": "error", "error": "boom"},
            }
        ],
    )
    code, report, _text = doctor_json(api_env, "--write-probe")
    checks = {c["assumption"]: (c["verdict"], c["observed"]) for c in report["checks"]}
    assert code == 1 and checks["every probe step is answered"][0] == "fail"
    assert checks["the scratch list and everything on it are removed"] == (
        "ok",
        "removed; a re-read no longer finds it",
    )
    assert client.list_lists() == []


def test_the_probe_removes_everything_after_ctrl_c(tmp_path):
    with SandboxServer() as server:
        set_faults(server, latency_ms=150)
        env = {
            **os.environ,
            "TATANGO_API_URL": server.url,
            "TATANGO_EMAIL": SANDBOX_EMAIL,
            "TATANGO_API_KEY": SANDBOX_API_KEY,
            "TATANGO_RATE_LIMIT": "0",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "tatango_iac", "doctor", "--write-probe"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
            r["path"].endswith("/keywords") for r in server.api_requests("PUT")
        ):
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        left = server.state.snapshot()["lists"]
    assert proc.returncode == 1 and "interrupted (Ctrl-C or SIGTERM)" in out
    assert "the write probe was interrupted; the scratch list was removed" in err
    assert left == {}


def test_recorded_answers_are_scrubbed_and_replay_to_the_same_verdicts(api_env, client, sandbox, tmp_path):
    list_id = client.create_list({"name": "Alerts", "email_digest": "owner@acme.example"})["id"]
    client.create_webhook(list_id, {"callback_url": f"https://hooks.acme.example/in?token={TOKEN}", "subscribe": True})
    client.create_custom_field(list_id, {"key": "zip", "label": "Zip", "content_type": "text", "max_length": 5})
    result = run_cli(["doctor", "--format", "json", "--record", str(tmp_path / "report")], env=api_env)
    assert result.exit_code == 0 and "Recorded 5 answers (scrubbed)" in result.stderr
    [cassette] = sorted((tmp_path / "report").glob("doctor-*.yaml"))
    text = cassette.read_text()
    for secret in (SANDBOX_API_KEY, TOKEN, "owner@acme.example", SANDBOX_EMAIL, "Authorization"):
        assert secret not in text, secret
    assert "token=****" in text and "user@example.invalid" in text
    live = json.loads(result.stdout)["checks"]
    assert replay(cassette) == live


def test_a_recording_withholds_the_accounts_message_texts(api_env, client, tmp_path):
    """A message may carry a ${...} value (a promotion code) that the doctor, reading no configuration, cannot
    know: every message text of the account is recorded as x's of the same length; the probe's own are kept."""
    text = "Alerts: use code pizza&fries<3 at checkout. Reply STOP to end."
    client.create_list({"name": "Alerts", "message_help": text})
    result = run_cli(["doctor", "--write-probe", "--record", str(tmp_path / "report")], env=api_env)
    assert result.exit_code == 0, result.output
    [cassette] = sorted((tmp_path / "report").glob("doctor-*.yaml"))
    recorded = cassette.read_text()
    answers = [i["response"]["body"]["string"] for i in yaml.safe_load(recorded)["interactions"]]
    assert "pizza" not in recorded and any(json.dumps("x" * len(text)) in answer for answer in answers)
    # The write probe's own request texts read back as sent: the replay of a probe still compares them.
    assert any("tatango-iac probe: reply YES" in answer for answer in answers)


def replay(cassette: Path) -> list[dict]:
    """Run the read-only checks against a recorded cassette: no network, record mode none."""
    recorder = vcr.VCR(record_mode="none", match_on=["method", "path", "query"])
    base = yaml.safe_load(cassette.read_text())["interactions"][0]["request"]["uri"].split("/accounts/me")[0]
    client = TatangoClient(base, "user@example.invalid", "replayed-key", rate_per_hour=0, retries=0)
    with recorder.use_cassette(str(cassette)):
        report, _interrupted = run_doctor(client)
    return report.to_json()["checks"]


@pytest.mark.parametrize("cassette", sorted(FIELD_CASSETTES.glob("*.yaml")) or [None])
def test_cassettes_from_the_field_replay(cassette):
    """Every cassette a user sent (cassettes/field/) replays without error: the starting point of a fix."""
    if cassette is None:
        pytest.skip("no cassette from the field yet")
    assert replay(cassette)
