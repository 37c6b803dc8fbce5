"""Protected lists and pins that cannot hit the wrong list (issue 18 points 3 and 4)."""

from __future__ import annotations

import json

import pytest

from tatango_iac import workflow
from tatango_iac.engine.planner import plan
from tatango_iac.engine.render import render_markdown, render_text
from tatango_iac.identity.scope import Scope
from tests.conftest import run_cli
from tests.planning import desired_from, live, raw_list
from tests.test_changed_since import repo  # noqa: F401 - the git repository fixture

ZIP = {"key": "zip", "label": "Zip", "content_type": "text", "max_length": 5}


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


def counts(n):
    return {"subscribers": n, "unsubscribed": 0, "cleaned": 0}


def writes(sandbox) -> list[dict]:
    return [r for r in sandbox.api_requests() if r["method"] != "GET" and not r["path"].endswith("/test_keyword")]


# ------------------------------------------------------------------ point 3, pure


def test_protect_true_refuses_a_custom_field_replace_and_delete_by_any_path():
    account = live(
        [raw_list(1, "Club", counts=counts(500))], custom_fields={1: [ZIP, {**ZIP, "key": "old", "label": "Old"}]}
    )
    config = desired_from(
        {
            "lists": [
                {
                    "name": "Club",
                    "protect": True,
                    "custom_fields": [
                        {**ZIP, "max_length": 9},
                        {"key": "new", "label": "New", "content_type": "text", "max_length": 3},
                    ],
                }
            ]
        }
    )
    result = plan(config, account)
    assert [(a.action, a.address) for a in result.actions] == [("create", 'list["Club"].custom_field["new"]')]
    refused = {b["address"]: b for b in result.blocked}
    assert set(refused) == {'list["Club"].custom_field["zip"]', 'list["Club"].custom_field["old"]'}
    assert all(b["kind"] == "protected" and "protect: true (config.yaml:" in b["message"] for b in refused.values())
    assert "500 subscribers" in refused['list["Club"].custom_field["zip"]']["message"]
    assert result.has_changes and result.summary()["destructive"] == 0


def test_a_split_replace_of_a_protected_list_is_refused_with_both_halves():
    account = live([raw_list(1, "Club")], custom_fields={1: [ZIP, {**ZIP, "key": "b", "label": "B"}]})
    # b wants zip's label while zip is replaced: the planner splits zip's replace into delete + create.
    config = desired_from(
        {
            "account": {"protect": ["Cl*"]},
            "lists": [
                {"name": "Club", "custom_fields": [{**ZIP, "label": "Zip2"}, {**ZIP, "key": "b", "label": "Zip"}]}
            ],
        }
    )
    result = plan(config, account)
    assert not [a for a in result.actions if a.resource == "custom_field"]
    assert all('account.protect pattern "Cl*"' in b["message"] for b in result.blocked)


def test_prune_leaves_a_pattern_protected_list_alone_and_reports_it():
    account = live([raw_list(1, "Kept"), raw_list(2, "Customers 2024", counts=counts(41_210)), raw_list(3, "Junk")])
    config = desired_from({"account": {"prune": True, "protect": ["Customers *"]}, "lists": [{"name": "Kept"}]})
    result = plan(config, account)
    assert [(a.action, a.address) for a in result.actions] == [("delete", 'list["Junk"]')]
    assert not result.blocked  # prune of a protected list is not an error: it is reported, never deleted
    customers = next(u for u in result.unmanaged_lists if u["id"] == 2)
    assert customers["action"] == "protected" and 'account.protect pattern "Customers *"' in customers["protected_by"]


def test_delete_true_on_a_protected_list_is_refused():
    account = live([raw_list(1, "Customers", counts=counts(9))])
    result = plan(
        desired_from({"account": {"protect": ["Customers"]}, "lists": [{"name": "Customers", "delete": True}]}), account
    )
    assert result.actions == []
    (refused,) = result.blocked
    assert refused["address"] == 'list["Customers", id=1]' and refused["action"] == "delete"


