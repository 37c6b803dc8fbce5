"""Contract tests: the client against the sandbox over real HTTP, for every endpoint and error,
with the sandbox's answers checked against the API reference's JSON examples (tests/fixtures)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tatango_iac.api.client import ApiError, TatangoClient
from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL, SandboxServer
from tests.conftest import api_examples, seed, set_faults

EXAMPLES = api_examples()
EXTRA_WEBHOOK_EVENTS = {"reply_received", "cleaned"}  # the reference shows three events; live use shows five


def shape(value: Any) -> Any:
    """Keys and nesting only: scalars collapse to one marker (null and "" are both 'a value')."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value and isinstance(value[0], (dict, list)) else "list"
    return "scalar"


def assert_same_shape(actual: dict, example: dict, extra_keys: set[str] = frozenset()) -> None:
    expected = shape(example)
    got = shape(actual)

    def add_extra(node: Any) -> Any:
        if isinstance(node, dict):
            if {"callback_url", "subscribe"} <= set(node):
                node.update(dict.fromkeys(extra_keys, "scalar"))
            return {k: add_extra(v) for k, v in node.items()}
        if isinstance(node, list):
            return [add_extra(v) for v in node]
        return node

    assert got == add_extra(expected)
    if "status" in example:
        assert actual["status"] == example["status"]


def raw(client: TatangoClient, method: str, path: str, body: Any = None, params: dict | None = None) -> dict:
    return client.request(method, path, body=body, params=params)


def make_list(client: TatangoClient, name: str = "My awesome list", keywords=None) -> dict:
    return client.create_list({"name": name}, keywords)


def test_accounts_me(client):
    assert_same_shape(raw(client, "GET", "/accounts/me"), EXAMPLES["accounts_me"])


def test_list_all_lists_envelope_and_shape(client):
    for name in ("Mobile Campaign", "Pizza Campaign", "Pizza Campaign"):  # duplicate names are allowed
        make_list(client, name)
    payload = raw(client, "GET", "/lists")
    assert_same_shape(payload, EXAMPLES["lists_index"])
    assert (payload["per_page"], payload["count"], payload["page"], payload["pages_count"]) == (10, 3, 1, 1)
    assert [lst["name"] for lst in payload["lists"]] == ["Mobile Campaign", "Pizza Campaign", "Pizza Campaign"]


def test_pagination_defaults_limits_and_empty(client, sandbox):
    empty = raw(client, "GET", "/lists")
    assert (empty["count"], empty["pages_count"], empty["lists"]) == (0, 0, [])
    state = requests.get(sandbox.control_url + "/state", timeout=5).json()
    for i in range(1, 1006):
        state["lists"][str(i)] = {
            **EXAMPLES["list_show"]["list"],
            "id": i,
            "name": f"L{i}",
            "_bypass_opt_in_response": False,
        }
    state["next_ids"]["list"] = 1006
    seed(sandbox, state)
    first = raw(client, "GET", "/lists")
    assert (first["per_page"], first["pages_count"], len(first["lists"])) == (10, 101, 10)
    capped = raw(client, "GET", "/lists", params={"per_page": 5000, "page": 2})
    assert (capped["per_page"], capped["page"], capped["pages_count"], len(capped["lists"])) == (1000, 2, 2, 5)
    sandbox.requests.clear()
    assert len(client.list_lists()) == 1005
    assert [r["query"] for r in sandbox.api_requests()] == [{"per_page": "1000"}, {"per_page": "1000", "page": "2"}]


def test_retrieve_create_update_destroy_list(client):
    created_payload = raw(
        client,
        "POST",
        "/lists",
        body={
            "list": {
                **{
                    k: v
                    for k, v in EXAMPLES["list_create"]["list"].items()
                    if k not in ("id", "counts", "opt_in_type", "opt_in_requests")
                }
            }
        },
    )
    assert_same_shape(created_payload, EXAMPLES["list_create"])
    assert created_payload["list"]["keyword_names"] == ["JOIN", "SAVE", "COUPONS", "SALE"]
    list_id = created_payload["list"]["id"]
    assert_same_shape(raw(client, "GET", f"/lists/{list_id}"), EXAMPLES["list_show"])
    updated = raw(client, "PUT", f"/lists/{list_id}", body={"list": {"name": "Name"}})
    assert_same_shape(updated, EXAMPLES["list_update"])
    assert updated["list"]["name"] == "Name"
    assert raw(client, "DELETE", f"/lists/{list_id}") == EXAMPLES["list_destroy"]
    with pytest.raises(ApiError) as err:
        client.get_list(list_id)
    assert (err.value.status, err.value.error) == (404, "List not found")


