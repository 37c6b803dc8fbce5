"""`tatango-iac apply` end to end: the real CLI against the sandbox over real HTTP.

The clock is faked (workflow.make_clock) so retries and Retry-After never sleep for real.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tatango_iac import workflow
from tatango_iac.apply.applier import Applier
from tatango_iac.config.loader import load_or_raise
from tatango_iac.engine.planner import plan
from tatango_iac.sandbox import SandboxServer
from tatango_iac.workflow import read_account
from tests.conftest import EXAMPLE_ENV, ROOT, run_cli, set_faults
from tests.gitrepo import committed

TOKEN = EXAMPLE_ENV["ACME_WEBHOOK_TOKEN"]


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


def writes(sandbox) -> list[dict]:
    return [r for r in sandbox.api_requests() if r["method"] != "GET" and not r["path"].endswith("/test_keyword")]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def apply(api_env, config, *extra, input=None):
    return run_cli(["apply", "--auto-approve", *extra, str(config)], env=api_env, input=input)


def plan_addresses(api_env, config) -> list[str]:
    result = run_cli(["plan", "--format", "json", str(config)], env=api_env)
    assert result.exit_code == 0, result.output
    return [f"{a['action']} {a['address']}" for a in json.loads(result.stdout)["actions"]]


def test_create_the_examples_from_nothing_then_apply_again_is_a_no_op(api_env, examples_copy, sandbox, client):
    first = apply(api_env, examples_copy)
    assert first.exit_code == 0, first.output
    assert (
        "Apply complete: 10 of 10 action(s) applied; a re-read (5 call(s)) shows the account now matches"
        in first.stdout
    )
    assert re.search(r"\[1/10\] done: \+ list\[\"ACME Deals\"\] \(create\)", first.stdout)
    assert TOKEN not in first.output
    lists = {lst["name"]: lst for lst in client.list_lists()}
    vip = lists["ACME VIP"]
    assert vip["keyword_names"] == ["VIP", "GOLD"] and vip["opt_in_type"] == "double"
    assert [r["collected_data"] for r in vip["opt_in_requests"]] == ["zip_code", "email_address", "first_name", "yes"]
    hooks = client.list_webhooks(vip["id"])
    assert hooks[0]["callback_url"].endswith(f"token={TOKEN}")  # resolved at apply time
    assert (hooks[0]["reply_received"], hooks[0]["cleaned"], hooks[0]["message_sent"]) == (True, True, False)
    assert [f["key"] for f in client.list_custom_fields(vip["id"])] == ["zip_code", "favorite_store", "birthday"]
    sandbox.requests.clear()
    second = apply(api_env, examples_copy)
    assert second.exit_code == 0 and "No changes." in second.stdout
    assert writes(sandbox) == []


def test_change_every_kind_of_attribute(api_env, examples_copy, client):
    assert apply(api_env, examples_copy).exit_code == 0
    vip, deals, stores = (examples_copy / "lists" / f for f in ("vip.yaml", "deals.yaml", "stores.yaml"))
    edit(vip, "name: ACME VIP", "name: ACME VIP Club\n    renamed_from: ACME VIP")
    edit(vip, "email_unsubscribe: true", "email_unsubscribe: false")
    edit(vip, "[VIP, GOLD]", "[VIP, PLATINUM]")
    edit(vip, "follow_up_hour: 2", "follow_up_hour: 4")
    edit(vip, "max_length: 64", "max_length: 80")  # custom field replace
    edit(vip, "        reply_received: true", "        reply_received: false")  # webhook update
    edit(deals, "?source=tatango", "?source=tatango-v2")  # webhook identity change
    edit(deals, "email_digest: null", "email_digest: deals@acme-retail.example")
    edit(
        deals,
        "      - key: preferred_department\n        label: Preferred department\n        content_type: text\n"
        "        max_length: 32\n",
        "      - key: store_id\n        label: Store\n        content_type: number\n        max_length: 6\n",
    )  # custom field delete + create
    edit(stores, "Store alerts. Help", "Store and pickup alerts. Help")
    expected = {
        'update list["ACME VIP Club"]',
        'update list["ACME VIP Club"].keywords',
        'update list["ACME VIP Club"].opt_in_settings',
        'replace list["ACME VIP Club"].custom_field["favorite_store"]',
        'update list["ACME VIP Club"].webhook["https://hooks.acme-retail.example/tatango/vip?token=${ACME_WEBHOOK_TOKEN}"]',
        'update list["ACME Deals"]',
        'create list["ACME Deals"].custom_field["store_id"]',
        'delete list["ACME Deals"].custom_field["preferred_department"]',
        'create list["ACME Deals"].webhook["https://crm.acme-retail.example/sms/deals?source=tatango-v2"]',
        'delete list["ACME Deals"].webhook["https://crm.acme-retail.example/sms/deals?source=tatango"]',
        'update list["ACME Store Alerts"]',
    }
    assert set(plan_addresses(api_env, examples_copy)) == expected
    refused = apply(api_env, examples_copy)
    assert refused.exit_code == 1 and "--allow-destroy" in refused.stderr
    done = apply(api_env, examples_copy, "--allow-destroy")
    assert done.exit_code == 0, done.output
    assert plan_addresses(api_env, examples_copy) == []
    lists = {lst["name"]: lst for lst in client.list_lists()}
    assert set(lists) == {"ACME VIP Club", "ACME Deals", "ACME Store Alerts"}
    assert lists["ACME VIP Club"]["keyword_names"] == ["VIP", "PLATINUM"]
    assert lists["ACME VIP Club"]["opt_in_requests"][0]["follow_up_hour"] == 4
    fields = {f["key"]: f for f in client.list_custom_fields(lists["ACME VIP Club"]["id"])}
    assert fields["favorite_store"]["max_length"] == 80


def test_custom_field_replace_is_refused_without_allow_destroy(api_env, examples_copy, sandbox):
    assert apply(api_env, examples_copy).exit_code == 0
    edit(examples_copy / "lists" / "vip.yaml", "max_length: 5", "max_length: 9")
    sandbox.requests.clear()
    refused = apply(api_env, examples_copy)
    assert refused.exit_code == 1
    assert 'list["ACME VIP"].custom_field["zip_code"] (replace)' in refused.stderr
    assert "Nothing was changed." in refused.stderr and writes(sandbox) == []
    allowed = apply(api_env, examples_copy, "--allow-destroy")
    assert allowed.exit_code == 0
    assert [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in writes(sandbox)] == [
        ("DELETE", "custom_fields"),
        ("POST", "custom_fields"),
    ]  # delete before create


def test_a_list_delete_names_its_subscribers_and_needs_allow_destroy(api_env, examples_copy, client, sandbox):
    legacy = client.create_list({"name": "Legacy"}, ["OLDKW"])
    for phone in ("2065550101", "2065550102", "2065550103"):
        client.request("POST", f"/lists/{legacy['id']}/subscribers", body={"subscriber": {"phone_number": phone}})
    edit(committed(examples_copy) / "account.yaml", "prune: false", "prune: true")
    sandbox.requests.clear()
    refused = apply(api_env, examples_copy)
    assert refused.exit_code == 1
    assert 'list["Legacy"] (delete, 3 subscribers)' in refused.stderr and writes(sandbox) == []
    assert apply(api_env, examples_copy, "--allow-destroy").exit_code == 0
    assert "Legacy" not in [lst["name"] for lst in client.list_lists()]


def test_keyword_moves_and_swaps_through_the_cli(api_env, examples_copy, client):
    assert apply(api_env, examples_copy).exit_code == 0
    deals, stores = examples_copy / "lists" / "deals.yaml", examples_copy / "lists" / "stores.yaml"
    edit(deals, "[SAVE, SALE, COUPONS]", "[STORE, SALE, COUPONS]")
    edit(stores, "[STORE, PICKUP]", "[SAVE, PICKUP]")
    result = apply(api_env, examples_copy)
    assert result.exit_code == 0, result.output
    assert (
        "release STORE for another list first" in result.stdout
        or "release SAVE for another list first" in result.stdout
    )
    kws = {lst["name"]: lst["keyword_names"] for lst in client.list_lists()}
    assert sorted(kws["ACME Deals"]) == ["COUPONS", "SALE", "STORE"] and sorted(kws["ACME Store Alerts"]) == [
        "PICKUP",
        "SAVE",
    ]


def test_an_unavailable_keyword_writes_nothing(api_env, examples_copy, sandbox):
    edit(examples_copy / "lists" / "stores.yaml", "[STORE, PICKUP]", "[STORE, TACOS]")
    result = apply(api_env, examples_copy)
    assert result.exit_code == 1 and "keyword 'TACOS' of list 'ACME Store Alerts' is not available" in result.stderr
    assert writes(sandbox) == []


def test_without_a_terminal_apply_needs_auto_approve(api_env, examples_copy, sandbox):
    result = run_cli(["apply", str(examples_copy)], env=api_env)
    assert result.exit_code == 1 and "pass --auto-approve" in result.stderr and writes(sandbox) == []


def test_on_a_terminal_only_yes_applies(api_env, examples_copy, sandbox, monkeypatch):
    from tatango_iac.cli import output

    monkeypatch.setattr(output, "stdin_tty", lambda: True)
    no = run_cli(["apply", str(examples_copy)], env=api_env, input="y\n")
    assert no.exit_code == 1 and "Apply cancelled" in no.stderr and writes(sandbox) == []
    yes = run_cli(["apply", str(examples_copy)], env=api_env, input="yes\n")
    assert yes.exit_code == 0 and "Apply complete" in yes.stdout


# ----------------------------------------------------------------- saved plans


def test_a_saved_plan_applies_exactly_and_resolves_secrets_at_apply_time(api_env, examples_copy, tmp_path, client):
    out = tmp_path / "plan.json"
    assert run_cli(["plan", "--out", str(out), str(examples_copy)], env=api_env).exit_code == 0
    assert TOKEN not in out.read_text()
    result = run_cli(["apply", "--plan", str(out)], env=api_env)
    assert result.exit_code == 0, result.output
    vip = next(lst for lst in client.list_lists() if lst["name"] == "ACME VIP")
    assert client.list_webhooks(vip["id"])[0]["callback_url"].endswith(TOKEN)


@pytest.mark.parametrize("change", ["live", "config", "secret", "new-list"])
def test_a_stale_plan_is_refused_before_any_write(api_env, examples_copy, tmp_path, client, sandbox, change):
    assert apply(api_env, examples_copy).exit_code == 0
    edit(examples_copy / "lists" / "stores.yaml", "Store alerts. Help", "Store news. Help")
    out = tmp_path / "plan.json"
    assert run_cli(["plan", "--out", str(out), str(examples_copy)], env=api_env).exit_code == 0
    env = dict(api_env)
    if change == "live":
        deals = next(lst for lst in client.list_lists() if lst["name"] == "ACME Deals")
        client.update_list(deals["id"], {"message_reply": "changed by hand in the web UI"})
    elif change == "config":
        edit(examples_copy / "lists" / "deals.yaml", "Weekly deals.", "Daily deals.")
    elif change == "secret":
        env["ACME_WEBHOOK_TOKEN"] = "rotated-token"
    else:
        client.create_list({"name": "Surprise"})
    sandbox.requests.clear()
    result = run_cli(["apply", "--plan", str(out)], env=env)
    assert result.exit_code == 1
    assert "plan is stale, refusing to apply (nothing was changed)" in result.stderr
    assert writes(sandbox) == []


def test_saved_plan_usage_errors(api_env, tmp_path, examples_copy):
    bogus = tmp_path / "bogus.json"
    bogus.write_text("{not json")
    assert "is not a plan file" in run_cli(["apply", "--plan", str(bogus)], env=api_env).stderr
    both = run_cli(["apply", "--plan", str(bogus), str(examples_copy)], env=api_env)
    assert both.exit_code == 1 and "not both" in both.stderr
    assert run_cli(["apply"], env=api_env).exit_code == 1


# ---------------------------------------------------------- failures and retries


def test_a_failure_stops_reports_and_the_next_plan_shows_exactly_the_rest(api_env, examples_copy, sandbox):
    set_faults(sandbox, script=[{"method": "POST", "path": r"/lists/\d+/custom_fields$", "fault": "html403"}])
    result = apply(api_env, examples_copy)
    assert result.exit_code == 1
    assert "Apply failed: 1 of 10 action(s) applied." in result.stderr
    assert 'Failed (not applied): + list["ACME Deals"].custom_field["preferred_department"] (create)' in result.stderr
    assert "HTTP 403 with a non-JSON body" in result.stderr
    not_applied = result.stderr.split("Not applied:\n", 1)[1].split("\nRun `tatango-iac plan`", 1)[0]
    expected_rest = [line.strip() for line in not_applied.splitlines()]
    remaining = run_cli(["plan", str(examples_copy)], env=api_env)
    shown = [re.sub(r"^\s*\d+\. ", "", line) for line in remaining.stdout.splitlines() if re.match(r"^\s*\d+\. ", line)]
    assert shown == expected_rest and len(shown) == 9
    assert apply(api_env, examples_copy).exit_code == 0
    assert plan_addresses(api_env, examples_copy) == []


@pytest.mark.parametrize("fault", ["drop_before", "drop_after", "500"])
@pytest.mark.parametrize("target", [r"/lists$", r"/lists/\d+/webhooks$", r"/lists/\d+/custom_fields$"])
def test_an_uncertain_post_never_duplicates(api_env, examples_copy, sandbox, client, fault, target):
    set_faults(sandbox, script=[{"method": "POST", "path": target, "fault": fault}])
    result = apply(api_env, examples_copy)
    assert result.exit_code == 0, result.output
    names = [lst["name"] for lst in client.list_lists()]
    assert sorted(names) == ["ACME Deals", "ACME Store Alerts", "ACME VIP"]
    for lst in client.list_lists():
        urls = [h["callback_url"] for h in client.list_webhooks(lst["id"])]
        keys = [f["key"] for f in client.list_custom_fields(lst["id"])]
        assert len(urls) == len(set(urls)) and len(keys) == len(set(keys))
    assert plan_addresses(api_env, examples_copy) == []


def test_interrupt_stops_before_the_next_request(client, clock):
    config = load_or_raise([str(ROOT / "examples")], EXAMPLE_ENV)[0]
    the_plan = plan(config, read_account(client, config))
    applier = Applier(client, on_done=lambda i, a: applier.request_stop() if i == 2 else None)
    result = applier.run(the_plan)
    assert result.interrupted and len(result.applied) == 2 and len(result.not_applied) == 8
    assert [a.address for a in plan(config, read_account(client, config)).actions] == [
        a.address for a in result.not_applied
    ]


@pytest.mark.parametrize("signum, name", [(signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")])
def test_ctrl_c_or_sigterm_in_a_real_process_finishes_the_request_and_reports(tmp_path, signum, name):
    """SIGTERM is what CI runners send when a job is cancelled: handled like Ctrl-C."""
    config = tmp_path / "config"
    import shutil

    shutil.copytree(ROOT / "examples", config, ignore=shutil.ignore_patterns("invalid", "ci"))
    with SandboxServer() as server:
        set_faults(server, latency_ms=250)
        from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL

        env = {
            **os.environ,
            **EXAMPLE_ENV,
            "TATANGO_API_URL": server.url,
            "TATANGO_EMAIL": SANDBOX_EMAIL,
            "TATANGO_API_KEY": SANDBOX_API_KEY,
            "TATANGO_RATE_LIMIT": "0",
            "PYTHONUNBUFFERED": "1",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "tatango_iac", "apply", "--auto-approve", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and "done:" not in line:
            line = proc.stdout.readline()
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 1
        assert f"Apply interrupted ({name})" in err and "Not applied:" in err
        applied = int(re.search(rf"interrupted \({name}\): (\d+) of 10", err).group(1))
        assert 1 <= applied < 10
        posts = [r for r in server.api_requests("POST") if not r["path"].endswith("test_keyword")]
        assert all(r["status"] == 200 for r in posts)  # the request under way finished; none was cut


def test_chaos_apply_until_converged(api_env, examples_copy, sandbox, client):
    keeper = client.create_list({"name": "Subscribers here"}, ["KEEPME"])
    client.request("POST", f"/lists/{keeper['id']}/subscribers", body={"subscriber": {"phone_number": "2065550199"}})
    edit(examples_copy / "lists" / "deals.yaml", "[SAVE, SALE, COUPONS]", "[SAVE, SALE, COUPONS, EXTRA]")
    set_faults(sandbox, rate=0.2, seed=2026, kinds=["429", "500", "502", "503", "drop_before", "drop_after"])
    for _attempt in range(1, 20):
        if apply(api_env, examples_copy).exit_code == 0:
            break
    else:
        pytest.fail("did not converge in 19 runs")
    set_faults(sandbox)  # faults off: judge the result
    assert plan_addresses(api_env, examples_copy) == []
    lists = client.list_lists()
    names = [lst["name"] for lst in lists]
    assert sorted(names) == ["ACME Deals", "ACME Store Alerts", "ACME VIP", "Subscribers here"]
    for lst in lists:
        urls = [h["callback_url"] for h in client.list_webhooks(lst["id"])]
        keys = [f["key"] for f in client.list_custom_fields(lst["id"])]
        assert len(urls) == len(set(urls)) and len(keys) == len(set(keys))
    assert next(lst for lst in lists if lst["name"] == "Subscribers here")["counts"]["subscribers"] == 1
    faults_seen = {r["status"] for r in sandbox.api_requests()} - {200}
    assert faults_seen, "the chaos run should have met faults"


def test_progress_goes_to_stderr_on_a_terminal_and_calls_are_paced(api_env, examples_copy, monkeypatch, clock):
    from tatango_iac.cli import output

    monkeypatch.setattr(output, "stderr_tty", lambda: True)
    result = run_cli(["apply", "--auto-approve", "--rate", "1200", str(examples_copy)], env=api_env)
    assert result.exit_code == 0, result.output
    assert "[10/10] applying" in result.stderr and "reading the account" in result.stderr
    assert "[10/10] done:" in result.stdout  # the record of what was done stays on stdout
    # 25 calls: 2 reads, 7 keyword tests, the re-read of the list index before the first create, 10 writes,
    # and the read-back (the index, the webhooks and custom fields of the two lists that manage them);
    # paced one every 3 s plus the 0.1 s margin, on the fake clock.
    assert clock.sleeps == [pytest.approx(3.1)] * 24
