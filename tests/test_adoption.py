"""Issue 10, items 1-4: adopt any existing account. Export writes valid configuration for whatever
the account holds, safe to commit; duplicate names are pinned; one list can be deleted alone."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from tatango_iac import workflow
from tatango_iac.sandbox.state import default_state
from tests.conftest import api_examples, run_cli
from tests.gitrepo import committed

EX = api_examples()
LEGACY_NAME = "Spring Sale 2019 - Web UI List"  # 30 characters: longer than a new name may be


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


def sandbox_list(record: dict, list_id: int, **changes) -> dict:
    out = {**copy.deepcopy(record), "id": list_id, **changes}
    out.setdefault("opt_in_requests", [])
    out["_bypass_opt_in_response"] = False
    return out


def reference_account() -> dict:
    """Every example of the reference (lists, opt-in settings, webhooks, custom fields), plus the legacy
    values a web UI account holds that the rules refuse for new objects."""
    state = default_state()
    lists = [sandbox_list(r, r["id"]) for r in EX["lists_index"]["lists"]]  # two named "Pizza Campaign"
    lists.append(sandbox_list(EX["list_show"]["list"], 2))
    lists.append(sandbox_list(EX["list_create"]["list"], 11))
    lists.append(sandbox_list(EX["list_update"]["list"], 12, name="Updated list"))
    double = copy.deepcopy(EX["opt_in_double"]["opt_in_requests"])
    lists.append(
        sandbox_list(EX["list_show"]["list"], 10, name="Double opt-in", opt_in_type="double", opt_in_requests=double)
    )
    one = copy.deepcopy(EX["opt_in_double_one_request"]["opt_in_requests"])  # success_action: null
    lists.append(
        sandbox_list(EX["list_show"]["list"], 13, name="One request", opt_in_type="double", opt_in_requests=one)
    )
    lists.append(
        sandbox_list(
            EX["list_show"]["list"],
            14,
            name=LEGACY_NAME,
            keyword_names=["GO-NOW", "ABCDEFGHIJKLMNOP"],
            email_subscribe="alerts@acme.example",
            email_unsubscribe=None,
            opt_in_type="double",
            opt_in_requests=[
                {**one[0], "follow_up_hour": 1000, "success_action": "optinsubscriber", "id": 99, "list_id": 14}
            ],
        )
    )
    state["lists"] = {str(r["id"]): r for r in lists}
    hooks = [
        EX["webhook_create"]["webhook"],
        EX["webhook_update"]["webhook"],
        EX["webhook_show"]["webhook"],
        EX["webhooks_index"]["webhooks"][0],
    ]
    for hook, list_id in zip(hooks, (11, 12, 2, 7), strict=True):
        state["webhooks"][str(hook["id"])] = {**copy.deepcopy(hook), "list_id": list_id}
    field = {**copy.deepcopy(EX["custom_field_create"]["custom_field"]), "list_id": 11}
    state["custom_fields"]["11"] = {field["key"]: field}
    index_field = {
        **copy.deepcopy(EX["custom_fields_index"]["custom_fields"][0]),
        "list_id": 14,
        "can_insert": True,
        "can_segment": True,
        "mask": None,
    }
    state["custom_fields"]["14"] = {
        index_field["key"]: index_field,
        "legacy_zip": {
            **index_field,
            "key": "legacy_zip",
            "label": "Zip",
            "pattern": "\\A\\d{5}\\z",
            "default_value": "98101",
            "max_length": None,
        },
    }
    state["next_ids"].update(list=100, webhook=100, opt_in_request=100)
    return state


def export(api_env, out: Path, *extra: str):
    return run_cli(["export", "--output", str(out), *extra], env=api_env)


def test_an_account_built_from_every_reference_example_exports_validates_and_plans_to_no_changes(
    api_env, sandbox, tmp_path
):
    sandbox.state.replace(reference_account())
    out = tmp_path / "adopted"
    result = export(api_env, out)
    assert result.exit_code == 0, result.output
    secret_env = {
        name.strip(): "foo_bar_baz"
        for name in result.stderr.split("Warning:")
        if name.strip().startswith("TATANGO_SECRET_")
    }
    assert secret_env == {"TATANGO_SECRET_MY_AWESOME_LIST_API_KEY": "foo_bar_baz"}
    env = {**api_env, **secret_env}
    validated = run_cli(["validate", "--format", "json", str(out)], env=env)
    report = json.loads(validated.stdout)
    assert validated.exit_code == 0 and report["error_count"] == 0, validated.stdout
    legacy = {d["rule"] for d in report["diagnostics"]}
    assert {
        "keyword-length",
        "keyword-shape",
        "list-name-length",
        "opt-in-follow-up",
        "opt-in-success-action",
        "custom-field-max-length",
    } <= legacy  # kept, with a warning
    planned = run_cli(["plan", "--detailed-exitcode", str(out)], env=env)
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.stdout
    one = yaml.safe_load(next(out.glob("one-request.yaml")).read_text())["lists"][0]
    assert one["opt_in_requests"][0]["success_action"] is None
    assert len(LEGACY_NAME) == 30
    legacy_doc = yaml.safe_load((out / "spring-sale-2019-web-ui-list.yaml").read_text())["lists"][0]
    assert legacy_doc["email_subscribe"] == "alerts@acme.example"
    assert {f["key"]: f.get("max_length", "absent") for f in legacy_doc["custom_fields"]}["legacy_zip"] is None


def test_legacy_values_are_errors_only_where_the_plan_writes_them_new(api_env, sandbox, tmp_path):
    sandbox.state.replace(reference_account())
    out = tmp_path / "adopted"
    assert export(api_env, out).exit_code == 0
    env = {**api_env, "TATANGO_SECRET_MY_AWESOME_LIST_API_KEY": "foo_bar_baz"}
    path = out / "spring-sale-2019-web-ui-list.yaml"
    original = path.read_text()
    for old, new, message in [
        ("  - GO-NOW\n", "  - GO-NOW\n  - NEW-ONE\n", "keyword 'NEW-ONE' has characters other than letters and digits"),
        ("follow_up_hour: 1000", "follow_up_hour: 900", "follow_up_hour 900 is outside 1-720"),
        (
            "name: Spring Sale 2019 - Web UI List",
            "name: Spring Sale 2019 - Web UI List!\n  renamed_from: Spring Sale 2019 - Web UI List",
            "list name 'Spring Sale 2019 - Web UI List!' is 31 characters",
        ),
    ]:
        path.write_text(original.replace(old, new))
        result = run_cli(["plan", str(out)], env=env)
        assert result.exit_code == 1 and message in result.stderr, (old, result.output)
        assert "refused because the plan writes it new" in result.stderr
    path.write_text(original)
    (out / "new.yaml").write_text(
        "version: 1\nlists:\n  - name: Brand new\n    custom_fields:\n"
        "      - {key: k, label: K, content_type: text, max_length: null}\n"
    )
    result = run_cli(["plan", str(out)], env=env)
    assert result.exit_code == 1 and "the API refuses to create a field without it" in result.stderr


def test_export_never_overwrites_a_hand_written_file_and_never_writes_a_list_twice(api_env, client, tmp_path):
    client.create_list({"name": "VIP Club"}, ["VIP"])
    out = tmp_path / "out"
    out.mkdir()
    (out / "vip-club.yaml").write_text("version: 1\nlists:\n  - name: Something else\n")
    for extra in ([], ["--force"]):  # a file that defines another list is never overwritten, forced or not
        result = export(api_env, out, *extra)
        assert result.exit_code == 0, result.output
        assert (out / "vip-club.yaml").read_text().endswith("Something else\n")
    assert "name: VIP Club" in (out / "vip-club-1.yaml").read_text()
    again = export(api_env, out)
    assert again.exit_code == 0 and "Exported 0 list(s)." in again.stdout
    assert f"list 'VIP Club' (id 1) is already defined at {out}/vip-club-1.yaml:4; not written" in again.stderr


def test_the_schema_modeline_points_to_a_schema_file_where_the_files_are_written(api_env, client, tmp_path):
    client.create_list({"name": "A"})
    out = tmp_path / "nested" / "out"
    assert export(api_env, out).exit_code == 0
    first = (out / "a.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=tatango.schema.json"
    assert json.loads((out / "tatango.schema.json").read_text())["title"]
    elsewhere = tmp_path / "config"
    assert run_cli(["schema", "--output", str(elsewhere)]).exit_code == 0
    assert (elsewhere / "tatango.schema.json").read_text() == (out / "tatango.schema.json").read_text()


def test_a_list_that_would_not_validate_is_not_written(api_env, sandbox, tmp_path):
    state = default_state()
    state["lists"]["1"] = sandbox_list(
        EX["list_show"]["list"],
        1,
        name="Bad",
        opt_in_type="double",
        opt_in_requests=[{"collected_data": "shoe_size", "request_message": "size?"}],
    )
    sandbox.state.replace(state)
    result = export(api_env, tmp_path / "out")
    assert result.exit_code == 1 and "would not be valid configuration; nothing was written" in result.stderr
    assert '"shoe_size" is not one of' in result.stderr and not (tmp_path / "out").exists()


# ------------------------------------------------------------ duplicate names


def test_lists_sharing_a_name_are_exported_with_id_pins_and_can_be_renamed_or_deleted(
    api_env, sandbox, client, tmp_path
):
    sandbox.state.replace(reference_account())
    out = tmp_path / "adopted"
    assert export(api_env, out).exit_code == 0
    committed(out)
    env = {**api_env, "TATANGO_SECRET_MY_AWESOME_LIST_API_KEY": "foo_bar_baz"}
    pinned = sorted(out.glob("pizza-campaign-*.yaml"))
    assert [p.name for p in pinned] == ["pizza-campaign-8.yaml", "pizza-campaign-9.yaml"]
    assert "- name: Pizza Campaign\n  id: 9\n" in pinned[1].read_text()
    assert run_cli(["plan", "--detailed-exitcode", str(out)], env=env).exit_code == 0
    # Rename one through the tool: its pin keeps it the same list.
    pinned[1].write_text(pinned[1].read_text().replace("name: Pizza Campaign\n", "name: Pizza Campaign (old)\n"))
    renamed = run_cli(["apply", "--auto-approve", str(out)], env=env)
    assert renamed.exit_code == 0, renamed.output
    assert "~ list[\"Pizza Campaign (old)\"] (update; renamed from 'Pizza Campaign')" in renamed.stdout
    assert sorted(lst["name"] for lst in client.list_lists() if "Pizza" in lst["name"]) == [
        "Pizza Campaign",
        "Pizza Campaign (old)",
    ]
    # Without a pin, a name that matches two live lists is an error that says how to pin.
    client.create_list({"name": "Pizza Campaign"})
    plain = run_cli(["plan", str(out)], env=env)
    assert plain.exit_code == 0  # the pinned entry ignores the new namesake, which is just unmanaged
    assert "Unmanaged lists" in plain.stdout and '"Pizza Campaign" (id 100' in plain.stdout
    # Delete the renamed duplicate through the tool: its pinned entry says delete: true.
    pinned[1].write_text(pinned[1].read_text().split("  message_yes")[0] + "  delete: true\n")
    deleted = run_cli(["apply", "--auto-approve", "--allow-destroy", str(out)], env=env)
    assert deleted.exit_code == 0, deleted.output
    assert '- list["Pizza Campaign (old)", id=9] (delete; DESTRUCTIVE' in deleted.stdout
    assert [lst["id"] for lst in client.list_lists() if lst["name"].startswith("Pizza")] == [8, 100]
    unpinned = tmp_path / "unpinned.yaml"
    unpinned.write_text("version: 1\nlists:\n  - name: Pizza Campaign\n")
    ambiguous = run_cli(["plan", str(unpinned)], env=env)
    assert ambiguous.exit_code == 1 and "pin the one this entry manages with `id: N`" in ambiguous.stderr


def test_one_list_can_be_deleted_without_prune(api_env, client, tmp_path):
    keep = client.create_list({"name": "Keep"}, ["KEEPKW"])
    client.create_list({"name": "Retire me"}, ["RETIRE"])
    config = tmp_path / "c.yaml"
    committed(config).write_text("version: 1\nlists:\n  - name: Keep\n  - name: Retire me\n    delete: true\n")
    planned = run_cli(["plan", str(config)], env=api_env)
    assert (
        '- list["Retire me"] (delete; DESTRUCTIVE; 0 subscribers; delete: true in the configuration)' in planned.stdout
    )
    refused = run_cli(["apply", "--auto-approve", str(config)], env=api_env)
    assert refused.exit_code == 1 and "--allow-destroy" in refused.stderr
    assert run_cli(["apply", "--auto-approve", "--allow-destroy", str(config)], env=api_env).exit_code == 0
    assert [lst["name"] for lst in client.list_lists()] == ["Keep"] and keep["id"] == 1
    gone = run_cli(["plan", "--detailed-exitcode", str(config)], env=api_env)
    assert gone.exit_code == 0 and "No changes." in gone.stdout  # nothing once it is gone, never a re-create


def test_a_list_to_delete_carries_nothing_else(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("version: 1\nlists:\n  - name: Old\n    delete: true\n    keyword_names: [OLD]\n")
    result = run_cli(["validate", str(config)])
    assert result.exit_code == 1 and "has delete: true, so 'keyword_names' has no effect" in result.stdout


def test_a_deleted_lists_keyword_can_be_claimed_in_the_same_apply(api_env, client, tmp_path):
    client.create_list({"name": "Old"}, ["JOIN"])
    config = tmp_path / "c.yaml"
    committed(config).write_text(
        "version: 1\nlists:\n  - name: New\n    keyword_names: [JOIN]\n  - name: Old\n    delete: true\n"
    )
    result = run_cli(["apply", "--auto-approve", "--allow-destroy", str(config)], env=api_env)
    assert result.exit_code == 0, result.output
    assert [lst["name"] for lst in client.list_lists()] == ["New"]
