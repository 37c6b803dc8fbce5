"""Issue 16 point 4, the pure half: the planner's rule for the forms record (engine.records), with no I/O.

A difference whose configured value digests to the entry's ``sent`` and whose live value to its
``held`` plans nothing and is noted; any other difference plans as usual."""

from __future__ import annotations

import pytest

from tatango_iac.cli.json_where import line_col
from tatango_iac.digests import DigestKey
from tatango_iac.engine.planner import plan
from tatango_iac.engine.records import (
    Entry,
    FormsRecord,
    Keywords,
    RecordShapeError,
    differences,
    entry_key,
    inside,
    key_check,
    merged,
    observed,
    record_from_json,
    unmatched_by_key,
)
from tests.planning import desired_from, live, raw_list, summary

KEY = DigestKey.from_credentials("ops@acme.example", "the-api-key")
FIELD = {"key": "notes", "label": "Notes", "content_type": "text", "max_length": 500}
ADDRESS = 'list["Deals"].custom_field["notes"]'
AT = "2026-12-01T00:00:00Z"


def wanted(max_length: int = 500, label: str = "Notes", **extra):
    return desired_from(
        {"lists": [{"name": "Deals", "custom_fields": [{**FIELD, "max_length": max_length, "label": label}], **extra}]}
    )


def account(max_length: int = 255, **fields):
    held = {**FIELD, "max_length": max_length, "pattern": None, "default_value": None}
    held["should_validate_regex_via_api"] = False
    return live([raw_list(7, "Deals", **fields)], custom_fields={7: [held]})


def recorded(sent, held, list_id=7, address=ADDRESS, attribute="max_length", key=KEY) -> FormsRecord:
    entry = Entry(list_id, address, attribute, key.digest(sent), key.digest(held), AT)
    return FormsRecord({entry.key: entry})


def test_without_a_record_the_cap_plans_a_destructive_replace():
    result = plan(wanted(), account(), key=KEY)
    assert summary(result) == [("replace", "custom_field", ADDRESS)]
    assert result.actions[0].destructive


def test_a_recorded_form_plans_nothing_and_says_what_to_write():
    result = plan(wanted(), account(), key=KEY, record=recorded(500, 255))
    assert result.actions == [] and not result.has_changes
    [form] = [f for f in result.stored_forms if f["source"] == "record"]
    assert form == {
        "address": ADDRESS,
        "attribute": "max_length",
        "configured": 500,
        "held": 255,
        "source": "record",
        "list_id": 7,
        "recorded_at": AT,
        "detail": "",
    }
    [note] = [n for n in result.notes if "recorded by apply" in n]
    assert "the API stores max_length 500 as 255" in note
    assert "write 255 in the configuration, or report it with `tatango-iac doctor --record`" in note


def test_a_new_configured_value_plans_normally():
    result = plan(wanted(300), account(), key=KEY, record=recorded(500, 255))
    assert summary(result) == [("replace", "custom_field", ADDRESS)]
    assert not [f for f in result.stored_forms if f["source"] == "record"]


def test_a_live_value_changed_since_is_drift_again():
    result = plan(wanted(), account(max_length=100), key=KEY, record=recorded(500, 255))
    assert summary(result) == [("replace", "custom_field", ADDRESS)]


def test_an_entry_matches_only_its_list_address_attribute_and_key():
    for other in (
        recorded(500, 255, list_id=8),
        recorded(500, 255, address='list["Deals"].custom_field["other"]'),
        recorded(500, 255, attribute="label"),
        recorded(500, 255, key=DigestKey.from_credentials("ops@acme.example", "another-key")),
    ):
        assert summary(plan(wanted(), account(), key=KEY, record=other)) == [("replace", "custom_field", ADDRESS)]


def test_a_recorded_form_with_a_real_change_beside_it_keeps_the_real_change():
    result = plan(wanted(label="Remarks"), account(), key=KEY, record=recorded(500, 255))
    assert summary(result) == [("replace", "custom_field", ADDRESS)]
    assert [c["path"] for c in result.actions[0].changes] == ["label"]  # max_length is a note, not a change
    assert [f["attribute"] for f in result.stored_forms if f["source"] == "record"] == ["max_length"]


def test_any_attribute_of_any_resource_the_planner_compares_is_covered():
    """Not a rule per attribute: a list's e-mail setting and its opt-in requests go through the same function."""
    config = desired_from({"lists": [{"name": "Deals", "email_subscribe": True}]})
    lst = live([raw_list(7, "Deals", email_subscribe="ops@acme.example")])
    [action] = plan(config, lst, key=KEY).actions
    assert [(d.attribute, d.sent, d.held) for d in differences(action, Keywords(lst))] == [
        ("email_subscribe", True, "ops@acme.example")
    ]
    entry = Entry(7, 'list["Deals"]', "email_subscribe", KEY.digest(True), KEY.digest("ops@acme.example"), AT)
    assert plan(config, lst, key=KEY, record=FormsRecord({entry.key: entry})).actions == []


