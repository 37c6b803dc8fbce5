"""Issue 9, item 9: under every behaviour profile, plan / apply / plan either converges or stops
with a message naming the assumption; never a duplicate, never a destructive action from a type
difference, never "done" for a write that did not happen."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tatango_iac.sandbox.profiles import PROFILES
from tests.conftest import EXAMPLE_ENV, ROOT, run_cli

# Where a profile makes the tool stop, and the message that names what the API did: {profile: {round: text}}.
STOPS = {
    "keywords-add": {2: "a keywords PUT replaces the list's keywords"},
    "opt-in-append": {2: "an opt-in PUT replaces all of the list's opt-in requests"},
    "strips-whitespace": {
        1: 'the API stored message_help "Edge cases: help at edge.example. Reply STOP to '
        'end. " as "Edge cases: help at edge.example. Reply STOP to end."'
    },
    "soft-delete-webhooks": {2: "the API answered the delete, but a re-read still finds it"},
    "caps-max-length": {1: 'list["Edge cases"].custom_field["notes"]: the API stored max_length 500 as 255'},
    "follow-up-even-hours": {
        2: 'list["ACME VIP"].opt_in_settings: the API stored opt_in_requests[0].follow_up_hour 3 as 4'
    },
}
EXTRA_LIST = """# A list that exercises what the examples do not: many custom fields, a URL in another form,
# a text with a trailing space (a server may strip it).
version: 1
lists:
  - name: Edge cases
    keyword_names: [EDGE]
    message_help: "Edge cases: help at edge.example. Reply STOP to end. "
    custom_fields:
{fields}
    webhooks:
      - callback_url: "HTTPS://Hooks.ACME-Retail.example:443/Edge?ref=tatango"
        subscribe: true
"""


@pytest.fixture(autouse=True)
def _fake_clock(monkeypatch):
    """Waits (the read-back's, retries) advance a fake clock: the matrix never sleeps for real."""
    from tatango_iac import workflow
    from tests.conftest import FakeClock

    clock = FakeClock()
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)
    return clock


