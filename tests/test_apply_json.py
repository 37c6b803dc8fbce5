"""Issue 17 point 7: `apply --format json` results, `plan --format json` error documents, the apply job summary.

End to end: the real CLI against the sandbox over real HTTP; stdout must be exactly one JSON document.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path

import pytest

from tatango_iac import workflow
from tatango_iac.cli import apply_summary
from tatango_iac.sandbox import SANDBOX_API_KEY
from tests.conftest import EXAMPLE_ENV, run_cli, set_faults

TOKEN = EXAMPLE_ENV["ACME_WEBHOOK_TOKEN"]
SECRETS = (TOKEN, SANDBOX_API_KEY)


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


def no_secret_in(text: str) -> None:
    for secret in SECRETS:
        for form in (
            secret,
            urllib.parse.quote(secret, safe=""),
            json.dumps(secret)[1:-1],
            base64.b64encode(secret.encode()).decode(),
        ):
            assert form not in text


def apply_json(api_env, config: Path, *extra: str):
    result = run_cli(["apply", "--auto-approve", "--format", "json", *extra, str(config)], env=api_env)
    no_secret_in(result.stdout + result.stderr)
    return result, json.loads(result.stdout)  # the whole of stdout is one document


def writes(sandbox) -> list[dict]:
    return [r for r in sandbox.api_requests() if r["method"] != "GET" and not r["path"].endswith("/test_keyword")]


def test_a_complete_apply_reports_every_action_verified_and_the_summary(api_env, examples_copy):
    result, doc = apply_json(api_env, examples_copy)
    assert result.exit_code == 0, result.stderr
    assert doc["status"] == "complete" and doc["exit_code"] == 0 and doc["message"] is None
    assert doc["summary"] == {"total": 10, "verified": 10, "applied": 0, "uncertain": 0, "not_applied": 0}
    assert [a["index"] for a in doc["actions"]] == list(range(1, 11))
    assert {a["result"] for a in doc["actions"]} == {"verified"}
    assert doc["actions"][0]["address"] == 'list["ACME Deals"]' and doc["actions"][0]["action"] == "create"
    assert doc["readback"]["ok"] is True and doc["readback"]["calls"] == 5
    # The text for people is on stderr, whole.
    assert "Apply complete: 10 of 10 action(s) applied" in result.stderr
    again, doc = apply_json(api_env, examples_copy)
    assert again.exit_code == 0 and doc["status"] == "no changes" and doc["actions"] == []


def test_no_verify_says_applied_not_verified(api_env, examples_copy):
    result, doc = apply_json(api_env, examples_copy, "--no-verify")
    assert result.exit_code == 0
    assert doc["status"] == "not verified" and doc["readback"] is None
    assert doc["summary"]["applied"] == 10 and doc["summary"]["verified"] == 0


def test_a_refused_apply_lists_every_action_not_applied(api_env, examples_copy, sandbox):
    assert apply_json(api_env, examples_copy)[0].exit_code == 0
    deals = examples_copy / "lists" / "deals.yaml"
    deals.write_text(
        deals.read_text().replace(
            "    custom_fields:\n      - key: preferred_department\n        label: "
            "Preferred department\n        content_type: text\n        max_length: 32\n",
            "    custom_fields: []\n",
        )
    )
    before = len(writes(sandbox))
    result, doc = apply_json(api_env, examples_copy)
    assert result.exit_code == 1 and len(writes(sandbox)) == before
    assert doc["status"] == "refused" and "--allow-destroy" in doc["message"]
    [action] = doc["actions"]
    assert action["result"] == "not applied" and action["destructive"] is True and action["action"] == "delete"
    assert doc["summary"]["not_applied"] == 1 and doc["readback"] is None


def test_an_api_error_mid_apply_says_what_was_applied_and_what_was_not(api_env, examples_copy, sandbox):
    # The API echoes the key and the token in its error: neither may reach the document.
    set_faults(
        sandbox,
        script=[
            {
                "method": "POST",
                "path": r"/lists/\d+/custom_fields$",
                "fault": "answer",
                "status": 422,
                "json": {"errors": {"key": [f"bad {SANDBOX_API_KEY} {TOKEN}"]}},
            }
        ],
    )
    result, doc = apply_json(api_env, examples_copy)
    assert result.exit_code == 1
    assert doc["status"] == "failed" and "Apply failed: 1 of 10 action(s) applied." in doc["message"]
    results = [a["result"] for a in doc["actions"]]
    assert results == ["applied"] + ["not applied"] * 9  # written, but no read-back ran: not "verified"
    failed = doc["actions"][1]
    assert failed["address"] == 'list["ACME Deals"].custom_field["preferred_department"]'
    assert failed["outcome"] == "failed" and "422" in failed["error"]
    assert doc["summary"] == {"total": 10, "verified": 0, "applied": 1, "uncertain": 0, "not_applied": 9}


def test_an_uncertain_write_is_reported_uncertain(api_env, examples_copy, sandbox):
    # The update is committed, then the connection drops before every answer: the applier cannot know.
    assert apply_json(api_env, examples_copy)[0].exit_code == 0
    stores = examples_copy / "lists" / "stores.yaml"
    stores.write_text(stores.read_text().replace("Store alerts.", "Store news."))
    set_faults(sandbox, script=[{"method": "PUT", "path": r"/lists/\d+$", "fault": "drop_after", "times": 99}])
    result, doc = apply_json(api_env, examples_copy)
    assert result.exit_code == 1
    [action] = doc["actions"]
    assert action["result"] == "uncertain" and doc["status"] == "failed" and doc["summary"]["uncertain"] == 1


def test_a_budget_stop_is_partial_with_exit_3(api_env, examples_copy):
    result, doc = apply_json(api_env, examples_copy, "--max-calls", "19")
    assert result.exit_code == 3 and doc["status"] == "partial" and doc["exit_code"] == 3
    counts = doc["summary"]
    assert counts["not_applied"] > 0 and counts["applied"] + counts["not_applied"] == 10
    assert "Apply stopped at its budget" in doc["message"]


def test_a_usage_error_still_prints_a_document(api_env, examples_copy):
    result = run_cli(["apply", "--format", "json", "--plan", "x.json", str(examples_copy)], env=api_env)
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["status"] == "refused" and "not both" in doc["message"]


def test_plan_json_failure_prints_an_error_document(api_env, examples_copy, sandbox):
    set_faults(
        sandbox,
        script=[
            {
                "method": "GET",
                "path": "/lists$",
                "fault": "answer",
                "status": 500,
                "text": f"internal error for key {SANDBOX_API_KEY} and {urllib.parse.quote(TOKEN)}",
                "times": 99,
            }
        ],
    )
    result = run_cli(["plan", "--format", "json", str(examples_copy)], env=api_env)
    assert result.exit_code == 1
    no_secret_in(result.stdout + result.stderr)
    doc = json.loads(result.stdout)
    assert doc["status"] == "error" and doc["exit_code"] == 1 and "500" in doc["error"]["message"]


def test_plan_json_failure_on_bad_configuration_is_a_document_with_the_location(api_env, examples_copy):
    vip = examples_copy / "lists" / "vip.yaml"
    vip.write_text(vip.read_text() + "\nbogus: [\n")
    result = run_cli(["plan", "--format", "json", str(examples_copy)], env=api_env)
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert "vip.yaml:" in doc["error"]["message"]
    ok = run_cli(["plan", "--format", "json", "--detailed-exitcode", str(examples_copy / "account.yaml")], env=api_env)
    assert "error" not in json.loads(ok.stdout)  # a plan that works prints the plan, never an error document


def test_the_job_summary_renders_the_result_and_escapes_table_breakers(tmp_path, capsys):
    result = {
        "status": "failed",
        "message": "Apply failed:\n```\nboom",
        "summary": {"total": 2, "verified": 0, "applied": 1, "uncertain": 0, "not_applied": 1},
        "actions": [
            {"index": 1, "action": "create", "address": 'list["A | B"]', "result": "applied"},
            {"index": 2, "action": "update", "address": 'list["<b>x</b>"]', "result": "not applied"},
        ],
    }
    path = tmp_path / "apply.json"
    path.write_text(json.dumps(result))
    assert apply_summary.main([str(path)]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("### tatango-iac apply: failed")
    assert "| 1 | create | list[&quot;A \\| B&quot;] | applied |" in markdown
    assert "&lt;b&gt;" in markdown and "````\nApply failed:" in markdown
    (tmp_path / "apply.err").write_text("Error: could not start\n")
    path.write_text("")
    assert apply_summary.main([str(path), str(tmp_path / "apply.err")]) == 0
    assert "no result" in capsys.readouterr().out


def test_a_reviewed_plan_applied_then_re_run_says_already_applied(api_env, examples_copy, tmp_path):
    reviewed = tmp_path / "reviewed.json"
    made = run_cli(["plan", "--out", str(reviewed), str(examples_copy)], env=api_env)
    assert made.exit_code == 0, made.stderr
    first = run_cli(["apply", "--format", "json", "--expect", str(reviewed), str(examples_copy)], env=api_env)
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["status"] == "complete"
    again = run_cli(["apply", "--format", "json", "--expect", str(reviewed), str(examples_copy)], env=api_env)
    doc = json.loads(again.stdout)
    assert again.exit_code == 0 and doc["status"] == "already applied" and len(doc["already_in_account"]) == 10
    no_secret_in(first.stdout + again.stdout)


def test_a_read_back_that_disagrees_is_not_confirmed_and_names_the_difference(api_env, examples_copy, sandbox):
    from tests.test_closed_loop import TruncatesHelp

    assert apply_json(api_env, examples_copy)[0].exit_code == 0
    sandbox.state.profile = TruncatesHelp()
    deals = examples_copy / "lists" / "deals.yaml"
    deals.write_text(deals.read_text().replace("Weekly deals.", "Daily deals."))
    result, doc = apply_json(api_env, examples_copy)
    assert result.exit_code == 1 and doc["status"] == "not confirmed"
    [action] = doc["actions"]
    assert action["result"] == "applied"  # accepted, but the account does not hold it: never "verified"
    assert doc["readback"]["ok"] is False and "message_help" in doc["readback"]["differences"][0]
    assert action["readback"] and "holds" in action["readback"][0]
