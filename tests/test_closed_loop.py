"""Issue 16: "complete" only when a re-read shows the account holds the configuration (§13).

Every test drives the real CLI against the sandbox over HTTP; where the API must behave
otherwise than the sandbox's default, a behaviour profile (or a test's own one-hook
profile) flips exactly that point. The clock is fake: the read-back's waits never sleep.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tatango_iac import workflow
from tatango_iac.sandbox.profiles import IndexSummary, PageCap, Profile, ReadLag, SoftDeleteWebhooks, StripsWhitespace
from tests.conftest import run_cli, seed, set_faults


@pytest.fixture(autouse=True)
def _fake_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


def apply(env: dict, config, *extra: str):
    return run_cli(["apply", "--auto-approve", *extra, str(config)], env=env)


def plan_json(env: dict, config) -> dict:
    result = run_cli(["plan", "--format", "json", str(config)], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def deals_help(config) -> str:
    """The examples' message_help of ACME Deals, as written in the file."""
    line = next(
        ln
        for ln in (config / "lists" / "deals.yaml").read_text().splitlines()
        if ln.strip().startswith("message_help:")
    )
    return line.split('"', 1)[1].rsplit('"', 1)[0]


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


class TruncatesHelp(Profile):
    """Accepts message_help, keeps only its first 20 characters (a column too narrow)."""

    def incoming(self, body: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get("list"), dict) and body["list"].get("message_help"):
            return {"list": {**body["list"], "message_help": body["list"]["message_help"][:20]}}
        return body


class IgnoresListUpdates(Profile):
    """Answers a list PUT with success (and the object as sent) but never stores it."""

    def incoming(self, body: Any) -> Any:
        return body

    def put_answer(self, path: str, old: dict, payload: dict) -> dict:
        return payload


# ------------------------------------------------------------- point 1: read-back after apply


def test_apply_complete_only_after_a_re_read_that_matches(api_env, examples_copy, sandbox):
    result = apply(api_env, examples_copy)
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith(
        "Apply complete: 10 of 10 action(s) applied; a re-read (5 call(s)) shows "
        "the account now matches the configuration."
    )
    # The re-read comes after the last write: the index, then the children of the two lists that manage them.
    requests_ = sandbox.api_requests()
    last_write = max(i for i, r in enumerate(requests_) if r["method"] != "GET" and "test_keyword" not in r["path"])
    after = [(r["method"], r["path"].split("/api/v2")[1]) for r in requests_[last_write + 1 :]]
    assert after[0] == ("GET", "/lists") and len(after) == 5
    assert all(m == "GET" for m, _ in after)


def test_the_plan_states_the_read_back_cost_and_readback_calls_computes_it(api_env, examples_copy):
    from tatango_iac.engine.plan import plan_from_json
    from tatango_iac.engine.recheck import readback_calls

    result = run_cli(["plan", str(examples_copy)], env=api_env)
    assert "Read-back: after its last write, apply re-reads what it touched: 5 call(s)" in result.stdout
    assert "`apply --no-verify` skips it." in result.stdout
    data = plan_json(api_env, examples_copy)
    assert data["readback"] == {
        "calls": 5,
        "index_pages": 1,
        "object_reads": 0,
        "child_reads": 4,
        "lists": ["ACME Deals", "ACME Store Alerts", "ACME VIP"],
    }
    assert readback_calls(plan_from_json(data)) == 5 == data["forecast"]["readback"]


def test_a_value_accepted_but_not_held_is_exit_1_naming_list_attribute_sent_and_held(api_env, examples_copy, sandbox):
    assert apply(api_env, examples_copy).exit_code == 0
    sandbox.state.profile = TruncatesHelp()
    edit(examples_copy / "lists" / "deals.yaml", "Weekly deals.", "Daily deals.")
    result = apply(api_env, examples_copy)
    assert result.exit_code == 1
    assert "Apply complete" not in result.output
    assert "Apply not confirmed: 1 of 1 action(s) applied, but a re-read (" in result.stderr
    sent = deals_help(examples_copy)
    assert (
        f'! list["ACME Deals"]: the API accepted message_help but holds "ACME Deals: Daily de" (sent "{sent}")'
        in result.stderr
    )


def test_no_verify_skips_the_re_read_and_says_so(api_env, examples_copy, sandbox):
    result = apply(api_env, examples_copy, "--no-verify")
    assert result.exit_code == 0, result.output
    assert (
        "Apply complete: 10 of 10 action(s) applied (not verified: --no-verify, the account was not re-read)."
        in result.stdout
    )
    last = sandbox.api_requests()[-1]
    assert last["method"] != "GET"  # nothing was read after the last write


