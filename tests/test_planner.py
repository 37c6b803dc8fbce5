"""The pure planner: every action kind, identity rules, normalizations and errors."""

from __future__ import annotations

import copy

import pytest

from tatango_iac.engine.planner import plan
from tatango_iac.errors import PlanError
from tests.conftest import api_examples
from tests.planning import desired, desired_from, live, raw_list, summary

EX = api_examples()


# ------------------------------------------------------------------ no false drift


def example_account():
    """A live account built from the API reference's JSON examples."""
    lists = copy.deepcopy(EX["lists_index"]["lists"][:1]) + [copy.deepcopy(EX["list_create"]["list"])]
    double = copy.deepcopy(EX["list_show"]["list"])
    double.update(
        id=10,
        name="Double",
        opt_in_type="double",
        opt_in_requests=copy.deepcopy(EX["opt_in_double"]["opt_in_requests"]),
    )
    lists.append(double)
    hooks = copy.deepcopy(EX["webhooks_index"]["webhooks"][:1])
    hooks[0]["list_id"] = 11
    hooks.append(
        {
            **copy.deepcopy(EX["webhook_create"]["webhook"]),
            "list_id": 11,
            "created_at": "2016-09-07T21:11:13+00:00",
            "reply_received": True,
            "cleaned": False,
        }
    )
    fields = copy.deepcopy(EX["custom_fields_index"]["custom_fields"])
    return live(lists, webhooks={11: hooks}, custom_fields={11: fields})


EQUIVALENT_YAML = """
lists:
  - name: Mobile Campaign
    email_digest: myemail12@gmail.com
    email_subscribe: false          # null in the account: same meaning
    first_optin_message: null       # "" in the account: same meaning
    message_help: ""                # null in the account: same meaning
    keyword_names: []
  - name: My awesome list
    keyword_names: [sale, Coupons, JOIN, save]    # case and order do not matter
    email_subscribe: true
    message_stop: "ACME Retail: You have been unsubscribed and will not receive any more messages."
    opt_in_type: single
    webhooks:
      - callback_url: http://localhost/dev/null
        subscribe: true
        unsubscribe: false
      - callback_url: http://localhost.dev/null?api_key=foo_bar_baz
        subscribe: true
        reply_received: true
    custom_fields:
      - key: some_custom_field_name
        label: The Label
        content_type: text
        max_length: 9999
        pattern: "[A-Za-z0-9]"
        default_value: The Default Value
  - name: Double
    opt_in_type: double
    opt_in_requests:
"""


def double_requests_yaml() -> str:
    out = []
    for r in EX["opt_in_double"]["opt_in_requests"]:
        lines = [f'      - collected_data: "{r["collected_data"]}"']
        for key in (
            "request_message",
            "retry_message",
            "no_response_message",
            "opt_in_message",
            "second_opt_in_message",
        ):
            if r[key] is not None:
                lines.append(f'        {key}: "{r[key]}"')
        lines.append(f"        follow_up: {str(r['follow_up']).lower()}")
        lines.append(f"        follow_up_hour: {r['follow_up_hour']}")
        lines.append(f"        success_action: {r['success_action']}")
        out.extend(lines)
    return "\n".join(out) + "\n"


def test_an_account_built_from_the_api_examples_plans_to_no_changes():
    config = desired("version: 1\n" + EQUIVALENT_YAML + double_requests_yaml())
    result = plan(config, example_account())
    assert summary(result) == []
    assert result.summary_line() == "No changes. The account matches the configuration."


@pytest.mark.parametrize(
    "field, live_value, yaml_value",
    [
        ("message_help", None, '""'),
        ("message_help", "", "null"),
        ("first_optin_message", "", "null"),
        ("email_subscribe", None, "false"),
        ("email_unsubscribe", False, "null"),
    ],
)
def test_null_and_empty_are_equivalent(field, live_value, yaml_value):
    account = live([raw_list(1, "A", **{field: live_value})])
    assert summary(plan(desired(f"version: 1\nlists:\n  - name: A\n    {field}: {yaml_value}\n"), account)) == []