def test_keywords_are_upper_cased_unique_and_checked(client):
    a = make_list(client, "A", ["join"])
    b = make_list(client, "B")
    payload = raw(client, "PUT", f"/lists/{b['id']}/keywords", body={"keyword_names": ["test", "Keyword", "NAMES"]})
    assert payload == EXAMPLES["keywords_set"]
    with pytest.raises(ApiError) as err:
        client.set_keywords(b["id"], ["JOIN", "PIZZA"])  # one held by list A, one by another account
    assert (err.value.status, err.value.error) == (422, "invalid keyword names: JOIN, PIZZA")
    assert client.get_list(b["id"])["keyword_names"] == ["TEST", "KEYWORD", "NAMES"]  # nothing half-applied
    with pytest.raises(ApiError) as err:
        client.create_list({"name": "C"}, ["STOP"])
    assert err.value.error == "invalid keyword names: STOP"
    assert client.set_keywords(a["id"], ["Join", "JOIN", "more"])["keyword_names"] == ["JOIN", "MORE"]


def test_opt_in_settings_double_and_single(client):
    lst = make_list(client, "Opt")
    body = {
        "opt_in_type": "double",
        "opt_in_requests": [
            {
                k: r[k]
                for k in (
                    "collected_data",
                    "request_message",
                    "retry_message",
                    "follow_up",
                    "follow_up_hour",
                    "no_response_message",
                    "opt_in_message",
                    "second_opt_in_message",
                    "success_action",
                )
            }
            for r in EXAMPLES["opt_in_double"]["opt_in_requests"]
        ],
    }
    payload = raw(client, "PUT", f"/lists/{lst['id']}/opt_in_settings", body=body)
    assert_same_shape(payload, EXAMPLES["opt_in_double"])
    assert [r["collected_data"] for r in payload["opt_in_requests"]] == [
        "zip_code",
        "email_address",
        "first_name",
        "yes",
    ]
    assert all(r["list_id"] == lst["id"] and r["id"] for r in payload["opt_in_requests"])
    listed = client.get_list(lst["id"])
    assert listed["opt_in_type"] == "double" and len(listed["opt_in_requests"]) == 4
    bad = dict(body, opt_in_requests=body["opt_in_requests"][:2])
    with pytest.raises(ApiError) as err:
        client.set_opt_in_settings(lst["id"], bad)
    assert err.value.status == 422 and "success action must be optinsubscriber" in err.value.error
    single = raw(client, "PUT", f"/lists/{lst['id']}/opt_in_settings", body={"opt_in_type": "single"})
    assert single["opt_in_type"] == "single" and client.get_list(lst["id"])["opt_in_requests"] == []


def test_custom_fields(client):
    lst = make_list(client, "CF")
    body = {
        "label": "The Label",
        "key": "the_key",
        "content_type": "text",
        "max_length": 9999,
        "pattern": "[A-Za-z0-9]",
        "should_validate_regex_via_api": False,
        "default_value": "The Default Value",
    }
    created = raw(client, "POST", f"/lists/{lst['id']}/custom_fields", body={"custom_field": body})
    assert_same_shape(created, EXAMPLES["custom_field_create"])
    index = raw(client, "GET", f"/lists/{lst['id']}/custom_fields")
    assert_same_shape(index, EXAMPLES["custom_fields_index"])
    with pytest.raises(ApiError) as err:
        client.create_custom_field(lst["id"], body)
    assert err.value.error == EXAMPLES["custom_field_taken"]["error"]
    with pytest.raises(ApiError) as err:
        client.create_custom_field(lst["id"], {**body, "key": "k2", "label": "L2", "content_type": "string"})
    assert err.value.error == EXAMPLES["custom_field_bad_type"]["error"]
    with pytest.raises(ApiError) as err:
        client.create_custom_field(lst["id"], {"key": "k3", "label": "L3", "content_type": "text"})
    assert (err.value.status, err.value.error) == (422, "Max. characters must be greater than 0")
    assert (
        raw(client, "DELETE", f"/lists/{lst['id']}/custom_fields", body={"key": "the_key"})
        == EXAMPLES["custom_field_destroy"]
    )
    with pytest.raises(ApiError) as err:
        client.delete_custom_field(lst["id"], "the_key")
    assert err.value.status == 404