def test_an_answer_that_shows_the_old_object_is_settled_by_the_re_read(api_env, examples_copy, sandbox):
    from tatango_iac.sandbox.profiles import StaleAnswers

    assert apply(api_env, examples_copy).exit_code == 0
    sandbox.state.profile = StaleAnswers()
    edit(examples_copy / "lists" / "deals.yaml", "[SAVE, SALE, COUPONS]", "[SAVE, SALE, BARGAIN]")
    result = apply(api_env, examples_copy)
    assert result.exit_code == 0, result.output
    assert "the answer showed keyword_names otherwise" in result.stderr
    assert "a re-read shows the account holds what was sent; counted as done" in result.stderr
    assert "shows the account now matches the configuration" in result.stdout


# ------------------------------------------------------------- point 2: read-your-writes


def test_two_applies_back_to_back_under_lagging_reads_create_no_duplicate(api_env, examples_copy, sandbox):
    sandbox.state.profile = ReadLag()
    first = apply(api_env, examples_copy)
    assert first.exit_code == 0, first.output
    assert "read-back: 10 write(s) not visible yet" in first.stderr
    assert "(waiting at most 60 s in all, --verify-wait)" in first.stderr
    second = apply(api_env, examples_copy)
    assert second.exit_code == 0, second.output
    assert "No changes. The account matches the configuration." in second.stdout
    names = [lst["name"] for lst in sandbox.state.snapshot()["lists"].values()]
    assert sorted(names) == ["ACME Deals", "ACME Store Alerts", "ACME VIP"]


def test_without_the_read_back_lagging_reads_would_duplicate(api_env, examples_copy, sandbox):
    """The contrast that shows what the wait is for (and that the test above can fail)."""
    sandbox.state.profile = ReadLag()
    assert apply(api_env, examples_copy, "--no-verify").exit_code == 0
    second = apply(api_env, examples_copy, "--no-verify")
    names = [lst["name"] for lst in sandbox.state.snapshot()["lists"].values()]
    assert len(names) > 3 or second.exit_code != 0


def test_writes_never_visible_within_the_wait_are_exit_1_naming_them(api_env, examples_copy, sandbox, clock):
    sandbox.state.profile = ReadLag()
    result = apply(api_env, examples_copy, "--verify-wait", "0")
    assert result.exit_code == 1
    assert '! list["ACME Deals"]: the write is not visible in the re-read' in result.stderr
    assert "Apply complete" not in result.output


def test_the_wait_is_bounded_and_announced(api_env, examples_copy, sandbox, clock):
    assert apply(api_env, examples_copy).exit_code == 0
    sandbox.state.profile = SoftDeleteWebhooks()
    edit(
        examples_copy / "lists" / "deals.yaml",
        '      - callback_url: "https://crm.acme-retail.example/sms/deals'
        '?source=tatango"\n        subscribe: true\n        unsubscribe: true\n',
        "      []\n",
    )
    edit(examples_copy / "lists" / "deals.yaml", "    webhooks:\n      []\n", "    webhooks: []\n")
    before = sum(clock.sleeps)
    result = apply(api_env, examples_copy, "--verify-wait", "30")
    assert result.exit_code == 1
    assert "the API answered the delete, but a re-read still finds it (re-read for 30 s)" in result.stderr
    assert "reading again in 1 s (waiting at most 30 s in all, --verify-wait)" in result.stderr
    assert sum(clock.sleeps) - before == pytest.approx(30)


def test_a_delete_is_done_only_when_a_read_no_longer_finds_it(api_env, examples_copy, sandbox):
    assert apply(api_env, examples_copy).exit_code == 0
    edit(examples_copy / "lists" / "deals.yaml", "?source=tatango", "?source=v2")
    # The API says "not found" to the DELETE, but the webhook is still there: not done.
    set_faults(
        sandbox,
        script=[
            {
                "path": r"/webhooks/\d+$",
                "method": "DELETE",
                "fault": "answer",
                "status": 404,
                "json": {"status": "error", "error": "Webhook not found"},
            }
        ],
    )
    result = apply(api_env, examples_copy, "--verify-wait", "5")
    assert result.exit_code == 1
    assert "already gone (Webhook not found); counted as done" in result.stderr  # what the answer said...
    assert "the API answered the delete, but a re-read still finds it" in result.stderr  # ...and what a read saw


# ------------------------------------------------------------- point 3: reads that follow the data


def test_pages_that_hold_fewer_items_than_asked_are_followed_until_count(client, sandbox):
    sandbox.state.profile = PageCap()
    for i in range(7):
        client.create_list({"name": f"L{i}"})
    sandbox.requests.clear()
    assert [lst["name"] for lst in client.list_lists()] == [f"L{i}" for i in range(7)]
    # pages_count says 1 (7 items at per_page=1000): the tool read on until the 7 items were there.
    assert [r["query"].get("page", "1") for r in sandbox.api_requests()] == ["1", "2", "3"]