def test_keyword_case_and_order_are_not_drift():
    account = live([raw_list(1, "A", keyword_names=["JOIN", "SAVE"])])
    assert summary(plan(desired("version: 1\nlists:\n  - name: A\n    keyword_names: [save, Join]\n"), account)) == []


def test_server_side_fields_are_not_drift():
    account = live(
        [raw_list(1, "A", counts={"subscribers": 999, "unsubscribed": 5, "cleaned": 1})],
        webhooks={1: [{**EX["webhook_show"]["webhook"], "list_id": 1, "enabled": False, "id": 77}]},
        custom_fields={1: [{**EX["custom_field_create"]["custom_field"], "list_id": 1, "can_insert": False}]},
    )
    config = desired(
        "version: 1\nlists:\n  - name: A\n    webhooks:\n      - callback_url: http://localhost/dev/null\n"
        "        subscribe: true\n    custom_fields:\n      - {key: the_key, label: The Label, "
        "content_type: text, max_length: 9999}\n"
    )
    assert summary(plan(config, account)) == []


def test_opt_in_request_server_fields_and_unused_follow_up_hour_are_not_drift():
    request = {**EX["opt_in_double"]["opt_in_requests"][3], "follow_up": False, "follow_up_hour": 7}
    account = live([raw_list(1, "A", opt_in_type="double", opt_in_requests=[request])])
    config = desired_from(
        {
            "lists": [
                {
                    "name": "A",
                    "opt_in_type": "double",
                    "opt_in_requests": [
                        {
                            "collected_data": "yes",
                            "request_message": request["request_message"],
                            "retry_message": request["retry_message"],
                            "opt_in_message": request["opt_in_message"],
                            "second_opt_in_message": request["second_opt_in_message"],
                            "follow_up": False,
                            "success_action": "optinsubscriber",
                        }
                    ],
                }
            ]
        }
    )
    assert summary(plan(config, account)) == []


def test_omitted_keys_and_collections_are_never_touched():
    account = live(
        [raw_list(1, "A", message_help="live text", keyword_names=["KEEP"])],
        webhooks={1: [EX["webhook_show"]["webhook"]]},
    )
    result = plan(desired("version: 1\nlists:\n  - name: A\n"), account)
    assert summary(result) == []


# ---------------------------------------------------------------------- lists


def test_create_list_carries_its_keywords_and_written_fields_only():
    result = plan(
        desired(
            "version: 1\nlists:\n  - name: New\n    keyword_names: [join, vip]\n"
            "    message_help: 'Text STOP to end. help@x.example'\n"
        ),
        live([]),
    )
    assert summary(result) == [("create", "list", 'list["New"]')]
    assert result.actions[0].payload == {
        "name": "New",
        "message_help": "Text STOP to end. help@x.example",
        "keyword_names": ["JOIN", "VIP"],
    }


def test_update_sends_only_changed_fields_and_null_clears():
    account = live([raw_list(1, "A", message_help="old", message_stop="same", email_digest="a@b.c")])
    config = desired(
        "version: 1\nlists:\n  - name: A\n    message_help: new\n    message_stop: same\n    email_digest: null\n"
    )
    result = plan(config, account)
    assert summary(result) == [("update", "list", 'list["A"]')]
    action = result.actions[0]
    assert action.payload == {"message_help": "new", "email_digest": ""}  # a cleared text is sent as ""
    assert action.changes == [
        {"path": "email_digest", "before": "a@b.c", "after": None},
        {"path": "message_help", "before": "old", "after": "new"},
    ]


def test_renamed_from_renames_in_place():
    account = live([raw_list(5, "Old Name", keyword_names=["OLD"])])
    result = plan(desired("version: 1\nlists:\n  - name: New Name\n    renamed_from: Old Name\n"), account)
    assert summary(result) == [("update", "list", 'list["New Name"]')]
    assert result.actions[0].payload == {"name": "New Name"} and result.actions[0].list_id == 5
    assert result.unmanaged_lists == []
    done = live([raw_list(5, "New Name")])
    assert summary(plan(desired("version: 1\nlists:\n  - name: New Name\n    renamed_from: Old Name\n"), done)) == []


