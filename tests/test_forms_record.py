"""Issue 16 point 4: no destructive loop, whatever form the API stores a value in.

A difference the API introduces itself surfaces at the first apply ("the API stored X as Y"),
is recorded in the forms record (--forms-record FILE), and is then never planned again as a
destructive replace (or an update that never sticks) while configuration and account stay as
they are. The real CLI over real HTTP against the sandbox, a behaviour profile flipping the
point; the clock is fake.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
import requests

from tatango_iac import workflow
from tatango_iac.cli import forms_record
from tatango_iac.digests import DigestKey
from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL
from tatango_iac.sandbox.profiles import CapsMaxLength, FollowUpEvenHours, Profile
from tests.conftest import run_cli, seed
from tests.test_reviewed_trust import HASHES, guesses, unkeyed_attack

FIELD = 'list["ACME Deals"].custom_field["preferred_department"]'


@pytest.fixture(autouse=True)
def _fake_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


@pytest.fixture
def record(tmp_path: Path) -> Path:
    return tmp_path / ".tatango-state" / "forms-record.json"  # its directory does not exist yet: a first run


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def apply(env: dict, config: Path, *extra: str):
    return run_cli(["apply", "--auto-approve", *extra, str(config)], env=env)


def plan(env: dict, config: Path, *extra: str) -> dict[str, Any]:
    result = run_cli(["plan", "--format", "json", *extra, str(config)], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def clear_requests(sandbox) -> None:
    with sandbox.lock:
        sandbox.requests.clear()


def capped_first_apply(api_env, examples_copy, sandbox, record) -> Any:
    sandbox.state.profile = CapsMaxLength()
    edit(examples_copy / "lists" / "deals.yaml", "max_length: 32", "max_length: 500")
    first = apply(api_env, examples_copy, "--forms-record", str(record))
    assert first.exit_code == 1, first.output
    return first


def test_a_capped_custom_field_is_reported_once_and_never_replaced_night_after_night(
    api_env, examples_copy, sandbox, record
):
    first = capped_first_apply(api_env, examples_copy, sandbox, record)
    assert "Apply complete" not in first.output
    assert (
        f"{FIELD}: the API stored max_length 500 as 255; write 255 in the configuration, or report it" in first.stderr
    )
    assert f"recorded in {record}" in first.stderr
    assert record.is_file()
    # The next plan: no replace, a note that names what the API did and the fix, in every format.
    data = plan(api_env, examples_copy, "--forms-record", str(record))
    assert data["actions"] == [] and data["summary"]["destructive"] == 0
    [stored] = [f for f in data["stored_forms"] if f["source"] == "record"]
    assert {k: stored[k] for k in ("address", "attribute", "configured", "held")} == {
        "address": FIELD,
        "attribute": "max_length",
        "configured": 500,
        "held": 255,
    }
    for fmt in ("text", "markdown"):
        shown = run_cli(["plan", "--format", fmt, "--forms-record", str(record), str(examples_copy)], env=api_env)
        assert shown.exit_code == 0
        assert "the API stores max_length 500 as 255" in shown.stdout
        assert "write 255 in the configuration, or report it with `tatango-iac doctor --record`" in shown.stdout
    # Night after night, with --allow-destroy: no write at all reaches the account, least of all a delete.
    clear_requests(sandbox)
    for _night in range(2):
        again = apply(api_env, examples_copy, "--allow-destroy", "--forms-record", str(record))
        assert again.exit_code == 0, again.output
        assert "No changes." in again.stdout
    assert [r for r in sandbox.api_requests() if r["method"] != "GET"] == []
    fields = requests.get(sandbox.control_url + "/state", timeout=5).json()["custom_fields"]
    assert [f["max_length"] for f in fields["1"].values()] == [255]


def test_apply_json_names_what_the_api_stored_otherwise(api_env, examples_copy, sandbox, record):
    sandbox.state.profile = CapsMaxLength()
    edit(examples_copy / "lists" / "deals.yaml", "max_length: 32", "max_length: 500")
    result = apply(api_env, examples_copy, "--format", "json", "--forms-record", str(record))
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["readback"]["stored_as"] == [
        {"address": FIELD, "attribute": "max_length", "sent": 500, "held": 255}
    ]
    assert f"recorded in {record}" in document["message"]


def test_the_nightly_drift_check_reads_the_record_too(api_env, examples_copy, sandbox, record, tmp_path):
    capped_first_apply(api_env, examples_copy, sandbox, record)
    for extra in ([], ["--budget", "100", "--drift-state", str(tmp_path / "drift" / "state.json")]):
        nightly = run_cli(
            ["plan", "--drift", "--detailed-exitcode", "--forms-record", str(record), *extra, str(examples_copy)],
            env=api_env,
        )
        assert nightly.exit_code == 0, nightly.output


def test_without_the_record_the_replace_is_planned_and_needs_allow_destroy(api_env, examples_copy, sandbox, record):
    capped_first_apply(api_env, examples_copy, sandbox, record)
    data = plan(api_env, examples_copy)  # a first run, an evicted cache, local use without --forms-record
    assert [(a["action"], a["address"], a["destructive"]) for a in data["actions"]] == [("replace", FIELD, True)]
    refused = apply(api_env, examples_copy)
    assert refused.exit_code == 1 and "--allow-destroy was not given" in refused.stderr


def test_a_new_configured_value_plans_the_replace_again(api_env, examples_copy, sandbox, record):
    capped_first_apply(api_env, examples_copy, sandbox, record)
    edit(examples_copy / "lists" / "deals.yaml", "max_length: 500", "max_length: 300")
    data = plan(api_env, examples_copy, "--forms-record", str(record))
    [action] = data["actions"]
    assert (action["action"], action["address"]) == ("replace", FIELD)
    assert action["changes"] == [{"path": "max_length", "before": 255, "after": 300}]
    assert not [f for f in data["stored_forms"] if f["source"] == "record"]
    # Applied (a replace, allowed), the API caps it again: the replace's read-back records the new pair.
    replaced = apply(api_env, examples_copy, "--allow-destroy", "--forms-record", str(record))
    assert replaced.exit_code == 1 and f"{FIELD}: the API stored max_length 300 as 255" in replaced.stderr
    assert len(json.loads(record.read_text())["entries"]) == 1  # the entry for 500 is replaced, not kept beside
    assert plan(api_env, examples_copy, "--forms-record", str(record))["actions"] == []


def test_an_edit_in_the_web_ui_is_drift_again(api_env, examples_copy, sandbox, record):
    capped_first_apply(api_env, examples_copy, sandbox, record)
    state = requests.get(sandbox.control_url + "/state", timeout=5).json()
    state["custom_fields"]["1"]["preferred_department"]["max_length"] = 100  # someone changed it by hand
    seed(sandbox, state)
    data = plan(api_env, examples_copy, "--forms-record", str(record))
    [action] = data["actions"]
    assert (action["action"], action["address"]) == ("replace", FIELD)
    assert action["changes"] == [{"path": "max_length", "before": 100, "after": 500}]


def test_a_recorded_form_sent_again_beside_a_real_change_is_no_failure(api_env, examples_copy, sandbox, record):
    capped_first_apply(api_env, examples_copy, sandbox, record)
    entries = json.loads(record.read_text())["entries"]
    edit(examples_copy / "lists" / "deals.yaml", "label: Preferred department", "label: Favourite department")
    done = apply(api_env, examples_copy, "--allow-destroy", "--forms-record", str(record))
    assert done.exit_code == 0, done.output
    assert "shows the account now matches the configuration" in done.stdout
    assert json.loads(record.read_text())["entries"] == entries  # the re-read still found it held as recorded
    assert plan(api_env, examples_copy, "--forms-record", str(record))["actions"] == []


def test_a_non_text_list_attribute_kept_otherwise_plans_no_update_that_never_sticks(
    api_env, examples_copy, sandbox, record
):
    sandbox.state.profile = FollowUpEvenHours()
    vip = examples_copy / "lists" / "vip.yaml"
    edit(vip, "follow_up_hour: 2", "follow_up_hour: 3")  # kept as 4
    first = apply(api_env, examples_copy, "--forms-record", str(record))
    assert first.exit_code == 1
    assert (
        'list["ACME VIP"].opt_in_settings: the API stored opt_in_requests[0].follow_up_hour 3 as 4; write the held '
        "values in the configuration" in first.stderr
    )
    data = plan(api_env, examples_copy, "--forms-record", str(record))
    assert data["actions"] == []
    assert any("the API stores opt_in_requests[0].follow_up_hour 3 as 4 (recorded" in n for n in data["notes"])
    clear_requests(sandbox)
    for _night in range(2):
        again = apply(api_env, examples_copy, "--forms-record", str(record))
        assert again.exit_code == 0 and "No changes." in again.stdout
    assert [r for r in sandbox.api_requests() if r["method"] != "GET"] == []
    # A changed follow-up hour is a real change again.
    edit(vip, "follow_up_hour: 3", "follow_up_hour: 5")
    data = plan(api_env, examples_copy, "--forms-record", str(record))
    assert [a["address"] for a in data["actions"]] == ['list["ACME VIP"].opt_in_settings']


# ------------------------------------------------------------------ no secret in the record


class KeepsFortyCharacters(Profile):
    """Stores message_help cut to 40 characters (a narrow column): the secret inside stays."""

    def incoming(self, body: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get("list"), dict) and body["list"].get("message_help"):
            return {"list": {**body["list"], "message_help": body["list"]["message_help"][:40]}}
        return body


TEMPLATE = "ACME Deals: code {} at the till. Text STOP to end."
SECRET = "sunshine"  # a human-chosen ${...} value, in every word list


def test_the_record_holds_no_secret_and_no_unkeyed_hash(api_env, examples_copy, sandbox, record):
    assert apply(api_env, examples_copy).exit_code == 0
    sandbox.state.profile = KeepsFortyCharacters()
    deals = examples_copy / "lists" / "deals.yaml"
    text = deals.read_text()
    start = text.index('message_help: "') + len('message_help: "')
    deals.write_text(text[:start] + TEMPLATE.format("${PROMO_CODE}") + text[text.index('"', start) :])
    env = {**api_env, "PROMO_CODE": SECRET}
    first = apply(env, examples_copy, "--forms-record", str(record))
    assert first.exit_code == 1 and 'list["ACME Deals"]: the API stored message_help ' in first.stderr
    assert SECRET not in first.output
    saved = record.read_text()
    [entry] = json.loads(saved)["entries"]
    assert entry["attribute"] == "message_help"
    assert SECRET not in saved.lower()
    words = guesses([SECRET])
    # Whoever holds the file and the configuration (public in the repository) cannot test guesses:
    # no unkeyed hash of the value or of the whole message with the guess in it, in any common form...
    assert unkeyed_attack([saved], words) == set()
    blob_hexes = set(json.dumps(entry).replace('"', " ").split())
    for word in words[len(words) // 2 - 5 : len(words) // 2 + 5]:
        message = TEMPLATE.format(word)
        for form in (message, json.dumps(message), json.dumps(message, sort_keys=True)):
            for name in HASHES:
                full = hashlib.new(name, form.encode()).hexdigest()
                assert not any(full[: len(h)] == h for h in blob_hexes if len(h) >= 8), (word, name)
    # ...nor a keyed one without the API credentials.
    attacker = DigestKey.from_credentials("attacker@example.com", "guessed-key")
    assert [w for w in words if attacker.digest(TEMPLATE.format(w)) == entry["sent"]] == []
    # The digest is of what was sent, keyed with the account's credentials (so the attack above aimed right).
    assert DigestKey.from_credentials(SANDBOX_EMAIL, SANDBOX_API_KEY).digest(TEMPLATE.format(SECRET)) == entry["sent"]
    again = run_cli(["plan", "--forms-record", str(record), str(examples_copy)], env=env)
    assert again.exit_code == 0 and "No changes." in again.stdout and SECRET not in again.output


# ------------------------------------------------------------------ a damaged record file


def _valid(path: Path) -> None:
    key = DigestKey.from_credentials(SANDBOX_EMAIL, SANDBOX_API_KEY)
    entry = {"list_id": 1, "address": FIELD, "attribute": "max_length", "at": "2026-12-01T00:00:00Z"}
    entry.update(sent=key.digest(500), held=key.digest(255))
    path.write_text(json.dumps({"format": "tatango-iac forms record", "version": 1, "entries": [entry]}, indent=1))


def _changed(path: Path, old: str, new: str) -> None:
    _valid(path)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _symlink(path: Path) -> None:
    target = path.with_name("elsewhere.json")
    _valid(target)
    path.symlink_to(target)


DAMAGED = {
    "cut short": (
        lambda p: p.write_text('{"format": "tatango-iac forms record",\n "version": 1,\n "entries": [\n'),
        ":4:1: not valid JSON (Expecting value line 4 column 1; a file cut short ends so)",
    ),
    "cut short in a string": (
        lambda p: (_valid(p), p.write_text(p.read_text()[:120])),
        ":7:15: not valid JSON (Unterminated string starting at line 7 column 15; a file cut short ends so)",
    ),
    "a time that is not one": (
        lambda p: _changed(p, '"2026-12-01T00:00:00Z"', '"yesterday"'),
        ":9:10: entries[0].at: missing or not a UTC time as apply writes it (2026-12-01T02:14:30Z).",
    ),
    "an unknown top-level key": (
        lambda p: _changed(p, '"version": 1,', '"version": 1,\n "note": "hand-edited",'),
        ':4:10: unknown key "note" (apply writes only format, version, key_check, entries).',
    ),
    "not UTF-8": (lambda p: p.write_bytes(b'{"format": "\xff"}'), ": not UTF-8 (byte 12)"),
    "the drift state": (
        lambda p: p.write_text('{"format": "tatango-iac drift state", "version": 1, "checked": {}}'),
        ":1:1: not a tatango-iac forms record file",
    ),
    "an unkeyed hash": (
        lambda p: (_valid(p), p.write_text(p.read_text().replace('"hmac-sha256:', '"sha256:'))),
        ":10:12: entries[0].sent: missing or not a keyed digest (hmac-sha256:...).",
    ),
    "a symbolic link": (_symlink, ": is a symbolic link; give the file itself (it is written back)"),
    "too large": (lambda p: p.write_bytes(b" " * (forms_record.MAX_BYTES + 1)), ": larger than 5 MiB"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED))
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_damaged_record_is_exit_1_with_its_location_and_nothing_read_or_changed(
    api_env, examples_copy, sandbox, tmp_path, damage, command
):
    path = tmp_path / "forms-record.json"
    make, message = DAMAGED[damage]
    make(path)
    before = sorted(os.listdir(tmp_path))
    extra = ["--auto-approve", "--allow-destroy"] if command == "apply" else []
    result = run_cli([command, *extra, "--forms-record", str(path), str(examples_copy)], env=api_env)
    assert result.exit_code == 1
    assert f"Error: --forms-record {path}{message}" in result.stderr, result.stderr
    assert "Nothing was read or changed. Delete the file to start afresh" in result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert sandbox.api_requests() == []  # refused before the first call
    assert sorted(os.listdir(tmp_path)) == before  # the file is left as it was, for whoever looks at it


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_directory_for_the_record_is_a_usage_error(api_env, examples_copy, sandbox, tmp_path, command):
    (tmp_path / "state").mkdir()
    result = run_cli([command, "--forms-record", str(tmp_path / "state"), str(examples_copy)], env=api_env)
    assert result.exit_code == 1
    assert f"Invalid value for '--forms-record': File '{tmp_path / 'state'}' is a directory." in result.stderr
    assert sandbox.api_requests() == []


def test_a_first_run_without_anything_to_record_leaves_no_file(api_env, examples_copy, record):
    done = apply(api_env, examples_copy, "--forms-record", str(record))
    assert done.exit_code == 0, done.output
    assert not record.exists()
    assert plan(api_env, examples_copy, "--forms-record", str(record))["actions"] == []


def _many(count: int) -> Any:
    from tatango_iac.engine.records import Entry, FormsRecord

    key = DigestKey.from_credentials(SANDBOX_EMAIL, SANDBOX_API_KEY)
    entries = [
        Entry(i, f'list["L{i}"]', "max_length", key.digest(500), key.digest(255), "2026-12-01T00:00:00Z")
        for i in range(1, count)
    ]
    return FormsRecord({e.key: e for e in entries})


def test_a_record_the_next_run_would_refuse_is_never_written(tmp_path):
    path = tmp_path / "forms-record.json"
    with pytest.raises(forms_record.Failure, match="not written: it would be larger than 5 MiB"):
        forms_record.save(_many(40_000), str(path))
    assert not path.exists() and os.listdir(tmp_path) == []
    forms_record.save(_many(3), str(path))
    assert forms_record.load(str(path)) == _many(3)


def test_a_link_planted_while_apply_ran_is_not_followed_when_writing(tmp_path):
    path, target = tmp_path / "forms-record.json", tmp_path / "precious.yaml"
    target.write_text("lists: []\n")
    path.symlink_to(target)
    with pytest.raises(forms_record.Failure, match="is a symbolic link"):
        forms_record.save(_many(3), str(path))
    assert target.read_text() == "lists: []\n" and sorted(os.listdir(tmp_path)) == [
        "forms-record.json",
        "precious.yaml",
    ]


def test_a_saved_plan_made_with_the_record_applies_only_with_it(api_env, examples_copy, sandbox, record, tmp_path):
    capped_first_apply(api_env, examples_copy, sandbox, record)
    saved = tmp_path / "plan.json"
    made = run_cli(["plan", "--out", str(saved), "--forms-record", str(record), str(examples_copy)], env=api_env)
    assert made.exit_code == 0, made.output
    clear_requests(sandbox)
    same = run_cli(["apply", "--plan", str(saved), "--allow-destroy", "--forms-record", str(record)], env=api_env)
    assert same.exit_code == 0 and "No changes." in same.stdout, same.output
    # Without the record the recomputed plan holds the replace the reviewed one did not: refused, nothing written.
    bare = run_cli(["apply", "--plan", str(saved), "--allow-destroy"], env=api_env)
    assert bare.exit_code == 1, bare.output
    assert f"this plan was made with --forms-record {record}: pass it again" in bare.stderr
    assert [r for r in sandbox.api_requests() if r["method"] != "GET"] == []