def test_an_index_that_leaves_out_managed_fields_is_completed_from_each_list(api_env, examples_copy, sandbox):
    assert apply(api_env, examples_copy).exit_code == 0
    sandbox.state.profile = IndexSummary()
    sandbox.requests.clear()
    data = plan_json(api_env, examples_copy)
    assert data["summary"]["changes"] is False and not data["notes"]  # compared, not "unknown"
    object_reads = [r["path"] for r in sandbox.api_requests() if r["path"].rsplit("/", 1)[-1].isdigit()]
    assert len(object_reads) == 3  # one GET /lists/{id} per managed list that needs it
    # A change the web UI made is seen through the list's own endpoint.
    deals_id = next(r["id"] for r in sandbox.state.snapshot()["lists"].values() if r["name"] == "ACME Deals")
    sandbox.state.data["lists"][str(deals_id)]["message_help"] = "changed by hand"
    data = plan_json(api_env, examples_copy)
    assert [a["address"] for a in data["actions"]] == ['list["ACME Deals"]']


def test_only_managed_lists_that_need_it_are_read_one_by_one(api_env, examples_copy, sandbox, client):
    sandbox.state.profile = IndexSummary()
    client.create_list({"name": "Unmanaged"})
    assert apply(api_env, examples_copy).exit_code == 0
    sandbox.requests.clear()
    plan_json(api_env, examples_copy)
    unmanaged_id = next(r["id"] for r in sandbox.state.snapshot()["lists"].values() if r["name"] == "Unmanaged")
    assert f"/api/v2/lists/{unmanaged_id}" not in [r["path"] for r in sandbox.api_requests()]


def test_an_answer_with_two_plausible_readings_stops_naming_both(api_env, examples_copy, sandbox):
    assert apply(api_env, examples_copy).exit_code == 0
    sandbox.state.profile = IndexSummary()
    deals = next(r for r in sandbox.state.snapshot()["lists"].values() if r["name"] == "ACME Deals")
    # The list's own answer names other keywords than the index: which is current?
    set_faults(
        sandbox,
        script=[
            {
                "path": rf"/lists/{deals['id']}$",
                "method": "GET",
                "fault": "answer",
                "json": {
                    "status": "OK",
                    "list": {**{k: v for k, v in deals.items() if not k.startswith("_")}, "keyword_names": ["SAVE"]},
                },
            }
        ],
    )
    result = run_cli(["plan", str(examples_copy)], env=api_env)
    assert result.exit_code == 1
    assert "GET /lists and GET /lists/" in result.stderr and "disagree on keyword_names" in result.stderr
    assert '["SAVE", "SALE", "COUPONS"] in the index, ["SAVE"] from the list itself' in result.stderr


# ------------------------------------------------------------- point 4: no destructive loop


def test_a_value_stored_in_another_form_surfaces_once_and_never_loops(api_env, examples_copy, sandbox):
    sandbox.state.profile = StripsWhitespace()
    vip = examples_copy / "lists" / "vip.yaml"
    edit(vip, "        max_length: 5\n", '        max_length: 5\n        default_value: "00000 "\n')
    held = deals_help(examples_copy)
    edit(examples_copy / "lists" / "deals.yaml", f'message_help: "{held}"', f'message_help: "{held} "')
    first = apply(api_env, examples_copy)
    assert first.exit_code == 1
    assert f'list["ACME Deals"]: the API stored message_help "{held} " as "{held}"; write' in first.stderr
    assert 'custom_field["zip_code"]: the API stored default_value "00000 " as "00000"' in first.stderr
    assert "`tatango-iac doctor --record`" in first.stderr
    for _night in range(3):  # the nightly plan: no replace, no update, a note that says what to write
        data = plan_json(api_env, examples_copy)
        assert data["summary"]["changes"] is False and data["summary"]["destructive"] == 0
        assert any('the account holds default_value as "00000"' in n for n in data["notes"])
    again = apply(api_env, examples_copy, "--allow-destroy")
    assert again.exit_code == 0 and "No changes." in again.stdout


def test_a_text_changed_in_more_than_its_form_is_still_a_change(api_env, examples_copy, sandbox):
    assert apply(api_env, examples_copy).exit_code == 0
    edit(examples_copy / "lists" / "deals.yaml", "Weekly deals.", "weekly deals.")  # case is content
    data = plan_json(api_env, examples_copy)
    assert [a["address"] for a in data["actions"]] == ['list["ACME Deals"]']


