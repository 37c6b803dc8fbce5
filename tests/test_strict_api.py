"""Issue 9, items 1-3 and 8: read strictly, coerce or refuse, never mistake "unreported" for false.

The sandbox answers what the reference promises; scripted answers (faults of kind
"answer") make it answer what a real server might, over real HTTP.
"""

from __future__ import annotations

import pytest

from tatango_iac.api.client import AnswerError, ApiError
from tatango_iac.engine.planner import plan
from tatango_iac.workflow import read_account
from tests.conftest import run_cli, set_faults
from tests.planning import desired_from, summary


def answer(path: str, method: str = "GET", times: int = 1, fault: str = "answer", **how) -> dict:
    return {"method": method, "path": path, "fault": fault, "times": times, **how}


# ------------------------------------------------------------------ strict pages


def test_a_page_without_its_collection_key_is_an_error_naming_the_endpoint(client, sandbox):
    set_faults(sandbox, script=[answer(r"/lists$", json={"status": "OK", "count": 0, "pages_count": 0})])
    with pytest.raises(AnswerError) as err:
        client.list_lists()
    assert str(err.value) == "GET /lists: the answer has no 'lists' list (keys: count, pages_count, status)"


def test_items_that_do_not_add_up_to_count_are_an_error_never_a_shorter_account(client, sandbox):
    one = {"id": 1, "name": "A", "keyword_names": []}
    set_faults(
        sandbox, script=[answer(r"/lists$", json={"status": "OK", "count": 3, "pages_count": 1, "lists": [one]})]
    )
    with pytest.raises(AnswerError, match="count says 3, its 2 page\\(s\\) held 1 distinct item"):
        client.list_lists()  # page 2 is asked for too: the data, not pages_count, decides


def test_pages_are_followed_and_ids_de_duplicated_across_pages(client, sandbox):
    a, b, c = ({"id": i, "name": n, "keyword_names": []} for i, n in ((1, "A"), (2, "B"), (3, "C")))
    set_faults(
        sandbox,
        script=[
            answer(r"/lists$", json={"status": "OK", "count": 3, "pages_count": 2, "lists": [a, b]}),
            # The index moved between the two calls: B shows again on page 2.
            answer(r"/lists$", json={"status": "OK", "count": 3, "pages_count": 2, "lists": [b, c]}),
        ],
    )
    assert [item["id"] for item in client.list_lists()] == [1, 2, 3]
    assert [r["query"] for r in sandbox.api_requests()] == [{"per_page": "1000"}, {"per_page": "1000", "page": "2"}]


def test_a_page_that_brings_nothing_new_is_an_error(client, sandbox):
    a = {"id": 1, "name": "A", "keyword_names": []}
    page = {"status": "OK", "pages_count": 2, "lists": [a]}  # no count; page 2 repeats page 1 (page ignored)
    set_faults(sandbox, script=[answer(r"/lists$", json=page, times=2)])
    with pytest.raises(AnswerError, match="page 2 of 2 brought no new item"):
        client.list_lists()


def test_the_custom_field_index_is_paged_like_every_other(client, sandbox):
    from tatango_iac.sandbox.profiles import CustomFieldsPaged

    sandbox.state.profile = CustomFieldsPaged()
    list_id = client.create_list({"name": "Many fields"})["id"]
    for i in range(23):
        client.create_custom_field(list_id, {"key": f"f{i}", "label": f"F{i}", "content_type": "text", "max_length": 5})
    sandbox.requests.clear()
    assert len(client.list_custom_fields(list_id)) == 23
    assert [r["query"].get("page", "1") for r in sandbox.api_requests()] == ["1", "2", "3"]


def test_redirects_are_never_followed_and_the_location_is_shown_masked(client, sandbox):
    set_faults(
        sandbox,
        script=[
            answer(
                r"/lists$", status=301, text="", headers={"Location": "https://login.example/sso?token=abc123secret"}
            )
        ],
    )
    with pytest.raises(ApiError) as err:
        client.list_lists()
    assert err.value.status == 301
    assert "redirect to https://login.example/sso?token=****; redirects are not followed" in str(err.value)
    assert len(sandbox.api_requests()) == 1 and "abc123secret" not in str(err.value)


