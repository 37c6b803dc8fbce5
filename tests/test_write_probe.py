"""Issue 16 point 6: `doctor --write-probe` round-trips every writable attribute of every resource, reports
each value that does not come back as written (with what came back, and what it means for the user), and
never leaves its scratch list or keywords behind: lost create answers, signals mid-flight, failed deletes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from tatango_iac import workflow
from tatango_iac.doctor import attributes
from tatango_iac.doctor.attributes import TABLE, Form, Part
from tatango_iac.doctor.rounds import total_rounds
from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL, SandboxServer
from tests.conftest import EXAMPLE_ENV, ROOT, FakeClock, run_cli, set_faults

SCHEMA = json.loads((ROOT / "schemas" / "tatango.schema.json").read_text())
# List keys of the configuration that are not attributes written to the API: identity, tool-side settings, and
# the child collections (probed through their own items).
NOT_WRITTEN = {"renamed_from", "id", "delete", "brand", "extends", "vars", "protect"}
CHILDREN = {"opt_in_requests": Part.REQUEST, "webhooks": Part.WEBHOOK, "custom_fields": Part.CUSTOM_FIELD}


@pytest.fixture
def fake_clock(monkeypatch, clock: FakeClock) -> FakeClock:
    """The CLI's waits advance the sandbox's fake clock: no test waits for real."""
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)
    return clock


def probe(env: dict, *args: str) -> tuple[int, dict[str, Any], str, str]:
    result = run_cli(["doctor", "--format", "json", "--write-probe", *args], env=env)
    return result.exit_code, json.loads(result.stdout), result.stdout, result.stderr


def checks(report: dict) -> dict[str, dict]:
    return {c["assumption"]: c for c in report["checks"]}


def profiled(tmp_path, profile: str) -> tuple[int, dict[str, dict], str]:
    env = {**EXAMPLE_ENV, "TATANGO_SANDBOX_STATE": str(tmp_path / "state.json")}
    code, report, out, err = probe(env, "--sandbox", "--sandbox-profile", profile)
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["lists"] == {}, state["lists"]  # nothing left behind
    return code, checks(report), out + err


# ------------------------------------------------------------------ the table


def test_the_probe_table_covers_every_attribute_the_configuration_writes():
    lst = SCHEMA["properties"]["lists"]["items"]["properties"]
    probed = {part: {a.name for a in TABLE if a.part is part} for part in Part}
    written_on_list = set(lst) - NOT_WRITTEN - set(CHILDREN)
    assert written_on_list == probed[Part.LIST] | probed[Part.OPT_IN] - {"opt_in_requests"}
    assert "opt_in_requests" in probed[Part.OPT_IN]
    for key, part in CHILDREN.items():
        assert set(lst[key]["items"]["properties"]) == probed[part], key


def test_a_new_writable_attribute_without_a_probe_entry_stops_the_tool(monkeypatch):
    monkeypatch.setitem(attributes.WRITTEN, Part.LIST, attributes.WRITTEN[Part.LIST] | {"message_new"})
    with pytest.raises(RuntimeError, match=r"missing \['message_new'\]"):
        attributes.check_table()


def test_every_text_meets_every_form_and_every_clearable_attribute_is_cleared():
    from tatango_iac.doctor.rounds import Builder, Scratch

    builder = Builder(Scratch("tatango-iac probe 000001", ("TIQA", "TIQB"), 1))
    seen: dict[tuple, set] = {}
    for number in range(total_rounds()):
        for (part, name, index), written in builder.build(number).written.items():
            seen.setdefault((part, name, max(index, 0)), set()).add(written.form)
    for attr in TABLE:
        forms = seen[(attr.part, attr.name, 0)]
        assert {w.form for w in attr.forms} <= forms, attr.name
        assert (Form.CLEARED in forms) == attr.clearable or attr.part is Part.OPT_IN, attr.name


# ------------------------------------------------------------- round trip


def test_every_form_is_written_over_http_and_comes_back_on_a_faithful_api(api_env, sandbox):
    code, report, out, err = probe(api_env)
    got = checks(report)
    assert code == 0, out
    stated = int(re.search(r"at most (\d+) API calls", err).group(1))
    calls = sandbox.api_requests()
    assert [r["path"].rsplit("/", 1)[-1] for r in calls[:3]] == ["me", "shortcodes", "lists"]  # read-only checks
    assert len(calls) - 3 <= stated
    assert got["the write probe stays within its stated call budget"]["verdict"] == "ok"
    for part in Part:
        assumption = f"every {part} attribute comes back as written (set, changed, cleared, in every form)"
        assert got[assumption]["verdict"] == "ok", got[assumption]
    bodies = [json.dumps(r["body"], ensure_ascii=False) for r in sandbox.api_requests() if r["body"]]
    for text in attributes.TEXTS:
        for name in ("message_help", "first_optin_message"):  # one list update carries them all
            assert any(f'"{name}": {json.dumps(text.value, ensure_ascii=False)}' in b for b in bodies), name
    puts = [r["body"]["list"] for r in sandbox.api_requests("PUT") if re.search(r"/lists/\d+$", r["path"])]
    assert any(body.get("message_help") == "" for body in puts)  # cleared, as apply sends a cleared text
    assert any(body.get("name", "").endswith("é") and len(body["name"]) == 25 for body in puts)  # renamed
    hooks = [r for r in sandbox.api_requests() if "/webhooks" in r["path"] and r["method"] in ("POST", "PUT")]
    assert {r["method"] for r in hooks} == {"POST", "PUT"}  # created, then updated in place
    assert attributes.PROBE_TOKEN not in out + err  # the probe URL's (fake) token is still masked


def test_an_api_that_loses_emoji_is_named_per_text_with_what_came_back(tmp_path, fake_clock):
    code, got, _output = profiled(tmp_path, "no-emoji")
    help_ = got["list message_help comes back as written (with emoji)"]
    assert code == 1 and help_["verdict"] == "fail"
    assert (
        help_["observed"]
        == 'wrote "tatango-iac probe 🎉 emoji 👍🏽 text", came back "tatango-iac probe ? emoji ?? text"'
    )
    assert help_["consequence"] == (
        "HELP texts with emoji come back changed: the plan will show them changed every night; "
        "write them as the API stores them"
    )
    assert got["custom field label comes back as written (with emoji)"]["verdict"] == "fail"
    assert got["opt-in request retry_message comes back as written (with emoji)"]["verdict"] == "fail"
    assert not any("GSM-7" in a for a in got)  # only what differs is reported


def test_an_api_that_ignores_renames_is_told_in_the_users_words(tmp_path, fake_clock):
    code, got, _output = profiled(tmp_path, "rename-ignored")
    [name] = [c for a, c in got.items() if a.startswith("list name comes back as written")]
    assert code == 1 and name["verdict"] == "fail"
    assert name["consequence"].startswith("renaming a list will not work on this account")
    assert re.fullmatch(
        r'wrote "tatango-iac probe [0-9a-f]{6}é", came back "tatango-iac probe [0-9a-f]{6}"', name["observed"]
    )


def test_a_value_stored_in_another_form_is_a_note_not_a_failure(tmp_path, fake_clock):
    code, got, _output = profiled(tmp_path, "strips-whitespace")
    note = got["texts with whitespace at either end and a line break are stored as written"]
    assert code == 0 and note["verdict"] == "note"
    assert "list message_help" in note["observed"] and "custom field label" in note["observed"]
    assert "no change is planned" in note["consequence"]


def test_a_delete_the_api_does_not_carry_out_is_named(tmp_path, fake_clock):
    code, got, output = profiled(tmp_path, "soft-delete-webhooks")
    hook = got["a webhook delete removes it"]
    assert code == 1 and hook["observed"] == "a re-read still finds it"
    assert hook["consequence"].startswith("deleting a webhook will not work on this account")
    assert attributes.PROBE_TOKEN not in output


def test_the_new_profiles_are_caught_by_apply_read_back_too(tmp_path, fake_clock):
    env = {**EXAMPLE_ENV, "TATANGO_SANDBOX_STATE": str(tmp_path / "state.json")}
    config = tmp_path / "c.yaml"
    config.write_text('version: 1\nlists:\n  - name: Deals\n    message_help: "Deals 🎉 Reply STOP to end."\n')
    emoji = run_cli(["apply", "--sandbox", "--sandbox-profile", "no-emoji", "--auto-approve", str(config)], env=env)
    assert emoji.exit_code == 1 and "the API accepted message_help but holds" in emoji.output, emoji.output
    (tmp_path / "state.json").unlink()
    config.write_text("version: 1\nlists:\n  - name: Deals\n")
    first = run_cli(
        ["apply", "--sandbox", "--sandbox-profile", "rename-ignored", "--auto-approve", str(config)], env=env
    )
    assert first.exit_code == 0, first.output
    config.write_text("version: 1\nlists:\n  - name: Offers\n    renamed_from: Deals\n")
    again = run_cli(
        ["apply", "--sandbox", "--sandbox-profile", "rename-ignored", "--auto-approve", str(config)], env=env
    )
    assert again.exit_code == 1 and 'list["Offers"]: the write is not visible in the re-read' in again.output


# --------------------------------------------------------------- clean-up


def test_a_lost_create_answer_is_found_by_name_and_removed(api_env, client, sandbox):
    set_faults(sandbox, script=[{"method": "POST", "path": "/lists$", "fault": "drop_after"}])
    code, report, _out, _err = probe(api_env)
    got = checks(report)
    assert code == 1 and got["every probe step is answered"]["verdict"] == "fail"
    removed = got["the scratch list and everything on it are removed"]
    assert removed["verdict"] == "ok"
    assert re.fullmatch(
        r"removed \(found by its name in the index: id \d+\); a re-read no longer finds it", removed["observed"]
    )
    assert [r for r in sandbox.api_requests("DELETE") if re.search(r"/lists/\d+$", r["path"])]
    assert client.list_lists() == []


def test_an_unreadable_create_answer_still_leaves_nothing(api_env, client, sandbox):
    set_faults(
        sandbox,
        script=[
            {
                "method": "POST",
                "path": "/lists$",
                "fault": "answer_after",
                "status": 200,
                "json": {"status": "OK", "list": {"id": "not-a-number"}},
            },
        ],
    )
    code, report, out, err = probe(api_env)
    got = checks(report)
    assert code == 1 and got["every probe step is answered"]["verdict"] == "fail", out + err
    assert "internal error" not in err and "Traceback" not in err
    assert "found by its name in the index" in got["the scratch list and everything on it are removed"]["observed"]
    assert client.list_lists() == []


def test_what_cannot_be_removed_is_named_with_the_command_that_removes_it(api_env, client, sandbox, fake_clock):
    set_faults(
        sandbox,
        script=[
            {"method": "POST", "path": "/lists$", "fault": "drop_after"},
            {
                "method": "DELETE",
                "path": r"/lists/\d+$",
                "fault": "answer",
                "status": 422,
                "times": 5,
                "json": {"status": "error", "error": "List cannot be deleted"},
            },
        ],
    )
    code, report, out, err = probe(api_env)
    left = checks(report)["the scratch list and everything on it are removed"]
    [item] = client.list_lists()
    assert code == 1 and left["verdict"] == "fail"
    assert left["observed"].startswith(
        f'left: list "{item["name"]}" (id {item["id"]}, keywords {item["keyword_names"][0]})'
    )
    assert left["consequence"] == (
        f'remove it: curl -X DELETE -u "$TATANGO_EMAIL:$TATANGO_API_KEY" "$TATANGO_API_URL/lists/{item["id"]}"'
    )
    assert SANDBOX_API_KEY not in out + err
    assert sum(fake_clock.sleeps) >= 30  # the re-read waited (bounded) for the delete to show before saying so


def _run_probe_until(server: SandboxServer, ready, sig: int) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "TATANGO_API_URL": server.url,
        "TATANGO_EMAIL": SANDBOX_EMAIL,
        "TATANGO_API_KEY": SANDBOX_API_KEY,
        "TATANGO_RATE_LIMIT": "0",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tatango_iac", "doctor", "--write-probe", "--format", "json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not ready():
        time.sleep(0.02)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def test_a_signal_while_the_create_is_in_flight_leaves_nothing():
    with SandboxServer() as server:
        set_faults(server, script=[{"method": "POST", "path": "/lists$", "fault": "hold", "ms": 3000}])
        code, out, _err = _run_probe_until(server, lambda: bool(server.state.snapshot()["lists"]), signal.SIGINT)
        left = server.state.snapshot()["lists"]
    removed = checks(json.loads(out))["the scratch list and everything on it are removed"]
    assert code == 1 and left == {}
    assert removed["verdict"] == "ok" and "found by its name in the index" in removed["observed"], removed


def test_sigterm_during_the_round_trip_leaves_nothing():
    with SandboxServer() as server:
        set_faults(server, latency_ms=20)
        code, out, err = _run_probe_until(
            server,
            lambda: any(re.search(r"/lists/\d+$", r["path"]) for r in server.api_requests("PUT")),
            signal.SIGTERM,
        )
        left = server.state.snapshot()
    got = checks(json.loads(out))
    assert code == 1 and left["lists"] == {} and left["webhooks"] == {}
    assert got["the probe runs to its end"]["observed"] == "interrupted (Ctrl-C or SIGTERM)"
    assert got["the scratch list and everything on it are removed"]["verdict"] == "ok"
    assert (
        "not finished"
        in got["every list attribute comes back as written (set, changed, cleared, in every form)"]["observed"]
    )
    assert "the write probe was interrupted; the scratch list was removed" in err


def test_a_signal_during_the_clean_up_is_held_until_it_is_done():
    with SandboxServer() as server:
        set_faults(server, script=[{"method": "DELETE", "path": r"/lists/\d+$", "fault": "hold", "ms": 1500}])
        code, out, _err = _run_probe_until(
            server,
            lambda: (
                bool(server.api_requests("DELETE"))
                and any(re.search(r"/lists/\d+$", r["path"]) for r in server.api_requests("DELETE"))
            ),
            signal.SIGINT,
        )
        left = server.state.snapshot()["lists"]
    got = checks(json.loads(out))
    assert code == 1 and left == {}
    assert got["the probe runs to its end"]["observed"] == "Ctrl-C during the clean-up"
    assert got["the scratch list and everything on it are removed"]["verdict"] == "ok"