def test_duplicate_live_names_the_config_refers_to_name_both_ids():
    account = live(EX["lists_index"]["lists"])
    with pytest.raises(PlanError) as err:
        plan(desired("version: 1\nlists:\n  - name: Pizza Campaign\n"), account)
    assert "matches 2 live lists named 'Pizza Campaign' (ids 8, 9)" in err.value.messages[0]
    assert err.value.messages[0].startswith("config.yaml:3:11: ")


def test_duplicate_live_names_no_file_refers_to_are_just_unmanaged():
    result = plan(desired("version: 1\nlists:\n  - name: Mobile Campaign\n"), live(EX["lists_index"]["lists"]))
    assert [u["id"] for u in result.unmanaged_lists] == [8, 9]


def test_unmanaged_lists_are_reported_and_deleted_only_with_prune():
    account = live(
        [raw_list(1, "Kept"), raw_list(2, "Legacy", counts={"subscribers": 1234, "unsubscribed": 0, "cleaned": 0})]
    )
    result = plan(desired("version: 1\nlists:\n  - name: Kept\n"), account)
    assert summary(result) == []
    assert result.unmanaged_lists == [
        {"id": 2, "name": "Legacy", "subscribers": 1234, "keyword_names": [], "action": "ignore"}
    ]
    pruned = plan(desired("version: 1\naccount:\n  prune: true\nlists:\n  - name: Kept\n"), account)
    assert summary(pruned) == [("delete", "list", 'list["Legacy"]')]
    assert pruned.actions[0].destructive and pruned.actions[0].subscribers == 1234


def test_target_restricts_actions_and_switches_unmanaged_reporting_off():
    account = live([raw_list(1, "A", message_help="x"), raw_list(2, "B", message_help="x"), raw_list(3, "C")])
    config = desired(
        "version: 1\naccount:\n  prune: true\nlists:\n  - name: A\n    message_help: y\n"
        "  - name: B\n    message_help: y\n"
    )
    result = plan(config, account, targets=["B"])
    assert summary(result) == [("update", "list", 'list["B"]')]
    assert result.unmanaged_lists == [] and result.warnings
    with pytest.raises(PlanError, match="--target 'Z' is not a list"):
        plan(config, account, targets=["Z"])


# ------------------------------------------------------------ sub-resources


def test_keywords_update():
    account = live([raw_list(1, "A", keyword_names=["OLD", "KEEP"])])
    result = plan(desired("version: 1\nlists:\n  - name: A\n    keyword_names: [keep, new]\n"), account)
    assert summary(result) == [("update", "keywords", 'list["A"].keywords')]
    assert result.actions[0].payload == {"keyword_names": ["KEEP", "NEW"]}
    assert (result.actions[0].before, result.actions[0].after) == (
        {"keyword_names": ["KEEP", "OLD"]},
        {"keyword_names": ["KEEP", "NEW"]},
    )