def test_an_empty_or_204_answer_to_a_put_or_delete_is_success(client, sandbox):
    list_id = client.create_list({"name": "A"})["id"]
    set_faults(
        sandbox,
        script=[
            answer(r"/keywords$", method="PUT", fault="answer_after", status=200, json=None),
            answer(r"/lists/\d+$", method="DELETE", fault="answer_after", status=204, json=None),
        ],
    )
    assert client.set_keywords(list_id, ["NEWKW"]) == {}
    assert client.delete_list(list_id) == {}
    assert client.list_lists() == []


def test_a_404_on_delete_is_done_only_when_the_api_says_not_found(api_env, examples_copy, client, sandbox):
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    deals = examples_copy / "lists" / "deals.yaml"
    deals.write_text(deals.read_text().replace("?source=tatango", "?source=v2"))
    # The old webhook's delete is answered by a proxy's HTML 404 page: not proof that it is gone.
    set_faults(
        sandbox,
        script=[
            answer(
                r"/webhooks/\d+$",
                method="DELETE",
                fault="answer",
                status=404,
                text="<html><title>404 Not Found</title></html>",
                headers={"Content-Type": "text/html"},
            )
        ],
    )
    failed = run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env)
    assert failed.exit_code == 1 and "Failed (not applied): - " in failed.stderr
    assert "HTTP 404 with a non-JSON body" in failed.stderr
    # The API's own JSON "Webhook not found" (the webhook was deleted meanwhile: the delete commits, the
    # answer says not found) counts as done; the read-back confirms it is gone.
    hook_id = next(r for r in sandbox.api_requests("DELETE"))["path"].rsplit("/", 1)[1]
    list_id = next(lst["id"] for lst in client.list_lists() if lst["name"] == "ACME Deals")
    set_faults(
        sandbox,
        script=[
            answer(
                r"/webhooks/\d+$",
                method="DELETE",
                fault="answer_after",
                status=404,
                json={"status": "error", "error": "Webhook not found"},
            )
        ],
    )
    done = run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env)
    assert done.exit_code == 0, done.output
    assert (
        f"DELETE /lists/{list_id}/webhooks/{hook_id}: already gone (Webhook not found); counted as done" in done.stderr
    )


def test_rails_style_error_bodies_are_shown(client, sandbox):
    set_faults(
        sandbox,
        script=[
            answer(
                r"/lists$",
                method="POST",
                status=422,
                json={"errors": {"name": ["is too long", "is reserved"], "base": "nope"}},
            )
        ],
    )
    with pytest.raises(ApiError) as err:
        client.create_list({"name": "A"})
    assert str(err.value) == "POST /lists: HTTP 422: name is too long; name is reserved; base nope"


# --------------------------------------------------------------------- types


def test_numbers_and_booleans_as_strings_are_coerced_where_read(client, sandbox):
    from tatango_iac.sandbox.profiles import StringScalars

    list_id = client.create_list({"name": "A", "email_subscribe": True}, ["JOIN"])["id"]
    client.create_custom_field(list_id, {"key": "zip", "label": "Zip", "content_type": "text", "max_length": 5})
    client.create_webhook(list_id, {"callback_url": "https://h.example/a", "subscribe": True})
    sandbox.state.profile = StringScalars()
    config = desired_from(
        {
            "lists": [
                {
                    "name": "A",
                    "email_subscribe": True,
                    "keyword_names": ["JOIN"],
                    "custom_fields": [{"key": "zip", "label": "Zip", "content_type": "text", "max_length": 5}],
                    "webhooks": [{"callback_url": "https://h.example/a", "subscribe": True}],
                }
            ]
        }
    )
    live = read_account(client, config)
    assert client.list_lists()[0]["id"] == "1"  # the wire really carries strings
    assert live.lists[0].id == 1 and live.lists[0].fields["email_subscribe"] is True
    assert live.custom_fields[1][0].attrs["max_length"] == 5
    assert live.webhooks[1][0].events["subscribe"] is True
    assert summary(plan(config, live)) == []  # a difference of type alone plans nothing, least of all a replace


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("follow_up", "perhaps", "opt_in_requests[0].follow_up: expected a boolean, got 'perhaps'"),
        ("follow_up_hour", "soon", "opt_in_requests[0].follow_up_hour: expected an integer, got 'soon'"),
    ],
)
def test_a_value_that_cannot_be_coerced_is_an_error_naming_field_and_value(client, sandbox, field, value, message):
    request = {"collected_data": "yes", "request_message": "YES?", "success_action": "optinsubscriber", field: value}
    lst = {"id": 7, "name": "A", "keyword_names": [], "opt_in_type": "double", "opt_in_requests": [request]}
    set_faults(
        sandbox, script=[answer(r"/lists$", json={"status": "OK", "count": 1, "pages_count": 1, "lists": [lst]})]
    )
    with pytest.raises(AnswerError) as err:
        read_account(client, desired_from({"lists": []}))
    assert str(err.value) == f"GET /lists: lists[0].{message} (the tool refuses to guess)"