def test_lifting_protection_and_deleting_in_one_change_is_refused():
    account = live([raw_list(1, "Old", counts=counts(3))], custom_fields={1: [ZIP]})
    base = Scope(ref="origin/main", base_protected=frozenset({"Old"}))
    deleting = desired_from({"lists": [{"name": "Old", "delete": True}]})
    (refused,) = plan(deleting, account, base).blocked
    assert "it was protected at origin/main, and lifting protection is a change of its own" in refused["message"]
    stripping = desired_from({"lists": [{"name": "Old", "custom_fields": []}]})
    assert plan(stripping, account, base).blocked and not plan(stripping, account, base).actions
    # Once protection was lifted by a merged change (the ref no longer protects it), the delete is planned.
    assert [a.action for a in plan(deleting, account, Scope(ref="origin/main")).actions] == ["delete"]


def test_a_protected_list_removed_from_the_configuration_is_reported_never_deleted():
    account = live([raw_list(1, "Kept"), raw_list(2, "Gone", counts=counts(12))])
    base = Scope("changed_since", frozenset(), frozenset({"Gone"}), "origin/main", base_protected=frozenset({"Gone"}))
    pruning = plan(desired_from({"account": {"prune": True}, "lists": [{"name": "Kept"}]}), account, base)
    assert pruning.actions == [] and pruning.blocked[0]["address"] == 'list["Gone", id=2]'
    assert pruning.unmanaged_lists[0]["action"] == "protected"
    leaving = plan(desired_from({"lists": [{"name": "Kept"}]}), account, base)
    assert leaving.actions == [] and not leaving.blocked
    assert any(
        'list "Gone" (id 2) was protected at origin/main and left the configuration' in w for w in leaving.warnings
    )


def test_the_verdict_survives_a_saved_scope():
    scope = Scope("changed_since", frozenset({"A"}), frozenset({"B"}), "main", frozenset({"B"}), ("C*",))
    assert Scope.from_json(scope.to_json()) == scope
    everything = Scope(ref="main", base_protected=frozenset({"B"}))
    assert Scope.from_json(everything.to_json()) == everything and Scope.from_json({"kind": "all"}) == Scope()


# ------------------------------------------------------------------ point 4, pure


def test_a_pin_whose_live_list_has_another_name_never_deletes_it():
    account = live([raw_list(7, "Customers", counts=counts(41_210)), raw_list(8, "Old Promo")])
    result = plan(desired_from({"lists": [{"name": "Old Promo", "id": 7, "delete": True}]}), account)
    assert result.actions == []
    (refused,) = result.blocked
    assert refused["address"] == 'list["Customers", id=7]' and refused["kind"] == "wrong_pin"
    assert refused["live_name"] == "Customers" and refused["subscribers"] == 41_210
    assert (
        'refused to delete the list "Customers" (id 7, 41,210 subscribers): the entry at config.yaml:'
        in refused["message"]
    )
    assert 'is named "Old Promo", but id 7 is the live list "Customers"' in refused["message"]
    same = plan(desired_from({"lists": [{"name": "Customers", "id": 7, "delete": True}]}), account)
    assert [(a.action, a.list_id, a.address) for a in same.actions] == [("delete", 7, 'list["Customers", id=7]')]
    # The headline, the destructive callout and the PR comment name the live list by name and id.
    assert render_text(same).count('list["Customers", id=7]') == 1
    assert '> - `list["Customers", id=7]` (delete, 41,210 subscribers)' in render_markdown(same)


