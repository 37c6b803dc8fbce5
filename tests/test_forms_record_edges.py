"""The forms record's rough edges (an independent tester's findings): a renamed list keeps its record (M1), a
plan's diff and its note agree (M5), a saved plan says it was made with a record (M6), a key rotation is named
(M2), the file's shape is strict (L4). The real CLI over real HTTP against the sandbox; the clock is fake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tatango_iac import workflow
from tatango_iac.sandbox.profiles import FollowUpEvenHours
from tests.conftest import run_cli
from tests.test_forms_record import FIELD, apply, capped_first_apply, clear_requests, edit, plan

RENAMED = 'list["ACME Deals Club"].custom_field["preferred_department"]'


@pytest.fixture(autouse=True)
def _fake_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


@pytest.fixture
def record(tmp_path: Path) -> Path:
    return tmp_path / ".tatango-state" / "forms-record.json"


def writes(sandbox) -> list[dict]:
    return [r for r in sandbox.api_requests() if r["method"] != "GET"]


def rename(config: Path) -> None:
    edit(
        config / "lists" / "deals.yaml",
        "  - name: ACME Deals\n",
        "  - name: ACME Deals Club\n    renamed_from: ACME Deals\n",
    )


def test_renaming_a_list_keeps_its_record_and_plans_no_replace(api_env, examples_copy, sandbox, record):
    capped_first_apply(api_env, examples_copy, sandbox, record)
    rename(examples_copy)
    data = plan(api_env, examples_copy, "--forms-record", str(record))
    assert [(a["action"], a["address"]) for a in data["actions"]] == [("update", 'list["ACME Deals Club"]')]
    assert data["summary"]["destructive"] == 0
    [form] = [f for f in data["stored_forms"] if f["source"] == "record"]
    assert (form["address"], form["attribute"]) == (RENAMED, "max_length")
    shown = run_cli(["plan", "--forms-record", str(record), str(examples_copy)], env=api_env)
    assert "DESTRUCTIVE" not in shown.stdout and f"{RENAMED}: the API stores max_length 500 as 255" in shown.stdout
    # apply renames without --allow-destroy, and the record survives the rename.
    clear_requests(sandbox)
    done = apply(api_env, examples_copy, "--forms-record", str(record))
    assert done.exit_code == 0, done.output
    assert [r["method"] for r in writes(sandbox)] == ["PUT"]
    assert len(json.loads(record.read_text())["entries"]) == 1
    # The rename done (renamed_from gone): still nothing planned.
    edit(examples_copy / "lists" / "deals.yaml", "    renamed_from: ACME Deals\n", "")
    assert plan(api_env, examples_copy, "--forms-record", str(record))["actions"] == []


def test_a_rename_in_the_web_ui_keeps_the_record(api_env, examples_copy, sandbox, record):
    capped_first_apply(api_env, examples_copy, sandbox, record)
    with sandbox.lock:
        [lst] = [lst for lst in sandbox.state.data["lists"].values() if lst["name"] == "ACME Deals"]
        lst["name"] = "ACME Deals Club"
    edit(examples_copy / "lists" / "deals.yaml", "  - name: ACME Deals\n", "  - name: ACME Deals Club\n")
    assert plan(api_env, examples_copy, "--forms-record", str(record))["actions"] == []


def test_a_replace_for_another_attribute_shows_the_recorded_one_as_what_it_is(api_env, examples_copy, sandbox, record):
    capped_first_apply(api_env, examples_copy, sandbox, record)
    edit(examples_copy / "lists" / "deals.yaml", "label: Preferred department", "label: Favourite department")
    shown = run_cli(["plan", "--forms-record", str(record), str(examples_copy)], env=api_env)
    assert shown.exit_code == 0, shown.output
    assert f"-/+ {FIELD} (replace; DESTRUCTIVE" in shown.stdout
    assert "max_length: 255 -> 500" not in shown.stdout and "255 -> 500" not in shown.stdout
    assert "max_length: 500 (the API stores it as 255; recorded by apply at" in shown.stdout
    assert "no change is planned for it" not in shown.stdout
    assert "the replace planned for another attribute sends it again" in shown.stdout
    data = plan(api_env, examples_copy, "--forms-record", str(record))
    [action] = data["actions"]
    assert [c["path"] for c in action["changes"]] == ["label"]
    # Applied: the re-read finds 255 again, which is what the record says: no failure, the record unchanged.
    entries = json.loads(record.read_text())["entries"]
    done = apply(api_env, examples_copy, "--allow-destroy", "--forms-record", str(record))
    assert done.exit_code == 0, done.output
    assert "shows the account now matches the configuration" in done.stdout
    assert json.loads(record.read_text())["entries"] == entries


def test_a_saved_plan_made_with_the_record_says_so_when_applied_without_it(
    api_env, examples_copy, sandbox, record, tmp_path
):
    capped_first_apply(api_env, examples_copy, sandbox, record)
    saved = tmp_path / "saved.plan"
    made = run_cli(["plan", "--out", str(saved), "--forms-record", str(record), str(examples_copy)], env=api_env)
    assert made.exit_code == 0, made.output
    kept = json.loads(saved.read_text())["forms_record"]
    assert kept["path"] == str(record) and kept["entries"] == 1 and kept["digest"].startswith("hmac-sha256:")
    assert "500" not in json.dumps(kept) and "255" not in json.dumps(kept)
    clear_requests(sandbox)
    bare = run_cli(["apply", "--plan", str(saved), "--allow-destroy"], env=api_env)
    assert bare.exit_code == 1, bare.output
    assert (
        f"this plan was made with --forms-record {record}: pass it again "
        f"(tatango-iac apply --plan {saved} --forms-record {record})" in bare.stderr
    )
    assert "Traceback" not in bare.output and sandbox.api_requests() == []  # refused before reading anything
    same = run_cli(["apply", "--plan", str(saved), "--allow-destroy", "--forms-record", str(record)], env=api_env)
    assert same.exit_code == 0 and "No changes." in same.stdout, same.output
    assert writes(sandbox) == []


def test_a_saved_plan_made_without_the_record_names_it_when_applied_with_it(
    api_env, examples_copy, sandbox, record, tmp_path
):
    capped_first_apply(api_env, examples_copy, sandbox, record)
    saved = tmp_path / "saved.plan"
    made = run_cli(["plan", "--out", str(saved), str(examples_copy)], env=api_env)  # the replace, without the record
    assert made.exit_code == 0 and "forms_record" not in json.loads(saved.read_text())
    clear_requests(sandbox)
    mixed = run_cli(["apply", "--plan", str(saved), "--allow-destroy", "--forms-record", str(record)], env=api_env)
    assert mixed.exit_code == 1, mixed.output
    assert "the plan was made without --forms-record; with it, 1 recorded difference(s) plan otherwise" in mixed.stderr
    assert writes(sandbox) == []


def test_a_record_changed_since_the_plan_is_named_as_the_cause(api_env, examples_copy, sandbox, record, tmp_path):
    capped_first_apply(api_env, examples_copy, sandbox, record)
    saved = tmp_path / "saved.plan"
    assert (
        run_cli(["plan", "--out", str(saved), "--forms-record", str(record), str(examples_copy)], env=api_env).exit_code
        == 0
    )
    other = tmp_path / "empty-record.json"  # a record without the entry: the replace is planned again
    other.write_text(json.dumps({"format": "tatango-iac forms record", "version": 1, "entries": []}))
    clear_requests(sandbox)
    changed = run_cli(["apply", "--plan", str(saved), "--allow-destroy", "--forms-record", str(other)], env=api_env)
    assert changed.exit_code == 1, changed.output
    assert "the forms record is not the one the plan was made with (1 entry(ies) used then, 0 now" in changed.stderr
    assert writes(sandbox) == []


def test_a_rotated_api_key_is_named_not_silently_forgotten(api_env, examples_copy, sandbox, record):
    capped_first_apply(api_env, examples_copy, sandbox, record)
    assert json.loads(record.read_text())["key_check"].startswith("hmac-sha256:")
    with sandbox.lock:
        sandbox.state.data["api_key"] = "the-rotated-key"
    rotated = {**api_env, "TATANGO_API_KEY": "the-rotated-key"}
    warning = "the forms record holds 1 entry digested under other API credentials (the API key was rotated"
    data = plan(rotated, examples_copy, "--forms-record", str(record))
    assert [a["address"] for a in data["actions"]] == [FIELD]  # it matches nothing: planned again...
    assert any(warning in w for w in data["warnings"])  # ...and said so, with what to do
    shown = run_cli(["plan", "--forms-record", str(record), str(examples_copy)], env=rotated)
    assert warning in shown.output and "Write the held values in the configuration" in shown.output
    assert "the-rotated-key" not in shown.output and "sandbox-api-key" not in shown.output
    # An apply under the new key records it again under that key and drops the old entries: quiet again.
    done = apply(rotated, examples_copy, "--allow-destroy", "--forms-record", str(record))
    assert done.exit_code == 1 and "the API stored max_length 500 as 255" in done.stderr, done.output
    after = plan(rotated, examples_copy, "--forms-record", str(record))
    assert after["actions"] == [] and not any("other API credentials" in w for w in after["warnings"])
    assert len(json.loads(record.read_text())["entries"]) == 1


def test_the_read_back_names_the_opt_in_request_leaf_that_differs(api_env, examples_copy, sandbox, record):
    """L5: not the whole collection cut before the request that differs."""
    sandbox.state.profile = FollowUpEvenHours()
    vip = examples_copy / "lists" / "vip.yaml"
    edit(vip, "follow_up_hour: 24", "follow_up_hour: 3")  # requests [1] and [2] (the first is 2), kept as 4
    first = apply(api_env, examples_copy, "--forms-record", str(record))
    assert first.exit_code == 1, first.output
    assert (
        'list["ACME VIP"].opt_in_settings: the API accepted opt_in_requests but holds it otherwise: '
        "opt_in_requests[1].follow_up_hour: sent 3, held 4 (and 1 more difference(s) in opt_in_requests)\n"
        in first.stderr
    ), first.stderr
    assert "but holds [" not in first.stderr  # not the whole collection, cut before the difference