# -------------------------------------------------------------- unreported fields


def test_a_field_the_api_does_not_report_is_unknown_not_false(api_env, examples_copy, client, sandbox):
    from tatango_iac.sandbox.profiles import ThreeEvents

    sandbox.state.profile = ThreeEvents()
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    result = run_cli(["plan", "--detailed-exitcode", str(examples_copy)], env=api_env)
    # vip.yaml manages reply_received: true and cleaned: true, which the answers never carry: not compared,
    # so no update is planned for ever, and the plan says once which fields it cannot check.
    assert result.exit_code == 0, result.output
    assert result.stdout.count("do not report webhook.cleaned, webhook.reply_received") == 1
    assert "No changes." in result.stdout


def test_a_disabled_webhook_is_reported_in_plan_and_drift(api_env, examples_copy, client, sandbox):
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    for hook in sandbox.state.data["webhooks"].values():
        hook["enabled"] = False  # the API gave up after 10 failed deliveries
    text = run_cli(["plan", str(examples_copy)], env=api_env).stdout
    assert "is disabled in the account (enabled: false): it receives no events" in text
    drift = run_cli(["plan", "--drift", str(examples_copy)], env=api_env).stdout
    assert "Disabled webhooks (2):" in drift and "https://hooks.acme-retail.example/tatango/vip?token=****" in drift


# ---------------------------------------------------------------- canonical URLs


def test_callback_urls_match_in_canonical_form(client, sandbox):
    from tatango_iac.sandbox.profiles import NormalizedUrls

    sandbox.state.profile = NormalizedUrls()
    config = desired_from(
        {
            "lists": [
                {"name": "A", "webhooks": [{"callback_url": "HTTPS://Hooks.Example.COM:443/In?x=1", "subscribe": True}]}
            ]
        }
    )
    from tatango_iac.apply.applier import Applier

    first = plan(config, read_account(client, config))
    assert Applier(client).run(first).ok
    stored = client.list_webhooks(client.list_lists()[0]["id"])[0]["callback_url"]
    assert stored == "https://hooks.example.com/In?x=1"  # the server normalised it
    assert summary(plan(config, read_account(client, config))) == []  # and it is the same webhook


def test_an_uncertain_webhook_post_is_found_by_its_canonical_url(client, sandbox):
    from tatango_iac.apply.applier import Applier
    from tatango_iac.sandbox.profiles import NormalizedUrls

    sandbox.state.profile = NormalizedUrls()
    list_id = client.create_list({"name": "A"})["id"]
    config = desired_from({"lists": [{"name": "A", "webhooks": [{"callback_url": "HTTPS://H.Example:443/x"}]}]})
    set_faults(sandbox, script=[{"method": "POST", "path": "/webhooks$", "fault": "drop_after"}])
    events: list[str] = []
    result = Applier(client, on_event=events.append).run(plan(config, read_account(client, config)))
    assert result.ok and len(client.list_webhooks(list_id)) == 1
    assert events == [
        f"POST /lists/{list_id}/webhooks: no answer from the API (connection dropped); re-read found it; not retried"
    ]


def test_any_managed_list_field_the_answer_leaves_out_is_unknown_not_empty():
    from tests.planning import live, raw_list

    record = raw_list(1, "A", message_reply="live reply")
    del record["message_reply"], record["email_subscribe"]
    account = live([record])
    result = plan(
        desired_from(
            {"lists": [{"name": "A", "message_reply": "wanted", "email_subscribe": True, "message_help": "new help"}]}
        ),
        account,
    )
    [action] = result.actions  # message_help only: the fields the API did not report are not compared
    assert action.payload == {"message_help": "new help"}
    assert result.notes == [
        "The API's answers do not report list.email_subscribe, list.message_reply: those managed "
        "values are not compared, so this plan cannot check them (they are sent when written)."
    ]