def test_two_entries_pinning_one_id_is_a_validate_error_naming_both(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("version: 1\nlists:\n  - name: A\n    id: 7\n  - name: B\n    id: 7\n    delete: true\n")
    result = run_cli(["validate", str(path)])
    assert result.exit_code == 1
    assert (
        f"{path}:6:9: error: list 'B' pins id 7, which list 'A' already pins at {path}:4:9: one entry per live "
        "list [list-id-duplicate]"
    ) in result.stdout


def test_protect_and_delete_on_one_entry_is_a_validate_error(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("version: 1\nlists:\n  - name: A\n    delete: true\n    protect: true\n")
    result = run_cli(["validate", str(path)])
    assert result.exit_code == 1 and f"{path}:5:5: error: list 'A' has protect: true and delete: true" in result.stdout


# ------------------------------------------------------------------ end to end


def test_apply_refuses_a_protected_replace_even_with_allow_destroy(api_env, examples_copy, sandbox):
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    vip = examples_copy / "lists" / "vip.yaml"
    vip.write_text(
        vip.read_text()
        .replace("max_length: 5\n", "max_length: 9\n")
        .replace("  - name: ACME VIP\n", "  - name: ACME VIP\n    protect: true\n")
    )
    shown = run_cli(["plan", "--detailed-exitcode", str(examples_copy)], env=api_env)
    assert shown.exit_code == 2
    assert (
        '! list["ACME VIP"].custom_field["zip_code"]: refused to replace list["ACME VIP"].custom_field["zip_code"] '
        'of the list "ACME VIP" (id 3, 0 subscribers): the list is protected by protect: true'
    ) in shown.stdout
    assert "the list is protected by protect: true" in shown.stdout
    md = run_cli(["plan", "--format", "markdown", str(examples_copy)], env=api_env).stdout
    assert "**Blocked:** refused to replace" in md
    sandbox.requests.clear()
    refused = run_cli(["apply", "--auto-approve", "--allow-destroy", str(examples_copy)], env=api_env)
    assert refused.exit_code == 1 and "Refusing to apply" in refused.stderr
    assert writes(sandbox) == []


def test_removing_protect_and_deleting_in_one_pull_request_is_refused(api_env, repo, sandbox):  # noqa: F811
    vip = repo / "tatango" / "lists" / "vip.yaml"
    original = vip.read_text()
    vip.write_text(original.replace("  - name: ACME VIP\n", "  - name: ACME VIP\n    protect: true\n"))
    repo.git("commit", "-qam", "protect VIP")
    base = repo.git("rev-parse", "HEAD")
    vip.write_text("version: 1\nlists:\n  - name: ACME VIP\n    delete: true\n")
    out = repo / "plan.json"
    shown = run_cli(["plan", "--changed-since", base, "--out", str(out), "tatango/"], env=api_env)
    assert shown.exit_code == 0, shown.output
    assert f"it was protected at {base}, and lifting protection is a change of its own" in shown.stdout
    saved = json.loads(out.read_text())
    assert saved["actions"] == [] and saved["scope"]["protected_at_ref"]["lists"] == ["ACME VIP"]
    sandbox.requests.clear()
    refused = run_cli(["apply", "--allow-destroy", "--expect", str(out), "tatango/"], env=api_env)
    assert refused.exit_code == 1 and writes(sandbox) == []
    # Merged anyway (review overridden): the history still remembers the entry protected before it turned
    # into delete: true, so a later full apply refuses it too.
    repo.git("commit", "-qam", "lift protection and delete in one commit")
    merged = run_cli(["plan", "--format", "json", "tatango/"], env=api_env)
    assert json.loads(merged.stdout)["actions"] == [] and "protected by protect: true in commit" in merged.stdout
    # Lifting it in a change of its own (the entry kept, protect: false), then deleting, works.
    vip.write_text(original.replace("  - name: ACME VIP\n", "  - name: ACME VIP\n    protect: false\n"))
    repo.git("commit", "-qam", "lift protection")
    vip.write_text("version: 1\nlists:\n  - name: ACME VIP\n    delete: true\n")
    later = run_cli(["plan", "--changed-since", "HEAD", "--format", "json", "tatango/"], env=api_env)
    # HEAD no longer protects it: the delete is planned, destructive as ever.
    assert [a["action"] for a in json.loads(later.stdout)["actions"]] == ["delete"], later.output