def test_opt_in_settings_create_update_and_switch_back_to_single():
    request = {"collected_data": "yes", "request_message": "Reply YES", "success_action": "optinsubscriber"}
    double = {"name": "A", "opt_in_type": "double", "opt_in_requests": [request]}
    created = plan(desired_from({"lists": [double]}), live([]))
    assert summary(created) == [
        ("create", "list", 'list["A"]'),
        ("create", "opt_in_settings", 'list["A"].opt_in_settings'),
    ]
    complete = {
        "collected_data": "yes",
        "request_message": "Reply YES",
        "retry_message": None,
        "follow_up": False,
        "follow_up_hour": None,
        "no_response_message": None,
        "opt_in_message": None,
        "second_opt_in_message": None,
        "success_action": "optinsubscriber",
    }
    # Every request key is sent (null/false for those left out): server defaults never fill them.
    assert created.actions[1].payload == {"opt_in_type": "double", "opt_in_requests": [complete]}
    account = live(
        [
            raw_list(
                1,
                "A",
                opt_in_type="double",
                opt_in_requests=[{**request, "id": 9, "list_id": 1, "bypass_opt_in_response": False}],
            )
        ]
    )
    assert summary(plan(desired_from({"lists": [double]}), account)) == []
    changed = plan(
        desired_from({"lists": [{**double, "opt_in_requests": [{**request, "request_message": "YES?"}]}]}), account
    )
    assert summary(changed) == [("update", "opt_in_settings", 'list["A"].opt_in_settings')]
    assert changed.actions[0].changes == [
        {"path": "opt_in_requests[0].request_message", "before": "Reply YES", "after": "YES?"}
    ]
    single = plan(desired_from({"lists": [{"name": "A", "opt_in_type": "single"}]}), account)
    assert single.actions[0].payload == {"opt_in_type": "single"}
    bypass = plan(desired_from({"lists": [{**double, "bypass_opt_in_response": True}]}), account)
    assert bypass.actions[0].payload["bypass_opt_in_response"] is True


def test_custom_fields_create_replace_delete():
    live_fields = [
        {
            "key": "zip",
            "label": "Zip",
            "content_type": "text",
            "max_length": 5,
            "pattern": None,
            "default_value": None,
            "should_validate_regex_via_api": False,
        },
        {
            "key": "gone",
            "label": "Gone",
            "content_type": "text",
            "max_length": 5,
            "pattern": None,
            "default_value": None,
            "should_validate_regex_via_api": False,
        },
    ]
    account = live([raw_list(1, "A")], custom_fields={1: live_fields})
    config = desired(
        "version: 1\nlists:\n  - name: A\n    custom_fields:\n"
        "      - {key: zip, label: Zip, content_type: text, max_length: 10}\n"
        "      - {key: new, label: New, content_type: number, max_length: 3}\n"
    )
    result = plan(config, account)
    assert summary(result) == [
        ("replace", "custom_field", 'list["A"].custom_field["zip"]'),
        ("create", "custom_field", 'list["A"].custom_field["new"]'),
        ("delete", "custom_field", 'list["A"].custom_field["gone"]'),
    ]
    assert [a.destructive for a in result.actions] == [True, False, True]
    assert result.actions[0].changes == [{"path": "max_length", "before": 5, "after": 10}]
    assert result.actions[0].payload == {
        "key": "zip",
        "label": "Zip",
        "content_type": "text",
        "max_length": 10,
        "should_validate_regex_via_api": False,
    }


def test_a_deleted_custom_fields_label_is_freed_before_a_create_reuses_it():
    live_fields = [{"key": "old_zip", "label": "Zip", "content_type": "text", "max_length": 5}]
    account = live([raw_list(1, "A")], custom_fields={1: live_fields})
    config = desired(
        "version: 1\nlists:\n  - name: A\n    custom_fields:\n"
        "      - {key: zip, label: Zip, content_type: text, max_length: 5}\n"
    )
    assert [(a.action, a.payload["key"]) for a in plan(config, account).actions] == [
        ("delete", "old_zip"),
        ("create", "zip"),
    ]