def test_seeded_lagging_state_survives_between_commands(api_env, examples_copy, sandbox):
    """The read-lag profile keeps its lag in the account state, so it holds across processes too."""
    sandbox.state.profile = ReadLag()
    assert apply(api_env, examples_copy, "--no-verify").exit_code == 0
    state = sandbox.state.snapshot()
    assert "_lag" in state
    seed(sandbox, state)


# ------------------------------------------------------------- point 5: keyword moves


def _move_coupons_to_vip(config) -> None:
    edit(config / "lists" / "deals.yaml", "[SAVE, SALE, COUPONS]", "[SAVE, SALE]")
    edit(config / "lists" / "deals.yaml", "?source=tatango", "?source=v2")  # deals' own later steps
    edit(config / "lists" / "stores.yaml", "Store alerts. Help", "Store news. Help")  # a list in between
    edit(config / "lists" / "vip.yaml", "[VIP, GOLD]", "[VIP, GOLD, COUPONS]")


def test_a_released_keyword_is_claimed_by_its_new_list_as_the_very_next_step(api_env, examples_copy):
    assert apply(api_env, examples_copy).exit_code == 0
    _move_coupons_to_vip(examples_copy)
    addresses = [a["address"] for a in plan_json(api_env, examples_copy)["actions"]]
    release = addresses.index('list["ACME Deals"].keywords')
    assert addresses[release + 1] == 'list["ACME VIP"].keywords'
    assert len(addresses) > release + 2  # the other steps (deals' webhook, the stores list) come after


def test_a_stop_between_release_and_claim_names_the_orphaned_keyword_and_the_command(api_env, examples_copy, sandbox):
    assert apply(api_env, examples_copy).exit_code == 0
    _move_coupons_to_vip(examples_copy)
    vip_id = next(r["id"] for r in sandbox.state.snapshot()["lists"].values() if r["name"] == "ACME VIP")
    set_faults(
        sandbox,
        script=[
            {
                "path": rf"/lists/{vip_id}/keywords$",
                "method": "PUT",
                "fault": "answer",
                "status": 422,
                "json": {"status": "error", "error": "Keyword names is invalid"},
            }
        ],
    )
    result = apply(api_env, examples_copy)
    assert result.exit_code == 1
    assert (
        "Keywords now on no list (released, not yet claimed; a phone that texts one gets no answer): COUPONS "
        "(for list 'ACME VIP')"
    ) in result.stderr
    assert f"Finish the move with: tatango-iac apply --target 'ACME VIP' {examples_copy}" in result.stderr
    finish = run_cli(["apply", "--auto-approve", "--target", "ACME VIP", str(examples_copy)], env=api_env)
    assert finish.exit_code == 0, finish.output
    vip = next(r for r in sandbox.state.snapshot()["lists"].values() if r["name"] == "ACME VIP")
    assert "COUPONS" in vip["keyword_names"]


# ------------------------------------------------------------- point 6: doctor sees what it checks


def test_doctor_finds_webhooks_and_custom_fields_beyond_the_first_lists(api_env, client, sandbox):
    ids = [client.create_list({"name": f"Empty {i}"})["id"] for i in range(6)]
    client.create_webhook(ids[-1], {"callback_url": "https://h.example/x", "subscribe": True})
    client.create_custom_field(ids[-1], {"key": "zip", "label": "Zip", "content_type": "text", "max_length": 5})
    result = run_cli(["doctor", "--format", "json"], env=api_env)
    report = json.loads(result.stdout)
    verdicts = {c["assumption"]: c for c in report["checks"]}
    assert verdicts["webhooks: field names and types"]["verdict"] != "skip"
    assert verdicts["custom fields: field names and types"]["verdict"] != "skip"
    assert "webhooks and custom fields are found to check" not in verdicts


def test_complete_never_claims_what_the_api_does_not_report(examples_copy, tmp_path, monkeypatch):
    """Under an API whose webhook answers leave out two events, "matches" says what it could not check."""
    from tests.conftest import EXAMPLE_ENV, run_cli

    monkeypatch.chdir(tmp_path)
    applied = run_cli(
        ["apply", "--sandbox", "--sandbox-profile", "three-events", "--auto-approve", str(examples_copy)],
        env=EXAMPLE_ENV,
    )
    assert applied.exit_code == 0, applied.output
    line = next(x for x in applied.stdout.splitlines() if x.startswith("Apply complete"))
    assert "now matches the configuration, except what the API does not report and so cannot be checked: " in line
    assert "webhook.cleaned" in line and "webhook.reply_received" in line
    faithful = run_cli(
        ["apply", "--sandbox", "--auto-approve", str(examples_copy)],
        env={**EXAMPLE_ENV, "TATANGO_SANDBOX_STATE": str(tmp_path / "other.json")},
    )
    assert faithful.exit_code == 0 and "cannot be checked" not in faithful.stdout