def test_a_keyword_set_the_api_keeps_otherwise_is_recorded_as_a_set():
    config = desired_from({"lists": [{"name": "Deals", "keyword_names": ["SAVE", "deal"]}]})
    lst = live([raw_list(7, "Deals", keyword_names=["SAVE"])], available={"DEAL": True})
    [action] = [a for a in plan(config, lst, key=KEY).actions if a.resource == "keywords"]
    [diff] = differences(action, Keywords(lst))
    assert (diff.attribute, diff.sent, diff.held) == ("keyword_names", ["DEAL", "SAVE"], ["SAVE"])
    entry = Entry(7, action.address, "keyword_names", KEY.digest(["DEAL", "SAVE"]), KEY.digest(["SAVE"]), AT)
    assert plan(config, lst, key=KEY, record=FormsRecord({entry.key: entry})).actions == []


def test_observed_entries_are_what_the_planner_then_matches():
    [action] = plan(wanted(), account(), key=KEY).actions
    assert observed([action], account(), KEY, AT, {ADDRESS: {"label"}}) == []  # not sent: not ours to record
    [seen] = observed([action], account(), KEY, AT, {ADDRESS: {"key", "max_length"}})
    assert seen.entry == recorded(500, 255).entries[entry_key(7, ADDRESS, "max_length")]
    assert seen.line() == (
        f"{ADDRESS}: the API stored max_length 500 as 255; write 255 in the configuration, or report it with "
        "`tatango-iac doctor --record`"
    )


def test_merge_keeps_what_the_apply_did_not_touch_and_drops_gone_lists():
    old = recorded(500, 255)
    other = Entry(9, 'list["VIP"]', "message_help", KEY.digest("a"), KEY.digest("b"), AT)
    old.entries[other.key] = other
    gone = Entry(11, 'list["Old"]', "message_help", KEY.digest("a"), KEY.digest("b"), AT)
    old.entries[gone.key] = gone
    # The apply wrote ADDRESS again and the re-read no longer matched the entry: the value is held as sent now.
    after = merged(old, [], {(7, inside(ADDRESS))}, set(), {7, 9}, "")
    assert set(after.entries) == {other.key}
    # ...or the re-read still matched it (re-sent beside a real change): it stays.
    kept = entry_key(7, ADDRESS, "max_length")
    assert set(merged(old, [], {(7, inside(ADDRESS))}, {kept}, {7, 9}, "").entries) == {other.key, kept}
    newer = Entry(7, ADDRESS, "max_length", KEY.digest(300), KEY.digest(255), "2026-12-02T00:00:00Z")
    assert merged(old, [newer], {(7, inside(ADDRESS))}, set(), {7, 9}, "").entries[newer.key] == newer


def test_the_record_round_trips_through_json():
    record = recorded(500, 255)
    assert record_from_json(record.to_json()) == record


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "not a tatango-iac forms record file"),
        ({"format": "tatango-iac drift state", "version": 1, "checked": {}}, "not a tatango-iac forms record file"),
        ({"format": "tatango-iac forms record", "version": 2, "entries": []}, "version 2, expected 1"),
        ({"format": "tatango-iac forms record", "version": 1, "entries": {}}, '"entries" is not a list'),
        ({"format": "tatango-iac forms record", "version": 1, "entries": [1]}, "entries[0]: not an object"),
    ],
)
def test_a_record_of_another_shape_is_refused_naming_where(data, message):
    with pytest.raises(RecordShapeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        record_from_json(data)


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"sent": "5f4dcc3b5aa765d61d8327deb882cf99"},
            "entries[0].sent: missing or not a keyed digest (hmac-sha256:...)",
        ),
        ({"held": None}, "entries[0].held: missing or not a keyed digest (hmac-sha256:...)"),
        ({"list_id": "7"}, "entries[0].list_id: missing or not a list id (a whole number > 0)"),
        ({"list_id": True}, "entries[0].list_id: missing or not a list id (a whole number > 0)"),
        ({"value": "500"}, 'entries[0]: unknown key "value"'),
    ],
)
def test_an_entry_of_another_shape_is_refused_naming_it(change, message):
    data = recorded(500, 255).to_json()
    data["entries"][0].update(change)
    with pytest.raises(RecordShapeError) as raised:
        record_from_json(data)
    assert str(raised.value) == message


def test_a_second_entry_for_the_same_attribute_is_refused():
    data = recorded(500, 255).to_json()
    data["entries"].append(dict(data["entries"][0]))
    with pytest.raises(RecordShapeError, match=r"entries\[1\]: a second entry"):
        record_from_json(data)


RENAMED = 'list["Deals Club"].custom_field["notes"]'