def test_webhooks_create_update_delete_and_duplicate_cleanup():
    hook = {
        "callback_url": "https://h.example/a",
        "enabled": True,
        "list_id": 1,
        "subscribe": True,
        "unsubscribe": False,
        "message_sent": False,
        "reply_received": False,
        "cleaned": False,
    }
    account = live(
        [raw_list(1, "A")],
        webhooks={
            1: [{**hook, "id": 1}, {**hook, "id": 2}, {**hook, "id": 3, "callback_url": "https://h.example/old"}]
        },
    )
    config = desired(
        "version: 1\nlists:\n  - name: A\n    webhooks:\n"
        "      - {callback_url: 'https://h.example/a', unsubscribe: true}\n"
        "      - {callback_url: 'https://h.example/new?token=${T}', cleaned: true}\n",
        {"T": "s3cret"},
    )
    result = plan(config, account)
    assert summary(result) == [
        ("update", "webhook", 'list["A"].webhook["https://h.example/a"]'),
        ("create", "webhook", 'list["A"].webhook["https://h.example/new?token=${T}"]'),
        ("delete", "webhook", 'list["A"].webhook["https://h.example/a"]'),
        ("delete", "webhook", 'list["A"].webhook["https://h.example/old"]'),
    ]
    # An update sends the URL and all five events: unmanaged ones from their live values.
    assert result.actions[0].payload == {
        "callback_url": "https://h.example/a",
        "subscribe": True,
        "unsubscribe": True,
        "message_sent": False,
        "reply_received": False,
        "cleaned": False,
    }
    assert result.actions[0].target_id == 1
    assert result.actions[1].payload == {
        "callback_url": "https://h.example/new?token=s3cret",
        "subscribe": False,
        "unsubscribe": False,
        "message_sent": False,
        "reply_received": False,
        "cleaned": True,
    }
    assert result.actions[2].reason == "duplicate of webhook id 1" and result.actions[2].target_id == 2
    assert "s3cret" not in result.dumps()


# ------------------------------------------------------------------ keyword errors


def test_an_unavailable_keyword_fails_the_plan_with_keyword_list_and_location():
    config = desired("version: 1\nlists:\n  - name: A\n    keyword_names: [fine, pizza]\n")
    with pytest.raises(PlanError) as err:
        plan(config, live([], available={"FINE": True, "PIZZA": False}))
    assert err.value.messages == [
        "config.yaml:4:27: keyword 'PIZZA' of list 'A' is not available on short code "
        "33733 (held by another account or reserved)"
    ]


def test_a_keyword_held_by_an_unmanaged_list_is_blocked_drift_not_an_error():
    account = live([raw_list(1, "A"), raw_list(2, "Web UI list", keyword_names=["JOIN"])])
    result = plan(desired("version: 1\nlists:\n  - name: A\n    keyword_names: [join]\n"), account)
    assert result.actions == [] and result.has_changes
    [blocked] = result.blocked
    assert blocked["address"] == 'list["A"].keywords' and blocked["holder"] == "Web UI list"
    assert "held by list 'Web UI list' (id 2), which no file manages (moved by hand?)" in blocked["message"]
    assert "prune" not in blocked["message"]


def test_a_keyword_held_by_a_list_whose_keywords_are_unmanaged_fails_the_plan():
    account = live([raw_list(1, "A"), raw_list(2, "B", keyword_names=["JOIN"])])
    with pytest.raises(PlanError) as err:
        plan(desired("version: 1\nlists:\n  - name: A\n    keyword_names: [join]\n  - name: B\n"), account)
    assert "whose keyword_names the configuration leaves unmanaged" in err.value.messages[0]


def test_a_keyword_held_by_a_list_outside_the_target_fails_the_plan():
    account = live([raw_list(1, "A"), raw_list(2, "B", keyword_names=["JOIN"])])
    config = desired("version: 1\nlists:\n  - name: A\n    keyword_names: [join]\n  - name: B\n    keyword_names: []\n")
    assert len(plan(config, account).actions) == 2
    with pytest.raises(PlanError, match="outside --target"):
        plan(config, account, targets=["A"])


def test_a_plan_with_lists_left_out_of_the_configuration_never_says_the_account_matches():
    account = live([raw_list(1, "Kept"), raw_list(2, "Legacy"), raw_list(3, "Old Promo")])
    result = plan(desired("version: 1\nlists:\n  - name: Kept\n"), account)
    assert summary(result) == [] and len(result.unmanaged_lists) == 2
    assert result.summary_line() == "No changes. 2 lists in the account not in the configuration (see above)."
    assert "matches" not in result.summary_line()
