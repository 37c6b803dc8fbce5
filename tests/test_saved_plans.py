"""Saved plans are refused when stale, and only then (issue 9 item 7, issue 13 item 7)."""

from __future__ import annotations

import json

import pytest

from tatango_iac import workflow
from tests.conftest import run_cli


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


def writes(sandbox) -> list[dict]:
    return [r for r in sandbox.api_requests() if r["method"] != "GET" and not r["path"].endswith("/test_keyword")]


def planned(api_env, config, tmp_path):
    out = tmp_path / "plan.json"
    result = run_cli(["plan", "--out", str(out), str(config)], env=api_env)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def applied(api_env, examples_copy):
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    stores = examples_copy / "lists" / "stores.yaml"
    stores.write_text(stores.read_text().replace("Store alerts. Help", "Store news. Help"))
    return examples_copy


def edit_live_list(sandbox, name: str, **changes) -> None:
    record = next(r for r in sandbox.state.data["lists"].values() if r["name"] == name)
    record.update(changes)


@pytest.mark.parametrize(
    "change",
    [
        "unmanaged list message",
        "unmanaged attribute of a managed list",
        "subscribers",
        "timestamps",
        "webhook enabled flag",
    ],
)
def test_changes_the_plan_does_not_depend_on_never_make_it_stale(api_env, applied, tmp_path, client, sandbox, change):
    client.create_list({"name": "Made by hand", "message_help": "v1"})
    out = planned(api_env, applied, tmp_path)
    if change == "unmanaged list message":
        edit_live_list(sandbox, "Made by hand", message_help="v2 edited in the web UI")
    elif change == "unmanaged attribute of a managed list":
        edit_live_list(sandbox, "ACME Store Alerts", message_reply="not managed by stores.yaml")
    elif change == "subscribers":
        edit_live_list(sandbox, "ACME Deals", counts={"subscribers": 4242, "unsubscribed": 1, "cleaned": 0})
    elif change == "timestamps":
        for hook in sandbox.state.data["webhooks"].values():
            hook["updated_at"] = "2030-01-01T00:00:00+09:00"
    else:
        for hook in sandbox.state.data["webhooks"].values():
            hook["enabled"] = False
    result = run_cli(["apply", "--plan", str(out)], env=api_env)
    assert result.exit_code == 0, result.output
    assert "Apply complete: 1 of 1 action(s) applied; a re-read" in result.stdout


@pytest.mark.parametrize(
    "change, reason",
    [
        ("managed message", "list 'ACME VIP' (id 3) changed in the account"),
        ("managed webhook event", "the webhooks of list 'ACME Deals' (id 1) changed in the account"),
        ("keywords of an unmanaged list", "the lists of the account (ids, names or keywords) changed"),
    ],
)
def test_changes_the_plan_depends_on_make_it_stale(api_env, applied, tmp_path, client, sandbox, change, reason):
    out = planned(api_env, applied, tmp_path)
    if change == "managed message":
        edit_live_list(sandbox, "ACME VIP", message_help="edited by hand")
    elif change == "managed webhook event":
        next(iter(sandbox.state.data["webhooks"].values()))["subscribe"] = False
    else:
        client.create_list({"name": "New by hand"}, ["HANDMADE"])
    sandbox.requests.clear()
    result = run_cli(["apply", "--plan", str(out)], env=api_env)
    assert result.exit_code == 1 and "plan is stale" in result.stderr and reason in result.stderr
    assert writes(sandbox) == []


def test_a_file_added_to_a_planned_directory_makes_the_plan_stale(api_env, examples_copy, tmp_path, client, sandbox):
    # With prune on, a plan made before later.yaml existed deletes the list later.yaml manages.
    account = examples_copy / "account.yaml"
    account.write_text(account.read_text().replace("prune: false", "prune: true"))
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    client.create_list({"name": "Later"}, ["LATER"])
    out = planned(api_env, examples_copy, tmp_path)
    assert '"Later"' in out.read_text()  # planned for deletion as unmanaged
    (examples_copy / "lists" / "later.yaml").write_text("version: 1\nlists:\n  - name: Later\n")
    sandbox.requests.clear()
    result = run_cli(["apply", "--plan", str(out), "--allow-destroy"], env=api_env)
    assert result.exit_code == 1
    assert f"{examples_copy / 'lists' / 'later.yaml'} is new since the plan was made; plan again" in result.stderr
    assert writes(sandbox) == [] and "Later" in [lst["name"] for lst in client.list_lists()]


def test_a_stale_plan_names_the_file_that_changed_and_keeps_its_secrets(
    api_env, examples_copy, tmp_path, sandbox, monkeypatch
):
    """Issue 17 point 8: which file, not just "the configuration"; a ${...} value counts as the file's."""
    out = planned(api_env, examples_copy, tmp_path)
    saved = json.loads(out.read_text())["config"]["file_digests"]
    assert sorted(saved) == sorted(json.loads(out.read_text())["config"]["files"]) and all(
        d.startswith("hmac-sha256:") for d in saved.values()
    )  # keyed: no offline guessing of a ${...} value
    vip = examples_copy / "lists" / "vip.yaml"
    vip.write_text(vip.read_text().replace("follow_up_hour: 2", "follow_up_hour: 3"))
    result = run_cli(["apply", "--plan", str(out)], env=api_env)
    assert result.exit_code == 1 and f"{vip} changed since the plan was made" in result.stderr, result.output
    assert "deals.yaml" not in result.stderr and writes(sandbox) == []
    vip.write_text(vip.read_text().replace("follow_up_hour: 3", "follow_up_hour: 2"))
    token = run_cli(["apply", "--plan", str(out)], env={**api_env, "ACME_WEBHOOK_TOKEN": "another-token-value"})
    assert (
        token.exit_code == 1 and f"{vip} changed since the plan was made (its text or a ${{...}} value" in token.stderr
    )
    assert "another-token-value" not in token.output and writes(sandbox) == []
    (examples_copy / "lists" / "stores.yaml").unlink()
    gone = run_cli(["apply", "--plan", str(out)], env=api_env)
    assert gone.exit_code == 1 and f"{examples_copy / 'lists' / 'stores.yaml'} is gone since the plan" in gone.stderr
    assert writes(sandbox) == []


def test_a_plan_of_relative_paths_applied_from_elsewhere_says_from_where(
    api_env, examples_copy, tmp_path, sandbox, monkeypatch
):
    """Issue 17 point 8: relative PATHs are kept (the same plan applies in another checkout); from another
    directory the refusal says where to run it, before any call."""
    monkeypatch.chdir(examples_copy.parent)
    out = tmp_path / "plan.json"
    made = run_cli(["plan", "--out", str(out), examples_copy.name], env=api_env)
    assert made.exit_code == 0, made.output
    assert json.loads(out.read_text())["config"]["paths"] == [examples_copy.name]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    sandbox.requests.clear()
    result = run_cli(["apply", "--plan", str(out)], env=api_env)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (
        f"the plan's configuration path '{examples_copy.name}' is relative to the directory `plan --out` ran in "
        f"and is not found from {elsewhere}; run `apply --plan` from that directory" in result.stderr
    ), result.stderr
    assert sandbox.api_requests() == []
    monkeypatch.chdir(examples_copy.parent)  # from where it was made, the same file applies
    assert run_cli(["apply", "--plan", str(out)], env=api_env).exit_code == 0
