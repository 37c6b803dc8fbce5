"""Issue 11, items 1-4: the plan a reviewer reads is exact: keyword sets, ordered opt-in diffs,
texts as -/+ lines, secrets never shown, drift reported as drift."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tatango_iac import workflow
from tatango_iac.engine.planner import plan
from tatango_iac.engine.render import render_markdown, render_text
from tests.conftest import run_cli
from tests.gitrepo import committed
from tests.planning import desired, desired_from, live, raw_list


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


# ------------------------------------------------------------------ keywords


def test_adding_a_keyword_shows_as_a_set_change_not_positions():
    account = live([raw_list(1, "A", keyword_names=["SAVE", "SALE", "COUPONS"])])
    result = plan(
        desired("version: 1\nlists:\n  - name: A\n    keyword_names: [SAVE, SALE, COUPONS, BARGAIN]\n"), account
    )
    [action] = result.actions
    assert action.changes == [{"path": "keyword_names", "op": "add", "before": None, "after": "BARGAIN"}]
    text = render_text(result)
    assert "+ keyword BARGAIN" in text and "COUPONS" not in text.split("(update)")[1].split("Plan:")[0]
    assert "\n+     keyword BARGAIN\n" in render_markdown(result)  # the sign in column 0 for GitHub's colours


def test_a_moving_keyword_says_from_and_to_which_list_and_each_step_shows_the_state_it_meets():
    account = live([raw_list(1, "Red team", keyword_names=["RED"]), raw_list(2, "Blue team", keyword_names=["BLUE"])])
    config = desired_from(
        {"lists": [{"name": "Red team", "keyword_names": ["BLUE"]}, {"name": "Blue team", "keyword_names": ["RED"]}]}
    )
    result = plan(config, account)
    steps = [(a.address, a.before, a.after, a.changes) for a in result.actions]
    assert steps == [
        (
            'list["Red team"].keywords',
            {"keyword_names": ["RED"]},
            {"keyword_names": []},
            [{"path": "keyword_names", "op": "remove", "before": "RED", "after": None, "to_list": "Blue team"}],
        ),
        (
            'list["Blue team"].keywords',
            {"keyword_names": ["BLUE"]},
            {"keyword_names": ["RED"]},
            [
                {"path": "keyword_names", "op": "add", "before": None, "after": "RED", "from_list": "Red team"},
                {"path": "keyword_names", "op": "remove", "before": "BLUE", "after": None, "to_list": "Red team"},
            ],
        ),
        # The last step meets the state the release left: [] (not the [RED] the account had at the start).
        (
            'list["Red team"].keywords',
            {"keyword_names": []},
            {"keyword_names": ["BLUE"]},
            [{"path": "keyword_names", "op": "add", "before": None, "after": "BLUE", "from_list": "Blue team"}],
        ),
    ]
    text = render_text(result)
    assert '- keyword RED (to list "Blue team")' in text and '+ keyword RED (from list "Red team")' in text


def test_keyword_changes_in_json_and_drift_are_sets_too(api_env, examples_copy, client):
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    deals = next(lst for lst in client.list_lists() if lst["name"] == "ACME Deals")
    client.set_keywords(deals["id"], ["SAVE", "SALE", "COUPONS", "BONUS"])  # added by hand in the web UI
    data = json.loads(run_cli(["plan", "--format", "json", str(examples_copy)], env=api_env).stdout)
    assert data["actions"][0]["changes"] == [
        {"path": "keyword_names", "op": "remove", "before": "BONUS", "after": None}
    ]
    assert data["drift"]["changed_attributes"] == [
        {
            "address": 'list["ACME Deals"].keywords',
            "list": "ACME Deals",
            "action": "update",
            "attribute": "keyword_names",
            "live": "BONUS",
            "desired": None,
            "op": "remove",
        }
    ]
    drift = run_cli(["plan", "--drift", str(examples_copy)], env=api_env).stdout
    assert '  list["ACME Deals"].keywords\n      - keyword BONUS\n' in drift  # as in the plan, never live/desired
    assert "live:" not in drift and "null" not in drift


# ------------------------------------------------------------- opt-in requests


def requests_(*collected: str) -> list[dict]:
    last = len(collected) - 1
    return [
        {
            "collected_data": c,
            "request_message": f"Reply with your {c}",
            "success_action": "optinsubscriber" if i == last else "nextrequest",
        }
        for i, c in enumerate(collected)
    ]


def test_a_request_inserted_in_the_middle_shows_as_an_insertion():
    account = live([raw_list(1, "A", opt_in_type="double", opt_in_requests=requests_("zip_code", "yes"))])
    config = desired_from(
        {
            "lists": [
                {"name": "A", "opt_in_type": "double", "opt_in_requests": requests_("zip_code", "first_name", "yes")}
            ]
        }
    )
    [action] = plan(config, account).actions
    assert [(c["path"], c.get("op")) for c in action.changes] == [("opt_in_requests[1]", "add")]
    assert action.changes[0]["after"]["collected_data"] == "first_name"


def test_a_request_removed_from_the_middle_shows_as_a_removal_only():
    account = live(
        [
            raw_list(
                1,
                "A",
                opt_in_type="double",
                opt_in_requests=requests_("zip_code", "email_address", "first_name", "yes"),
            )
        ]
    )
    wanted = requests_("zip_code", "email_address", "first_name", "yes")
    del wanted[1]
    config = desired_from({"lists": [{"name": "A", "opt_in_type": "double", "opt_in_requests": wanted}]})
    [action] = plan(config, account).actions
    assert [(c["path"], c.get("op")) for c in action.changes] == [("opt_in_requests[1]", "remove")]
    text = render_text(plan(config, account))
    assert "- opt_in_requests[1]:" in text and "collected_data" in text
    assert "opt_in_requests[2]" not in text and "opt_in_requests[3]" not in text


# ------------------------------------------------------------------- texts


LONG_OLD = "ACME Deals: Weekly deals. " + "Shop our stores for the best prices in town. " * 6 + "Text STOP to end."
LONG_NEW = LONG_OLD.replace("Weekly", "Daily")


def test_a_changed_text_is_a_minus_and_a_plus_line_wrapped():
    account = live([raw_list(1, "A", message_help=LONG_OLD)])
    result = plan(desired_from({"lists": [{"name": "A", "message_help": LONG_NEW}]}), account)
    text = render_text(result)
    body = text.split("(update)\n", 1)[1].split("\n\n")[0].splitlines()
    assert body[0].strip() == "~ message_help:"
    minus = [line.strip() for line in body if line.strip().startswith("-")]
    plus = [line.strip() for line in body if line.strip().startswith("+")]
    assert len(minus) > 1 and len(plus) > 1  # a 300-character value is wrapped, never one line
    assert max(len(line) for line in text.splitlines()) <= 120
    # The pieces join back into exactly the value, spaces included.
    assert "".join(json.loads(line[1:].strip()) for line in minus) == LONG_OLD
    assert "".join(json.loads(line[1:].strip()) for line in plus) == LONG_NEW
    diff = render_markdown(result).split("```diff\n", 1)[1].split("```", 1)[0]
    assert all(line[0] in "-+~ " for line in diff.splitlines() if line)  # GitHub colours by column 0
    assert any(re.match(r'-\s+"ACME Deals: Weekly', line) for line in diff.splitlines())
    assert any(re.match(r'\+\s+"ACME Deals: Daily', line) for line in diff.splitlines())


def test_markdown_names_the_paths_and_counts_subscribers_in_the_destructive_callout(api_env, examples_copy, client):
    old = client.create_list({"name": "Old promo"}, ["OLDPROMO"])
    for phone in ("2065550101", "2065550102"):
        client.request("POST", f"/lists/{old['id']}/subscribers", body={"subscriber": {"phone_number": phone}})
    edit(committed(examples_copy) / "account.yaml", "prune: false", "prune: true")
    md = run_cli(["plan", "--format", "markdown", str(examples_copy)], env=api_env).stdout
    assert f"Configuration: `{examples_copy}`" in md
    assert '> - `list["Old promo"]` (delete, 2 subscribers)' in md


def test_the_truncation_note_points_to_the_full_plan_the_workflow_keeps():
    account = live([raw_list(i, f"L{i}", message_help="x") for i in range(1, 400)])
    config = desired_from({"lists": [{"name": f"L{i}", "message_help": "y" * 300} for i in range(1, 400)]})
    md = render_markdown(plan(config, account))
    assert "Output truncated" in md and "job summary" in md and "`tatango-plan` artifact" in md
    assert len(md) < 65_536


def test_a_failed_plan_is_still_a_markdown_comment(api_env, examples_copy):
    edit(examples_copy / "lists" / "stores.yaml", "[STORE, PICKUP]", "[STORE, TACOS]")
    result = run_cli(["plan", "--format", "markdown", str(examples_copy)], env=api_env)
    assert result.exit_code == 1
    assert result.stdout.startswith("### tatango-iac plan failed")
    assert "keyword 'TACOS' of list 'ACME Store Alerts' is not available" in result.stdout


# ------------------------------------------------------------------- secrets


def test_an_empty_variable_is_an_error_at_its_location_like_an_unset_one(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "version: 1\nlists:\n  - name: A\n    webhooks:\n"
        "      - callback_url: 'https://h.example/x?token=${HOOK_TOKEN}'\n"
        "      - callback_url: 'https://h.example/y?token=${OTHER:-fallback-value}'\n"
    )
    result = run_cli(["validate", str(path)], env={"HOOK_TOKEN": "", "OTHER": ""})
    assert result.exit_code == 1
    assert (
        f"{path}:5:23: error: environment variable HOOK_TOKEN is set but empty (used as ${{HOOK_TOKEN}}; "
        "write ${HOOK_TOKEN:-} if empty is deliberate) [env-unset]"
    ) in result.stdout
    assert ":6:" not in result.stdout  # ${OTHER:-fallback-value} is a deliberate default


def test_a_webhook_whose_secret_value_changed_is_updated_in_place_and_the_plan_says_why(api_env, examples_copy, client):
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    rotated = {**api_env, "ACME_WEBHOOK_TOKEN": "rotated-token-9f8e7d"}
    result = run_cli(["plan", str(examples_copy)], env=rotated)
    assert (
        '~ list["ACME VIP"].webhook["https://hooks.acme-retail.example/tatango/vip?token='
        '${ACME_WEBHOOK_TOKEN}"] (update; the value of ${ACME_WEBHOOK_TOKEN} differs from the live URL)'
        in result.stdout
    )
    assert "rotated-token-9f8e7d" not in result.output and api_env["ACME_WEBHOOK_TOKEN"] not in result.output
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete." in result.stdout
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=rotated).exit_code == 0
    vip = next(lst for lst in client.list_lists() if lst["name"] == "ACME VIP")
    assert [h["callback_url"].rsplit("=", 1)[1] for h in client.list_webhooks(vip["id"])] == ["rotated-token-9f8e7d"]


# --------------------------------------------------------------------- drift


def test_a_list_renamed_in_the_web_ui_is_drift_with_a_hint_never_an_error_or_prune_advice(
    api_env, examples_copy, client
):
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    stores = next(lst for lst in client.list_lists() if lst["name"] == "ACME Store Alerts")
    client.update_list(stores["id"], {"name": "Store Alerts 2024"})  # renamed by hand
    outputs = []
    for fmt in ("text", "json", "markdown"):
        for extra in ([], ["--drift"]):
            result = run_cli(["plan", "--detailed-exitcode", "--format", fmt, *extra, str(examples_copy)], env=api_env)
            assert result.exit_code == 2, (fmt, extra, result.output)
            outputs.append(result.output)
            assert "probably renamed" in result.output and "prune" not in result.output.replace('prune": ', "")
    assert "Add `renamed_from: 'Store Alerts 2024'` to list 'ACME Store Alerts'" in outputs[0]
    applied = run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env)
    assert applied.exit_code == 1 and "blocked until you decide" in applied.stderr
    edit(
        examples_copy / "lists" / "stores.yaml",
        "  - name: ACME Store Alerts\n",
        "  - name: ACME Store Alerts\n    renamed_from: Store Alerts 2024\n",
    )
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    assert run_cli(["plan", "--detailed-exitcode", str(examples_copy)], env=api_env).exit_code == 0


def test_no_message_ever_suggests_prune_to_free_a_keyword():
    account = live([raw_list(1, "A"), raw_list(2, "Web UI", keyword_names=["JOIN"])])
    result = plan(desired("version: 1\nlists:\n  - name: A\n    keyword_names: [join]\n"), account)
    everything = render_text(result) + render_markdown(result) + result.dumps()
    assert "prune: true" not in everything and "set account.prune" not in everything


def test_renamed_from_whose_new_name_exists_does_not_hide_a_list_with_the_old_name():
    account = live([raw_list(1, "New name"), raw_list(2, "Old name")])
    result = plan(desired_from({"lists": [{"name": "New name", "renamed_from": "Old name"}]}), account)
    assert [u["name"] for u in result.unmanaged_lists] == ["Old name"]


def test_unmanaged_lists_are_in_the_drift_report_and_do_not_fail_it(api_env, examples_copy, client):
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    client.create_list({"name": "Side project"}, ["SIDE"])
    result = run_cli(["plan", "--detailed-exitcode", "--drift", str(examples_copy)], env=api_env)
    assert 'Lists in the account that no file manages (1):\n  "Side project"' in result.stdout
    assert result.exit_code == 0  # documented: unmanaged lists are reported, not drift that fails the job
    assert re.search(
        r"unmanaged lists.{0,200}(do not|never) fail",
        (Path(__file__).parent.parent / "README.md").read_text(),
        re.IGNORECASE | re.DOTALL,
    )
