"""Safety rails counted in people (issue 18 points 1 and 2): reach of each action, and the thresholds.

Planner-level tests pin the arithmetic; the end-to-end tests drive the real CLI against the
sandbox over HTTP (subscriber counts are seeded into the sandbox's state).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tatango_iac import workflow
from tatango_iac.engine.planner import plan
from tests.conftest import run_cli
from tests.gitrepo import committed
from tests.planning import desired_from, live, raw_list
from tests.test_action import CI, gitops, pr_context  # noqa: F401 - the offline GitHub Actions runner


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


def counts(n):
    return {"subscribers": n, "unsubscribed": 0, "cleaned": 0}


def writes(sandbox) -> list[dict]:
    return [r for r in sandbox.api_requests() if r["method"] != "GET" and not r["path"].endswith("/test_keyword")]


def set_subscribers(sandbox, name: str, n: int) -> None:
    record = next(r for r in sandbox.state.data["lists"].values() if r["name"] == name)
    record["counts"]["subscribers"] = n


# ------------------------------------------------------------------ point 1: reach, pure


def test_list_delete_and_custom_field_replace_carry_their_lists_subscribers():
    account = live(
        [raw_list(1, "Old", counts=counts(41_000)), raw_list(2, "Club", counts=counts(210))],
        custom_fields={2: [{"key": "zip", "label": "Zip", "content_type": "text", "max_length": 5}]},
    )
    config = desired_from(
        {
            "lists": [
                {"name": "Old", "delete": True},
                {
                    "name": "Club",
                    "custom_fields": [{"key": "zip", "label": "Zip", "content_type": "text", "max_length": 9}],
                },
            ]
        }
    )
    result = plan(config, account)
    by_address = {a.address: a for a in result.actions}
    assert by_address['list["Old"]'].subscribers == 41_000
    assert by_address['list["Club"].custom_field["zip"]'].subscribers == 210
    s = result.summary()
    assert (s["subscribers_affected"], s["subscribers_unknown"]) == (41_210, 0)
    assert result.summary_line().endswith("2 destructive, affects 41,210 subscribers.")
    data = result.to_json()
    assert [a["subscribers"] for a in data["actions"] if a["destructive"]] == [210, 41_000]


def test_each_list_counts_once_and_an_unknown_count_is_never_zero():
    raw = raw_list(2, "NoCount")
    del raw["counts"]
    fields = [{"key": k, "label": k, "content_type": "text", "max_length": 5} for k in ("a", "b")]
    account = live([raw_list(1, "Club", counts=counts(100)), raw], custom_fields={1: fields, 2: [dict(fields[0])]})
    config = desired_from({"lists": [{"name": "Club", "custom_fields": []}, {"name": "NoCount", "custom_fields": []}]})
    result = plan(config, account)
    s = result.summary()
    assert s["destructive"] == 3
    assert (s["subscribers_affected"], s["subscribers_unknown"]) == (100, 1)  # Club's two fields count once
    assert "affects at least 100 subscribers (1 list(s) with no count from the API)" in result.summary_line()
    assert any(e["limit"] == "max_subscribers_affected" and e["value"] is None for e in result.over_limit)


def test_message_changes_say_whose_conversations_they_change():
    account = live(
        [
            raw_list(1, "A", counts=counts(300), message_help="old"),
            raw_list(2, "B", counts=counts(7)),
            raw_list(3, "C", counts=counts(9)),
        ]
    )
    config = desired_from(
        {
            "lists": [
                {"name": "A", "message_help": "new"},
                {"name": "B", "email_digest": "x@y.example"},
                {"name": "C", "keyword_names": ["CEE"]},
            ]
        }
    )
    result = plan(
        config,
        account,
    )
    data = result.to_json()
    help_change = next(a for a in data["actions"] if a["address"] == 'list["A"]')
    assert help_change["conversations"] == 300 and "subscribers" not in help_change
    assert all("conversations" not in a for a in data["actions"] if a["address"] != 'list["A"]')
    assert data["summary"]["conversations_changed"] == 300 and data["summary"]["subscribers_affected"] == 0
    assert "destructive" not in result.summary_line()


# ------------------------------------------------------------------ point 2: thresholds, pure


def _many(n: int, changed: int, safety=None):
    account = live([raw_list(i, f"L{i}", message_help="old") for i in range(1, n + 1)])
    data = {"lists": [{"name": f"L{i}", "message_help": "new" if i <= changed else "old"} for i in range(1, n + 1)]}
    if safety is not None:
        data["account"] = {"safety": safety}
    return plan(desired_from(data), account)


@pytest.mark.parametrize(
    "n, changed, over", [(10, 3, False), (10, 4, True), (9, 9, False), (20, 6, False), (20, 7, True)]
)
def test_share_of_managed_lists_updated_default_30_percent_from_10_lists(n, changed, over):
    result = _many(n, changed)
    assert bool(result.over_limit) is over
    if over:
        (found,) = result.over_limit
        assert found["limit"] == "max_updated_percent" and found["max"] == 30
        assert f"updates {changed} of {n} managed lists" in found["message"]


def test_share_limit_and_floor_are_settable_and_null_switches_a_limit_off():
    assert _many(4, 2, {"max_updated_percent": 40, "min_managed_lists": 3}).over_limit[0]["value"] == 50.0
    assert not _many(4, 2, {"max_updated_percent": 50, "min_managed_lists": 3}).over_limit
    assert not _many(12, 12, {"max_updated_percent": None}).over_limit


def test_lists_deleted_webhooks_changed_and_subscribers_affected():
    hooks = [
        {
            "id": 100 + i,
            "list_id": 1,
            "callback_url": f"https://h.example/{i}",
            "subscribe": True,
            "unsubscribe": False,
            "message_sent": False,
            "reply_received": False,
            "cleaned": False,
        }
        for i in range(6)
    ]
    account = live(
        [raw_list(1, "Hooks", counts=counts(10))]
        + [raw_list(i, f"Gone{i}", counts=counts(2_503)) for i in range(2, 6)],
        webhooks={1: hooks},
    )
    data = {"lists": [{"name": "Hooks", "webhooks": []}] + [{"name": f"Gone{i}", "delete": True} for i in range(2, 6)]}
    result = plan(desired_from(data), account)
    assert {e["limit"]: e["value"] for e in result.over_limit} == {
        "max_lists_deleted": 4,
        "max_webhooks_changed": 6,
        "max_subscribers_affected": 10_012,
    }
    data["account"] = {
        "safety": {"max_lists_deleted": 4, "max_webhooks_changed": 6, "max_subscribers_affected": 10_012}
    }
    assert plan(desired_from(data), account).over_limit == []
    data["account"] = {
        "safety": {"max_lists_deleted": 0, "max_webhooks_changed": None, "max_subscribers_affected": 10_011}
    }
    assert [e["limit"] for e in plan(desired_from(data), account).over_limit] == [
        "max_lists_deleted",
        "max_subscribers_affected",
    ]


def test_a_webhook_pointed_elsewhere_by_a_changed_secret_counts_as_changed():
    template = "https://h.example/t?token=${TOKEN}"
    hooks = [
        {
            "id": 1,
            "list_id": 1,
            "callback_url": "https://h.example/t?token=old-value-1",
            "subscribe": True,
            "unsubscribe": False,
            "message_sent": False,
            "reply_received": False,
            "cleaned": False,
        }
    ]
    account = live([raw_list(1, "A")], webhooks={1: hooks})
    config = desired_from(
        {
            "account": {"safety": {"max_webhooks_changed": 0}},
            "lists": [{"name": "A", "webhooks": [{"callback_url": template, "subscribe": True}]}],
        },
        env={"TOKEN": "new-value-2"},
    )
    result = plan(config, account)
    assert [a.action for a in result.actions] == ["update"]
    assert result.safety["measured"]["webhooks_changed"] == 1 and result.over_limit


def test_invalid_safety_settings_are_located(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("version: 1\naccount:\n  safety:\n    max_updated_percent: 130\n    max_list_deleted: 2\n")
    result = run_cli(["validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:4:26: error: account.safety.max_updated_percent: must be at most 100" in result.stdout
    assert "unknown key 'max_list_deleted' in account.safety; did you mean 'max_lists_deleted'?" in result.stdout
    assert "Traceback" not in result.output


# ------------------------------------------------------------------ end to end


@pytest.fixture
def applied(api_env, examples_copy, sandbox):
    result = run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env)
    assert result.exit_code == 0, result.output
    set_subscribers(sandbox, "ACME VIP", 41_000)
    set_subscribers(sandbox, "ACME Deals", 210)
    set_subscribers(sandbox, "ACME Store Alerts", 1_234)
    return committed(examples_copy)


def _destroy_some(config: Path) -> None:
    """Replace a custom field of ACME VIP, delete ACME Deals, change a message of ACME Store Alerts."""
    vip = config / "lists" / "vip.yaml"
    vip.write_text(vip.read_text().replace("max_length: 5\n", "max_length: 9\n"))
    (config / "lists" / "deals.yaml").write_text("version: 1\nlists:\n  - name: ACME Deals\n    delete: true\n")
    stores = config / "lists" / "stores.yaml"
    stores.write_text(stores.read_text().replace("Store alerts. Help", "Store news. Help"))


def test_text_markdown_and_json_carry_the_people(api_env, applied, sandbox):
    _destroy_some(applied)
    text = run_cli(["plan", str(applied)], env=api_env)
    assert text.exit_code == 0, text.output
    assert '- list["ACME Deals"] (delete; DESTRUCTIVE; 210 subscribers;' in text.stdout
    assert (
        '-/+ list["ACME VIP"].custom_field["zip_code"] (replace; DESTRUCTIVE; stored values of 41,000 subscribers;'
    ) in text.stdout
    assert "2 destructive, affects 41,210 subscribers." in text.stdout
    md = run_cli(["plan", "--format", "markdown", str(applied)], env=api_env).stdout
    assert "> **Warning:** 2 destructive action(s) affect 41,210 subscribers; apply needs `--allow-destroy`:" in md
    assert '> - `list["ACME Deals"]` (delete, 210 subscribers)' in md
    assert '> - `list["ACME VIP"].custom_field["zip_code"]` (replace, stored values of 41,000 subscribers)' in md
    assert "Destructive actions affect **41,210 subscribers**." in md
    assert "Message changes reach the conversations of **1,234 subscribers**." in md
    data = json.loads(run_cli(["plan", "--format", "json", str(applied)], env=api_env).stdout)
    assert data["summary"]["subscribers_affected"] == 41_210 and data["summary"]["conversations_changed"] == 1_234
    stores = next(a for a in data["actions"] if a["address"] == 'list["ACME Store Alerts"]')
    assert stores["conversations"] == 1_234


def test_over_a_limit_plan_says_so_and_apply_refuses_before_any_write(api_env, applied, sandbox):
    _destroy_some(applied)  # 41,210 subscribers affected: over the default 10,000
    text = run_cli(["plan", "--detailed-exitcode", str(applied)], env=api_env)
    assert text.exit_code == 2  # --detailed-exitcode is unchanged: changes, not an error
    first = next(line for line in text.stdout.splitlines() if line and not line.startswith("Account: "))
    assert first.startswith("OVER THE SAFETY LIMITS: apply refuses this plan without --allow-bulk")
    assert "! this plan destructive actions affect 41,210 subscribers; the limit is 10,000" in text.stdout
    md = run_cli(["plan", "--format", "markdown", str(applied)], env=api_env).stdout
    assert "> [!CAUTION]\n> **Over the safety limits:**" in md
    assert md.index("[!CAUTION]") < md.index("| create |")
    data = json.loads(run_cli(["plan", "--format", "json", str(applied)], env=api_env).stdout)
    assert data["summary"]["over_limit"] is True
    assert data["safety"]["exceeded"][0]["limit"] == "max_subscribers_affected"
    assert data["safety"]["limits"]["max_subscribers_affected"] == 10_000
    sandbox.requests.clear()
    refused = run_cli(["apply", "--auto-approve", "--allow-destroy", str(applied)], env=api_env)
    assert refused.exit_code == 1
    assert "over the safety limits (account.safety) and --allow-bulk was not given" in refused.stderr
    assert writes(sandbox) == []
    done = run_cli(["apply", "--auto-approve", "--allow-destroy", "--allow-bulk", str(applied)], env=api_env)
    assert done.exit_code == 0, done.output
    assert "Apply complete" in done.stdout


def test_saved_and_reviewed_plans_carry_the_verdict(api_env, applied, sandbox, tmp_path):
    _destroy_some(applied)
    out = tmp_path / "plan.json"
    assert run_cli(["plan", "--out", str(out), str(applied)], env=api_env).exit_code == 0
    assert json.loads(out.read_text())["safety"]["exceeded"]
    sandbox.requests.clear()
    for args in (["--plan", str(out)], ["--expect", str(out), str(applied)]):
        refused = run_cli(["apply", "--allow-destroy", *args], env=api_env)
        assert refused.exit_code == 1 and "the saved plan is over the safety limits" in refused.stderr
        assert sandbox.api_requests() == []  # refused before the first call
    show = run_cli(["show", str(out)], env=api_env)
    assert "OVER THE SAFETY LIMITS" in show.stdout
    done = run_cli(["apply", "--allow-destroy", "--allow-bulk", "--expect", str(out), str(applied)], env=api_env)
    assert done.exit_code == 0, done.output


def test_a_subscriber_joining_after_review_does_not_make_the_reviewed_plan_differ(api_env, applied, sandbox, tmp_path):
    (applied / "lists" / "deals.yaml").write_text("version: 1\nlists:\n  - name: ACME Deals\n    delete: true\n")
    out = tmp_path / "plan.json"
    assert run_cli(["plan", "--out", str(out), str(applied)], env=api_env).exit_code == 0
    set_subscribers(sandbox, "ACME Deals", 211)
    done = run_cli(["apply", "--allow-destroy", "--expect", str(out), str(applied)], env=api_env)
    assert done.exit_code == 0, done.output


def test_account_safety_in_the_configuration_lifts_a_limit(api_env, applied, sandbox):
    _destroy_some(applied)
    account = applied / "account.yaml"
    data = yaml.safe_load(account.read_text())
    data["account"]["safety"] = {"max_subscribers_affected": 50_000}
    account.write_text(yaml.safe_dump(data))
    done = run_cli(["apply", "--auto-approve", "--allow-destroy", str(applied)], env=api_env)
    assert done.exit_code == 0, done.output


def test_the_action_checks_the_reviewed_verdict_and_passes_allow_bulk(gitops, sandbox, client):  # noqa: F811
    assert gitops.action({"command": "apply"}, {})[0] == 0
    set_subscribers(sandbox, "ACME Deals", 41_210)
    gitops.git("checkout", "-q", "-b", "retire-deals")
    (gitops.repo / "tatango" / "lists" / "deals.yaml").write_text(
        "version: 1\nlists:\n  - name: ACME Deals\n    delete: true\n"
    )
    gitops.git("commit", "-q", "-am", "retire deals")
    ran = gitops.workflow(CI / "tatango-pr.yml", pr_context(gitops, 9))
    markdown = Path(ran[1][2]["plan-markdown"]).read_text()
    assert "> [!CAUTION]" in markdown and "affect 41,210 subscribers" in markdown
    head = gitops.git("rev-parse", "HEAD")
    gitops.git("checkout", "-q", "main")
    gitops.git("merge", "-q", "--ff-only", "retire-deals")
    gitops.teach_gh(head, 9, head)
    sandbox.requests.clear()
    inputs = {"command": "apply", "reviewed": "auto", "allow-destroy": "true"}
    assert gitops.action(inputs, {})[0] == 1
    assert "the saved plan is over the safety limits" in gitops.last.stderr
    assert sandbox.api_requests() == []  # refused from the reviewed plan's verdict, before the first call
    assert gitops.action({**inputs, "allow-bulk": "true"}, {})[0] == 0, gitops.last.stderr
    assert "ACME Deals" not in [lst["name"] for lst in client.list_lists()]