def config_for(tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "config"
    shutil.copytree(ROOT / "examples", target, ignore=shutil.ignore_patterns("invalid", "ci"))
    fields = "\n".join(f"      - {{key: f{i}, label: F{i}, content_type: text, max_length: 20}}" for i in range(12))
    fields += '\n      - {key: padded, label: Padded, content_type: text, max_length: 20, default_value: "x "}'
    fields += "\n      - {key: notes, label: Notes, content_type: text, max_length: 500}"
    (target / "lists" / "edge.yaml").write_text(EXTRA_LIST.format(fields=fields))
    return target


def cli(profile: str, env: dict, *args: str):
    """plan and apply share the forms record (what apply saw the API store in another form), as the workflows do."""
    record = Path(env["TATANGO_SANDBOX_STATE"]).with_name("forms-record.json")
    return run_cli(
        [args[0], "--sandbox", "--sandbox-profile", profile, "--forms-record", str(record), *args[1:]], env=env
    )


def plan_json(profile: str, env: dict, config: Path) -> dict:
    result = cli(profile, env, "plan", "--format", "json", str(config))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_no_duplicates(state_file: Path) -> None:
    state = json.loads(state_file.read_text())
    names = [lst["name"] for lst in state["lists"].values()]
    assert len(names) == len(set(names)), names
    hooks = [(h["list_id"], h["callback_url"].lower()) for h in state["webhooks"].values()]
    assert len(hooks) == len(set(hooks)), hooks


def apply_and_judge(profile: str, env: dict, config: Path, state_file: Path, round_: int) -> str:
    """Apply; return "converged" or "stopped", after checking the rules that hold either way."""
    before = plan_json(profile, env, config)
    assert before["summary"]["destructive"] == 0, before["actions"]  # nothing we change here is destructive
    assert before["readback"]["calls"] >= 1  # the plan states the read-back's cost
    result = cli(profile, env, "apply", "--auto-approve", str(config))
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert_no_duplicates(state_file)
    after = plan_json(profile, env, config)
    assert after["summary"]["destructive"] == 0, after["actions"]  # never from a type or form difference
    if result.exit_code == 0:
        assert "shows the account now matches the configuration" in result.stdout  # "complete" = a re-read matched
        assert after["summary"]["changes"] is False, after["actions"]  # "done" means done
        return "converged"
    assert "Apply complete" not in result.output
    assert STOPS.get(profile, {}).get(round_, "<no stop expected>") in result.stderr, result.stderr
    return "stopped"


def back_to_back(profile: str, env: dict, config: Path, state_file: Path) -> None:
    """A second apply started right after the first one exits acts on a view that holds the first one's writes."""
    again = cli(profile, env, "apply", "--auto-approve", str(config))
    assert_no_duplicates(state_file)
    assert again.exit_code == 0, again.output
    assert "No changes. The account matches the configuration." in again.stdout


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_plan_apply_change_apply_plan_under_every_profile(profile, tmp_path):
    state_file = tmp_path / "sandbox.json"
    env = {**EXAMPLE_ENV, "TATANGO_SANDBOX_STATE": str(state_file)}
    config = config_for(tmp_path)
    expected = STOPS.get(profile, {})
    assert apply_and_judge(profile, env, config, state_file, 1) == ("stopped" if 1 in expected else "converged")
    back_to_back(profile, env, config, state_file)
    # Round two changes what the open points are about: keywords, opt-in requests, events, a cleared text,
    # and a webhook deleted.
    deals, vip, edge = config / "lists" / "deals.yaml", config / "lists" / "vip.yaml", config / "lists" / "edge.yaml"
    deals.write_text(
        deals.read_text()
        .replace("[SAVE, SALE, COUPONS]", "[SAVE, SALE, BARGAIN]")
        .replace("        unsubscribe: true\n", "")
        .replace("        subscribe: true\n", "        subscribe: false\n")
    )
    vip.write_text(
        vip.read_text()
        .replace("follow_up_hour: 2", "follow_up_hour: 3")
        .replace("email_digest: sms-team@acme-retail.example", "email_digest: null")
    )
    text = edge.read_text()
    edge.write_text(text[: text.index("    webhooks:")] + "    webhooks: []\n")
    outcome = apply_and_judge(profile, env, config, state_file, 2)
    assert outcome == ("stopped" if 2 in expected else "converged")
    if outcome == "converged":
        back_to_back(profile, env, config, state_file)


def test_sandbox_serve_takes_a_profile(tmp_path):
    state = tmp_path / "state.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tatango_iac",
            "sandbox",
            "serve",
            "--port",
            "0",
            "--state",
            str(state),
            "--profile",
            "three-events",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        first = proc.stdout.readline()
        assert "profile: three-events" in first
        url = re.search(r"on (http://\S+)", first).group(1)
        control = url.replace("/api/v2", "/_sandbox")
        seeded = requests.get(control + "/state", timeout=10).json()
        seeded["lists"]["1"] = {
            "id": 1,
            "name": "A",
            "keyword_names": [],
            "counts": {},
            "opt_in_type": "single",
            "opt_in_requests": [],
        }
        seeded["webhooks"]["1"] = {
            "id": 1,
            "list_id": 1,
            "callback_url": "https://h.example/a",
            "subscribe": True,
            "unsubscribe": False,
            "message_sent": False,
            "reply_received": True,
            "cleaned": True,
            "enabled": True,
        }
        requests.put(control + "/state", json=seeded, timeout=10).raise_for_status()
        hooks = requests.get(
            url + "/lists/1/webhooks", auth=("sandbox@tatango-iac.local", "sandbox-api-key"), timeout=10
        ).json()["webhooks"]
        assert set(hooks[0]) >= {"subscribe", "unsubscribe", "message_sent"}
        assert "reply_received" not in hooks[0] and "cleaned" not in hooks[0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_every_profile_is_in_the_readme_with_what_the_tool_does():
    readme = (ROOT / "README.md").read_text()
    for name, profile in PROFILES.items():
        assert f"| `{name}` | {profile.flips} | {profile.tool} |" in readme, name