def test_webhooks_with_five_events(client):
    lst = make_list(client, "Hooks")
    created = raw(
        client,
        "POST",
        f"/lists/{lst['id']}/webhooks",
        body={
            "webhook": {
                "callback_url": "http://localhost.dev/null?api_key=foo_bar_baz",
                "subscribe": True,
                "unsubscribe": True,
                "message_sent": False,
                "reply_received": True,
                "cleaned": True,
            }
        },
    )
    assert_same_shape(created, EXAMPLES["webhook_create"], EXTRA_WEBHOOK_EVENTS)
    hook_id = created["webhook"]["id"]
    assert (created["webhook"]["reply_received"], created["webhook"]["cleaned"]) == (True, True)
    assert_same_shape(
        raw(client, "GET", f"/lists/{lst['id']}/webhooks/{hook_id}"), EXAMPLES["webhook_show"], EXTRA_WEBHOOK_EVENTS
    )
    updated = raw(
        client,
        "PUT",
        f"/lists/{lst['id']}/webhooks/{hook_id}",
        body={"webhook": {"callback_url": "http://mynewapi.com/?ref=tatango", "unsubscribe": False}},
    )
    assert_same_shape(updated, EXAMPLES["webhook_update"], EXTRA_WEBHOOK_EVENTS)
    assert updated["webhook"]["reply_received"] is True  # events left out of an update stay as they were
    for _ in range(2):
        client.create_webhook(lst["id"], {"callback_url": "http://localhost/dev/null", "subscribe": True})
    assert_same_shape(
        raw(client, "GET", f"/lists/{lst['id']}/webhooks"), EXAMPLES["webhooks_index"], EXTRA_WEBHOOK_EVENTS
    )
    assert raw(client, "DELETE", f"/lists/{lst['id']}/webhooks/{hook_id}") == EXAMPLES["webhook_destroy"]
    with pytest.raises(ApiError) as err:
        client.get_webhook(lst["id"], hook_id)
    assert (err.value.status, err.value.error) == (404, EXAMPLES["webhook_not_found"]["error"])
    with pytest.raises(ApiError) as err:
        client.list_webhooks(999)
    assert err.value.error == "List not found"
    with pytest.raises(ApiError) as err:
        client.create_webhook(lst["id"], {"callback_url": "ftp://nope"})
    assert err.value.status == 422


def test_shortcodes_and_keyword_tests(client):
    assert raw(client, "GET", "/shortcodes") == EXAMPLES["shortcodes"]
    assert (
        raw(client, "POST", "/shortcodes/33733/test_keyword", body={"keyword_name": "TEST"})
        == EXAMPLES["test_keyword_available"]
    )
    assert (
        raw(client, "POST", "/shortcodes/33733/test_keyword", body={"keyword_name": "pizza"})
        == EXAMPLES["test_keyword_unavailable"]
    )
    make_list(client, "Mine", ["MINE"])
    assert client.test_keyword("33733", "mine") == (False, "Name is in use")
    with pytest.raises(ApiError) as err:
        client.test_keyword("99999", "X1")
    assert err.value.status == 404


def test_subscribers_count_on_the_list(client):
    lst = make_list(client, "Subs")
    raw(client, "POST", f"/lists/{lst['id']}/subscribers", body={"subscriber": {"phone_number": "2141234567"}})
    raw(client, "POST", f"/lists/{lst['id']}/subscribers", body={"subscriber": {"phone_number": "2141234568"}})
    assert client.get_list(lst["id"])["counts"]["subscribers"] == 2


def test_wrong_credentials_are_401(sandbox):
    bad = TatangoClient(sandbox.url, SANDBOX_EMAIL, "wrong-key", rate_per_hour=0)
    with pytest.raises(ApiError) as err:
        bad.list_lists()
    assert (err.value.status, err.value.error) == (401, EXAMPLES["auth_failure"]["error"])


