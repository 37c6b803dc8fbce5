"""Issue 13 items 5-6 and issue 12 item 3: two jobs on one account, and failure reports
(SIGTERM: test_apply_e2e.py).

Two plans share one rate budget on a virtual clock: each thread's sleep waits for virtual
time, which jumps forward only when every job is asleep, as real time would pass.
"""

from __future__ import annotations

import threading

from benchmarks.two_jobs import VirtualClock  # one virtual clock for the benchmark and this test
from tatango_iac.api.client import TatangoClient
from tatango_iac.apply.applier import Applier
from tatango_iac.config.loader import load_or_raise
from tatango_iac.engine.planner import plan
from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL, SandboxServer
from tatango_iac.workflow import make_plan, read_account
from tests.conftest import EXAMPLE_ENV, ROOT, set_faults
from tests.test_ordering import seed_lists


def test_two_plans_at_once_share_a_1200_per_hour_budget_and_both_finish(tmp_path):
    clock = VirtualClock(participants=2)
    config = tmp_path / "c.yaml"
    config.write_text(
        "version: 1\naccount: {shortcode: '33733'}\nlists:\n"
        + "".join(f"  - {{name: L{i}, webhooks: [], custom_fields: []}}\n" for i in range(8))
    )
    desired = load_or_raise([str(config)], {})[0]
    with SandboxServer(clock=clock) as server:
        seed_lists(server, [{"name": f"L{i}"} for i in range(8)])
        set_faults(server, rate_limit=1200, rate_window=3600, burst=1)
        results, errors = [], []

        def job(seed: int) -> None:
            client = TatangoClient(server.url, SANDBOX_EMAIL, SANDBOX_API_KEY, clock=clock, seed=seed)  # 1200/h
            try:
                results.append(make_plan(client, desired))
            except Exception as exc:  # reported below: the test fails on any error
                errors.append(exc)
            finally:
                clock.leave()

        threads = [threading.Thread(target=job, args=(seed,)) for seed in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        statuses = [r["status"] for r in server.api_requests()]
    assert errors == [] and len(results) == 2 and all(not r.has_changes for r in results)
    assert statuses.count(200) == 2 * 17  # every read of both plans answered
    assert 0 < statuses.count(429) < statuses.count(200)  # they collided, slowed down, and settled


def test_an_apply_refuses_to_create_what_another_apply_created_since_its_plan(client, sandbox):
    config = load_or_raise([str(ROOT / "examples")], EXAMPLE_ENV)[0]
    late = plan(config, read_account(client, config))  # planned before the other apply ran
    assert Applier(client).run(plan(config, read_account(client, config))).ok  # the other apply
    sandbox.requests.clear()
    result = Applier(client).run(late)
    assert not result.ok and result.outcome == "failed" and result.applied == []
    assert (
        "list(s) 'ACME Deals', 'ACME Store Alerts', 'ACME VIP' appeared in the account since the plan was made "
        "(another apply, or the web UI?); nothing was created"
    ) in result.error
    assert [r["method"] for r in sandbox.api_requests()] == ["GET"]  # one re-read, no write
    assert sorted(lst["name"] for lst in client.list_lists()) == ["ACME Deals", "ACME Store Alerts", "ACME VIP"]


def test_an_apply_refuses_to_create_a_webhook_another_apply_created_since_its_plan(client, sandbox):
    from tests.planning import desired_from

    list_id = client.create_list({"name": "A"})["id"]
    config = desired_from({"lists": [{"name": "A", "webhooks": [{"callback_url": "https://h.example/x"}]}]})
    late = plan(config, read_account(client, config))
    client.create_webhook(list_id, {"callback_url": "https://h.example/x"})  # the other apply
    result = Applier(client).run(late)
    assert not result.ok and "a webhook this plan creates on list id 1 appeared since the plan was made" in result.error
    assert len(client.list_webhooks(list_id)) == 1


def test_the_readme_explains_the_remaining_window_and_the_concurrency_group():
    readme = (ROOT / "README.md").read_text()
    assert "remaining window" in readme and "concurrency group" in readme


# -------------------------------------------------------------- failure reports


def test_a_replace_whose_create_failed_is_reported_half_done(api_env, examples_copy, sandbox, monkeypatch, clock):
    from tatango_iac import workflow
    from tests.conftest import run_cli

    monkeypatch.setattr(workflow, "make_clock", lambda: clock)
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    vip = examples_copy / "lists" / "vip.yaml"
    vip.write_text(vip.read_text().replace("max_length: 5", "max_length: 9"))
    set_faults(
        sandbox,
        script=[
            {
                "method": "POST",
                "path": "/custom_fields$",
                "fault": "answer",
                "status": 422,
                "json": {"status": "error", "error": "Validation failed: Label is reserved"},
            }
        ],
    )
    result = run_cli(["apply", "--auto-approve", "--allow-destroy", str(examples_copy)], env=api_env)
    assert result.exit_code == 1
    assert (
        'Half done: -/+ list["ACME VIP"].custom_field["zip_code"] (replace; DESTRUCTIVE; stored values of 0 '
        "subscribers; the API cannot update a custom field: delete, then create (stored values are lost))\n  error: the field was deleted but not "
        "re-created: POST /lists/3/custom_fields: HTTP 422: Validation failed: Label is reserved"
    ) in result.stderr
    again = run_cli(["plan", str(examples_copy)], env=api_env)
    assert '+ list["ACME VIP"].custom_field["zip_code"] (create)' in again.stdout  # the rest, exactly


def test_a_create_whose_last_attempt_was_dropped_after_commit_is_re_read_before_it_is_reported(client, sandbox):
    from tests.planning import desired_from

    client.create_list({"name": "A"})
    config = desired_from(
        {
            "lists": [
                {
                    "name": "A",
                    "custom_fields": [{"key": "zip", "label": "Zip", "content_type": "text", "max_length": 5}],
                }
            ]
        }
    )
    set_faults(
        sandbox,
        script=[
            {"method": "POST", "path": "/custom_fields$", "fault": "drop_before", "times": 2},
            {"method": "POST", "path": "/custom_fields$", "fault": "drop_after"},
        ],
    )
    events: list[str] = []
    result = Applier(client, on_event=events.append).run(plan(config, read_account(client, config)))
    assert result.ok, result.error
    assert events[-1] == (
        "POST /lists/1/custom_fields: no answer from the API (connection dropped); re-read found it; not retried"
    )
    assert [f["key"] for f in client.list_custom_fields(1)] == ["zip"]


def test_every_attempt_dropped_before_commit_is_reported_not_applied(client, sandbox):
    from tests.planning import desired_from

    client.create_list({"name": "A"})
    config = desired_from(
        {
            "lists": [
                {
                    "name": "A",
                    "custom_fields": [{"key": "zip", "label": "Zip", "content_type": "text", "max_length": 5}],
                }
            ]
        }
    )
    set_faults(sandbox, script=[{"method": "POST", "path": "/custom_fields$", "fault": "drop_before", "times": 3}])
    result = Applier(client).run(plan(config, read_account(client, config)))
    assert (
        result.outcome == "failed" and "re-read did not find it after 3 attempts; nothing was created" in result.error
    )
    assert client.list_custom_fields(1) == []
