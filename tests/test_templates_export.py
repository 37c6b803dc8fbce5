"""Issue 23, point 4 (export): `export --templates` writes what most lists share once, and the
result validates and plans to "No changes" (real CLI, sandbox over HTTP)."""

import pytest
import yaml

from tatango_iac import workflow
from tests.conftest import run_cli

SEED = (
    "version: 1\nlists:\n"
    + "".join(
        f"""  - name: Store {i}
    keyword_names: [STORE{i}]
    message_help: "Store {i}: help at care@store-help.example. Text STOP to end. 4 msgs/mo. Msg&data rates may apply."
    message_stop: "You are unsubscribed. No more msgs."
    custom_fields:
      - key: zip
        label: ZIP
        content_type: text
        max_length: 5
"""
        for i in range(4)
    )
    + """  - name: Odd one
    keyword_names: [ODD]
    message_help: "Odd: call 512-555-0100. Text STOP to end. 4 msgs/mo. Msg&data rates may apply."
    message_stop: "Bye, no more messages."
"""
)


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


@pytest.fixture
def seeded(tmp_path, api_env):
    (tmp_path / "seed.yaml").write_text(SEED)
    assert run_cli(["apply", "--auto-approve", str(tmp_path / "seed.yaml")], env=api_env).exit_code == 0
    return api_env


def lists_in(directory):
    out = {}
    for path in sorted(directory.glob("*.yaml")):
        for lst in yaml.safe_load(path.read_text()).get("lists") or []:
            out[lst["name"]] = lst
    return out


def test_shared_values_go_into_one_template_and_plan_to_no_changes(seeded, tmp_path):
    out = tmp_path / "exported"
    result = run_cli(["export", "--templates", "--output", str(out)], env=seeded)
    assert result.exit_code == 0, result.output
    template = yaml.safe_load((out / "templates.yaml").read_text())["templates"]["exported"]
    assert (
        template["message_help"]
        == "${list.name}: help at care@store-help.example. Text STOP to end. 4 msgs/mo. Msg&data rates may apply."
    )
    assert template["message_stop"] == "You are unsubscribed. No more msgs."
    assert template["custom_fields"] == [
        {"key": "zip", "label": "ZIP", "content_type": "text", "max_length": 5, "should_validate_regex_via_api": False}
    ]
    assert "keyword_names" not in template
    written = lists_in(out)
    store = written["Store 2"]
    assert store["extends"] == "exported" and list(store)[:2] == ["name", "extends"]
    assert not {"message_help", "message_stop", "custom_fields"} & set(store)
    odd = written["Odd one"]  # its own values win
    assert odd["message_help"] == "Odd: call 512-555-0100. Text STOP to end. 4 msgs/mo. Msg&data rates may apply."
    assert odd["custom_fields"] == [] and odd["extends"] == "exported"
    assert run_cli(["validate", "--strict", str(out)]).exit_code == 0
    plan = run_cli(["plan", str(out)], env=seeded)
    assert plan.exit_code == 0 and "No changes" in plan.stdout, plan.output


def test_without_the_flag_nothing_is_factored(seeded, tmp_path):
    out = tmp_path / "plain"
    assert run_cli(["export", "--output", str(out)], env=seeded).exit_code == 0
    assert not (out / "templates.yaml").exists()
    assert all("extends" not in lst for lst in lists_in(out).values())


def test_an_existing_templates_file_is_not_overwritten(seeded, tmp_path):
    out = tmp_path / "exported"
    out.mkdir()
    (out / "templates.yaml").write_text("version: 1\ntemplates:\n  mine: {}\n")
    result = run_cli(["export", "--templates", "--output", str(out)], env=seeded)
    assert result.exit_code == 1
    assert "templates.yaml exists; nothing was written" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["templates.yaml"]


def test_factor_keeps_a_text_that_only_reads_back_one_way():
    from tatango_iac.export_templates import factor

    docs = [
        {"name": "A", "message_reply": "A costs $${x}"},
        {"name": "B", "message_reply": "B costs $${x}"},
        {"name": "C", "message_reply": "same"},
        {"name": "D", "message_reply": "same"},
        {"name": "E", "message_reply": "same"},
    ]
    assert factor(docs) == {"message_reply": "same"}
    assert docs[0] == {"name": "A", "message_reply": "A costs $${x}"}  # takes nothing: extends nothing
    assert docs[2] == {"name": "C", "extends": "exported"}


# ------------------------------------------- issue 17 (a newcomer's trial): the report counts lists, not files


def test_the_report_counts_lists_not_the_templates_file(seeded, tmp_path):
    out = tmp_path / "exported"
    result = run_cli(["export", "--templates", "--output", str(out)], env=seeded)
    assert result.exit_code == 0, result.output
    assert (out / "templates.yaml").exists() and len(lists_in(out)) == 5
    assert "Exported 5 list(s)." in result.stdout and "Exported 6" not in result.stdout
    two = tmp_path / "two"
    picked = run_cli(
        ["export", "--templates", "--list", "Store 1", "--list", "Store 2", "--output", str(two)], env=seeded
    )
    assert picked.exit_code == 0, picked.output
    assert (two / "templates.yaml").exists() and sorted(lists_in(two)) == ["Store 1", "Store 2"]
    assert "Exported 2 list(s)." in picked.stdout and "Exported 3" not in picked.stdout


def test_an_export_that_exports_nothing_writes_nothing(api_env, tmp_path):
    out = tmp_path / "empty"  # an account with no lists
    result = run_cli(["export", "--templates", "--output", str(out)], env=api_env)
    assert result.exit_code == 0, result.output
    assert "Exported 0 list(s). Nothing was written." in result.stdout
    assert not out.exists()  # no directory, and no tatango.schema.json in it
    out.mkdir()
    again = run_cli(["export", "--output", str(out)], env=api_env)
    assert again.exit_code == 0 and list(out.iterdir()) == [], again.output


def test_an_export_that_skips_every_list_leaves_the_directory_as_it_was(seeded, tmp_path):
    out = tmp_path / "exported"
    assert run_cli(["export", "--output", str(out)], env=seeded).exit_code == 0
    (out / "tatango.schema.json").unlink()
    before = sorted(p.name for p in out.iterdir())
    again = run_cli(["export", "--output", str(out)], env=seeded)  # every list is already defined: all skipped
    assert again.exit_code == 0 and "Exported 0 list(s). Nothing was written." in again.stdout, again.output
    assert sorted(p.name for p in out.iterdir()) == before  # the schema file did not come back