def test_unknown_route_and_method(client):
    with pytest.raises(ApiError) as err:
        client.request("GET", "/nothing")
    assert err.value.status == 404
    with pytest.raises(ApiError) as err:
        client.request("PATCH", "/lists")
    assert err.value.status == 405


def test_state_persists_to_a_json_file_and_can_be_seeded(tmp_path):
    path = tmp_path / "state.json"
    with SandboxServer(str(path)) as first:
        TatangoClient(first.url, SANDBOX_EMAIL, SANDBOX_API_KEY, rate_per_hour=0).create_list(
            {"name": "Kept"}, ["KEPT"]
        )
    saved = json.loads(path.read_text())
    assert [lst["name"] for lst in saved["lists"].values()] == ["Kept"]
    saved["lists"]["1"]["counts"]["subscribers"] = 42
    path.write_text(json.dumps(saved))
    with SandboxServer(str(path)) as second:
        lists = TatangoClient(second.url, SANDBOX_EMAIL, SANDBOX_API_KEY, rate_per_hour=0).list_lists()
        assert lists[0]["counts"]["subscribers"] == 42 and lists[0]["keyword_names"] == ["KEPT"]
        requests.post(second.control_url + "/reset", timeout=5).raise_for_status()
        assert json.loads(path.read_text())["lists"] == {}


def test_control_api_sets_faults_and_rejects_unknown_kinds(sandbox):
    ok = requests.put(sandbox.control_url + "/faults", json={"rate": 0.5, "kinds": ["500"], "seed": 3}, timeout=5)
    assert ok.status_code == 200 and requests.get(sandbox.control_url + "/faults", timeout=5).json()["rate"] == 0.5
    bad = requests.put(sandbox.control_url + "/faults", json={"kinds": ["meteor"]}, timeout=5)
    assert bad.status_code == 422


def test_drop_before_commit_writes_nothing_and_drop_after_commit_writes(client, sandbox):
    set_faults(sandbox, script=[{"method": "POST", "path": "/lists$", "fault": "drop_before"}])
    with pytest.raises(ApiError) as err:
        client.create_list({"name": "Dropped"})
    assert err.value.transport and client.list_lists() == []
    set_faults(sandbox, script=[{"method": "POST", "path": "/lists$", "fault": "drop_after"}])
    with pytest.raises(ApiError) as err:
        client.create_list({"name": "Committed"})
    assert err.value.transport and [lst["name"] for lst in client.list_lists()] == ["Committed"]


def test_html_403_from_a_firewall_is_a_clear_error(client, sandbox):
    set_faults(sandbox, script=[{"method": "POST", "fault": "html403", "path": "/lists"}])
    with pytest.raises(ApiError) as err:
        client.create_list({"name": "Blocked"})
    assert err.value.status == 403
    assert "non-JSON body (text/html: 403 Forbidden - Request blocked)" in str(err.value)
    assert "firewall" in str(err.value)


def test_random_faults_are_deterministic_for_a_seed():
    def run() -> list:
        with SandboxServer() as server:
            set_faults(server, rate=0.5, kinds=["500", "502", "503"], seed=7)
            c = TatangoClient(server.url, SANDBOX_EMAIL, SANDBOX_API_KEY, rate_per_hour=0, retries=0)
            outcomes = []
            for _ in range(12):
                try:
                    c.me()
                    outcomes.append(200)
                except ApiError as exc:
                    outcomes.append(exc.status)
            return outcomes

    first = run()
    assert first == run() and set(first) - {200}


def test_latency_is_injected(client, sandbox):
    import time

    set_faults(sandbox, latency_ms=30)
    start = time.perf_counter()
    client.me()
    assert time.perf_counter() - start >= 0.03


def test_a_ruby_style_pattern_is_accepted_like_the_api_would(client):
    list_id = client.create_list({"name": "A"})["id"]
    field = client.create_custom_field(
        list_id,
        {
            "key": "zip",
            "label": "Zip",
            "content_type": "text",
            "max_length": 5,
            "pattern": "\\A\\d{5}\\z",
            "default_value": "98101",
        },
    )
    assert field["pattern"] == "\\A\\d{5}\\z"