def test_a_renamed_list_keeps_its_record_matched_by_list_id():
    """M1: entries match by list id + the address inside the list, never the list's name."""
    config = desired_from({"lists": [{"name": "Deals Club", "renamed_from": "Deals", "custom_fields": [FIELD]}]})
    result = plan(config, account(), key=KEY, record=recorded(500, 255))
    assert [a.resource for a in result.actions] == ["list"]  # the rename alone, no replace
    assert not any(a.destructive for a in result.actions)
    [form] = [f for f in result.stored_forms if f["source"] == "record"]
    assert form["address"] == RENAMED
    # Renamed in the web UI: the live list has the new name, the record the old one.
    renamed_live = live([raw_list(7, "Deals Club")], custom_fields={7: [_held()]})
    config = desired_from({"lists": [{"name": "Deals Club", "custom_fields": [FIELD]}]})
    assert plan(config, renamed_live, key=KEY, record=recorded(500, 255)).actions == []
    # ...but another list with the old name does not inherit it.
    other_live = live([raw_list(8, "Deals")], custom_fields={8: [_held()]})
    assert summary(plan(wanted(), other_live, key=KEY, record=recorded(500, 255))) == [
        ("replace", "custom_field", ADDRESS)
    ]


def _held():
    return {**FIELD, "max_length": 255, "pattern": None, "default_value": None, "should_validate_regex_via_api": False}


def test_the_address_inside_a_list_ignores_its_label():
    assert inside('list["A\\"]b", id=3].custom_field["n"]') == '.custom_field["n"]'
    assert inside('list["A"]') == ""
    assert entry_key(7, ADDRESS, "max_length") == entry_key(7, RENAMED, "max_length")


def test_a_replace_for_another_attribute_does_not_show_the_recorded_one_as_a_change():
    """M5: the diff and the note agree."""
    result = plan(wanted(label="Member notes"), account(), key=KEY, record=recorded(500, 255))
    [action] = result.actions
    assert action.destructive and [c["path"] for c in action.changes] == ["label"]
    assert any(n.startswith("max_length: 500 (the API stores it as 255;") for n in action.notes)
    [note] = [n for n in result.notes if "recorded by apply" in n]
    assert "no change is planned" not in note
    assert "the replace planned for another attribute sends it again" in note


def test_a_record_under_other_credentials_is_counted_and_warned_of():
    """M2: a rotated key makes every digest differ; the record says which key it is under, the plan says so."""
    old = recorded(500, 255)
    old.key_check = key_check(DigestKey.from_credentials("ops@acme.example", "the-old-key"))
    assert unmatched_by_key(old, KEY) == 1
    [warning] = plan(wanted(), account(), key=KEY, record=old).warnings
    assert warning.startswith("the forms record holds 1 entry digested under other API credentials")
    old.key_check = key_check(KEY)
    assert unmatched_by_key(old, KEY) == 0 and plan(wanted(), account(), key=KEY, record=old).warnings == []
    old.key_check = ""  # a file from before the check: nothing can be said
    assert unmatched_by_key(old, KEY) == 0
    # After an apply under the new key, the old entries go: they could never match again.
    old.key_check = key_check(DigestKey.from_credentials("ops@acme.example", "the-old-key"))
    after = merged(old, [], set(), set(), {7}, key_check(KEY))
    assert after.entries == {} and after.key_check == key_check(KEY)
    assert record_from_json(after.to_json()) == after


@pytest.mark.parametrize(
    "change, message, path",
    [
        ({"note": "x"}, 'unknown key "note" (apply writes only format, version, key_check, entries)', ("note",)),
        ({"key_check": "sha256:abc"}, "key_check: not a keyed digest (hmac-sha256:...)", ("key_check",)),
    ],
)
def test_the_top_level_is_strict(change, message, path):
    data = {**recorded(500, 255).to_json(), **change}
    with pytest.raises(RecordShapeError) as raised:
        record_from_json(data)
    assert (str(raised.value), raised.value.path) == (message, path)


@pytest.mark.parametrize("at", ["yesterday", "2026-12-01", "2026-13-01T00:00:00Z", "2026-12-01T00:00:00+01:00", 7])
def test_a_time_must_be_one_as_apply_writes_it(at):
    data = recorded(500, 255).to_json()
    data["entries"][0]["at"] = at
    with pytest.raises(RecordShapeError) as raised:
        record_from_json(data)
    assert raised.value.path == ("entries", 0, "at")


def test_a_place_in_the_text_is_found_along_its_path():
    text = '{\n "a": [1, {"b": "x]"},\n  {"c": {"d": 2}}],\n "e": null}'
    assert line_col(text, ("a", 2, "c", "d")) == (3, 15)
    assert line_col(text, ("e",)) == (4, 7)
    assert line_col(text, ("a", 9)) == (2, 7)  # not there: the deepest that is
    assert line_col(text, ()) == (1, 1)
