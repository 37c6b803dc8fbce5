"""Issue 22 point 1: a nightly drift check that fits a budget and still covers every list over nights.

The real CLI against the sandbox over real HTTP; the wall clock of the nightly rotation
(drift.state.utc_now) and the pacing clock (workflow.make_clock) are faked.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from tatango_iac import workflow
from tatango_iac.drift import state as drift_state
from tatango_iac.drift.schedule import Candidate, select
from tests.conftest import run_cli

TOKEN = "s3cr3t-t0ken-value-42"
LISTS = 6
NIGHT = datetime(2026, 11, 30, 6, 17, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


@pytest.fixture
def tonight(monkeypatch):
    night = {"at": NIGHT}
    monkeypatch.setattr(drift_state, "utc_now", lambda: night["at"])
    return night


@pytest.fixture
def account(tmp_path, api_env):
    """Six managed lists, each managing its webhooks (one, with a secret) and custom fields, applied."""
    config = tmp_path / "config.yaml"
    config.write_text(
        "version: 1\naccount: {shortcode: '33733'}\nlists:\n"
        + "".join(
            f"  - name: L{i}\n    message_help: 'L{i}: help at help@acme.example. Text STOP to end.'\n"
            f"    webhooks: [{{callback_url: 'https://hooks.example/l{i}?token=${{HOOK_TOKEN}}', subscribe: true}}]\n"
            f"    custom_fields: [{{key: zip, label: Zip, content_type: text, max_length: 5}}]\n"
            for i in range(LISTS)
        )
    )
    api_env["HOOK_TOKEN"] = TOKEN
    result = run_cli(["apply", "--auto-approve", str(config)], env=api_env)
    assert result.exit_code == 0, result.output
    return config


def drift(api_env, config, *extra):
    return run_cli(["plan", "--drift", "--detailed-exitcode", *extra, str(config)], env=api_env)


def children_read(sandbox, since: int) -> set[int]:
    ids = set()
    for r in sandbox.api_requests()[since:]:
        match = re.fullmatch(r"/api/v2/lists/(\d+)/(webhooks|custom_fields)", r["path"])
        if match and r["method"] == "GET":
            ids.add(int(match.group(1)))
    return ids


def test_each_night_fits_the_budget_and_every_list_is_covered_within_the_stated_nights(
    api_env, account, sandbox, tmp_path, tonight
):
    state = tmp_path / "cache" / "drift-state.json"
    seen: set[int] = set()
    for _night in range(3):
        before = len(sandbox.api_requests())
        result = drift(api_env, account, "--budget", "5", "--drift-state", str(state))
        assert result.exit_code == 0, result.output
        assert len(sandbox.api_requests()) - before <= 5  # 1 index page + 2 lists x 2 children
        tonight_ids = children_read(sandbox, before)
        assert len(tonight_ids) == 2 and not tonight_ids & seen  # least recently checked first: no repeats
        seen |= tonight_ids
        assert (
            "Webhooks and custom fields checked tonight: 2 of 6 list(s) (budget 5 calls, 1 for the list index"
            in result.stdout
        )
        assert "every list's are checked within 3 night(s)" in result.stdout
        tonight["at"] += timedelta(days=1)
    assert len(seen) == LISTS
    saved = state.read_text()
    assert TOKEN not in saved and "hooks.example" not in saved and "L1" not in saved  # ids and times only
    assert set(json.loads(saved)["checked"]) == {str(i) for i in seen}


def test_the_report_names_the_lists_not_checked_and_when_they_last_were(api_env, account, sandbox, tmp_path, tonight):
    state = tmp_path / "state.json"
    first = drift(api_env, account, "--budget", "9", "--drift-state", str(state))  # 4 lists tonight
    assert "Not checked tonight (2), least recently checked first:" in first.stdout
    assert first.stdout.count("never checked by this state") == 2
    tonight["at"] += timedelta(days=1)
    second = run_cli(
        ["plan", "--drift", "--format", "json", "--budget", "5", "--drift-state", str(state), str(account)], env=api_env
    )
    coverage = json.loads(second.stdout)["drift"]["children_coverage"]
    assert coverage["checked"] == 2 and coverage["lists"] == LISTS and coverage["full_coverage_nights"] == 3
    stamps = [item["last_checked"] for item in coverage["not_checked"]]
    assert stamps == ["2026-11-30T06:17:00Z"] * 4  # the two never checked went first tonight


def test_without_a_state_file_the_rotation_is_deterministic_and_covers_everything(api_env, account, sandbox, tonight):
    nights = []
    for _ in range(3):
        before = len(sandbox.api_requests())
        assert drift(api_env, account, "--budget", "5").exit_code == 0
        nights.append(children_read(sandbox, before))
        tonight["at"] += timedelta(days=1)
    assert set().union(*nights) and len(set().union(*nights)) == LISTS
    tonight["at"] = NIGHT  # the same night again: the same lists
    before = len(sandbox.api_requests())
    assert drift(api_env, account, "--budget", "5").exit_code == 0
    assert children_read(sandbox, before) == nights[0]


def test_attribute_drift_is_found_every_night_and_child_drift_on_its_night(
    api_env, account, sandbox, client, tmp_path, tonight
):
    lists = {lst["name"]: lst["id"] for lst in client.list_lists()}
    client.update_list(lists["L3"], {"message_help": "changed by hand"})
    hooks = client.list_webhooks(lists["L5"])
    client.delete_webhook(lists["L5"], hooks[0]["id"])
    state = tmp_path / "state.json"
    found_hook = False
    for _night in range(3):
        before = len(sandbox.api_requests())
        result = drift(api_env, account, "--budget", "5", "--drift-state", str(state))
        assert result.exit_code == 2, result.output  # the text drift is in the index: every night
        assert 'list["L3"].message_help' in result.stdout
        if lists["L5"] in children_read(sandbox, before):
            assert 'list["L5"].webhook' in result.stdout and TOKEN not in result.output
            found_hook = True
        else:
            assert 'list["L5"].webhook' not in result.stdout
        tonight["at"] += timedelta(days=1)
    assert found_hook


def test_an_index_only_budget_says_children_are_never_checked(api_env, account, sandbox):
    result = drift(api_env, account, "--budget", "1")
    assert result.exit_code == 0, result.output
    assert "At this budget they are never checked: raise --budget." in result.stdout
    assert children_read(sandbox, 0) & set() == set()


def test_a_budget_below_the_index_is_refused_clearly(api_env, account, sandbox, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(config.read_text() + "  - name: NEWLIST\n    keyword_names: [FRESHKW]\n")
    before = len(sandbox.api_requests())
    result = drift(api_env, config, "--budget", "1")  # index 1 + one keyword check
    assert result.exit_code == 1
    assert "--budget 1 is less than the 2 call(s) every drift check needs" in result.output
    assert "Traceback" not in result.output
    assert len(sandbox.api_requests()) - before == 1  # only the index


def test_a_damaged_state_file_is_reported_with_its_location_ignored_and_rewritten(api_env, account, tmp_path, tonight):
    state = tmp_path / "state.json"
    state.write_text('{"format": "tatango-iac drift state",\n  "checked": {oops}}\n')
    result = drift(api_env, account, "--budget", "5", "--drift-state", str(state))
    assert result.exit_code == 0, result.output
    assert re.search(rf"drift state {re.escape(str(state))}:2:15: .*; ignored", result.output)
    assert len(json.loads(state.read_text())["checked"]) == 2


def test_bad_entries_in_a_state_file_are_dropped_and_named(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(
        json.dumps(
            {
                "format": drift_state.FORMAT,
                "version": 1,
                "checked": {"12": "2026-11-29T06:00:00Z", "x": "2026-11-29T06:00:00Z", "13": "yesterday", "14": 5},
            }
        )
    )
    loaded = drift_state.load_state(str(path))
    assert list(loaded.checked) == [12]
    assert "3 entr(y/ies) ignored" in loaded.problems[0]


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe",
        b"[]",
        b'{"format": "other", "checked": {}}',
        b'{"format": "tatango-iac drift state", "version": 9, "checked": {}}',
    ],
)
def test_state_files_that_are_not_ours_are_ignored(tmp_path, content):
    path = tmp_path / "state.json"
    path.write_bytes(content)
    loaded = drift_state.load_state(str(path))
    assert loaded.checked == {} and len(loaded.problems) == 1 and str(path) in loaded.problems[0]


def test_budget_and_state_go_with_drift_only(api_env, account, sandbox):
    before = len(sandbox.api_requests())
    result = run_cli(["plan", "--budget", "5", str(account)], env=api_env)
    assert result.exit_code == 1 and "--budget and --drift-state go with --drift" in result.output
    assert len(sandbox.api_requests()) == before


def test_selection_is_linear_and_spends_the_budget_least_recent_first():
    cands = [Candidate(i, f"k{i}", f"L{i}", 2) for i in range(10_000)]
    last = {i: NIGHT - timedelta(days=i % 7) for i in range(0, 10_000, 2)}  # the odd ones were never checked
    chosen = select(cands, last, day=0, budget=2_410, fixed_calls=10)
    assert len(chosen.checked) == 1200 and chosen.nights == 9
    assert all(c.list_id % 2 == 1 for c in chosen.checked)  # never checked first


def test_a_state_file_without_a_budget_reads_everything_and_records_it(api_env, account, sandbox, tmp_path, tonight):
    state = tmp_path / "state.json"
    before = len(sandbox.api_requests())
    result = drift(api_env, account, "--drift-state", str(state))
    assert result.exit_code == 0, result.output
    assert len(children_read(sandbox, before)) == LISTS
    assert "Webhooks and custom fields checked tonight: 6 of 6 list(s)." in result.stdout
    assert set(json.loads(state.read_text())["checked"].values()) == {"2026-11-30T06:17:00Z"}


def test_a_deleted_list_leaves_the_state_file(api_env, account, sandbox, client, tmp_path, tonight):
    state = tmp_path / "state.json"
    assert drift(api_env, account, "--drift-state", str(state)).exit_code == 0
    gone = next(lst["id"] for lst in client.list_lists() if lst["name"] == "L0")
    client.delete_list(gone)
    drift(api_env, account, "--budget", "5", "--drift-state", str(state))
    assert str(gone) not in json.loads(state.read_text())["checked"]  # bounded by the account
