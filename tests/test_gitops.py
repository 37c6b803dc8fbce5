"""Drift detection through the CLI, and the pre-commit hook (the workflows: test_action.py)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import EXAMPLES, ROOT, run_cli


def test_nightly_drift_is_grouped_and_exit_codes_keep_drift_apart_from_errors(api_env, examples_copy, client):
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    in_sync = run_cli(["plan", "--detailed-exitcode", "--drift", str(examples_copy)], env=api_env)
    assert in_sync.exit_code == 0 and "In sync." in in_sync.stdout
    lists = {lst["name"]: lst for lst in client.list_lists()}
    client.update_list(lists["ACME Deals"]["id"], {"message_reply": "edited by hand"})  # drift made in the web UI
    client.delete_list(lists["ACME Store Alerts"]["id"])
    client.create_list({"name": "Side project"}, ["SIDE"])
    drift = run_cli(["plan", "--detailed-exitcode", "--drift", str(examples_copy)], env=api_env)
    assert drift.exit_code == 2
    text = drift.stdout
    assert "Managed attributes whose live value differs (1):" in text
    assert (
        'list["ACME Deals"].message_reply\n      live:    "edited by hand"\n      desired: "ACME Deals: Thanks' in text
    )
    assert 'Managed lists missing from the account (1):\n  "ACME Store Alerts"' in text
    assert 'Lists in the account that no file manages (1):\n  "Side project"' in text
    data = json.loads(run_cli(["plan", "--format", "json", str(examples_copy)], env=api_env).stdout)["drift"]
    assert data["changed_attributes"] == [
        {
            "address": 'list["ACME Deals"]',
            "list": "ACME Deals",
            "action": "update",
            "attribute": "message_reply",
            "live": "edited by hand",
            "desired": "ACME Deals: Thanks for your reply. Reply STOP to end, HELP for help. Msg&data rates may apply.",
        }
    ]
    assert data["missing_lists"] == [{"list": "ACME Store Alerts"}]
    assert [u["name"] for u in data["unmanaged_lists"]] == ["Side project"]
    broken = run_cli(["plan", "--detailed-exitcode", "--drift", str(examples_copy / "missing")], env=api_env)
    assert broken.exit_code == 1


HOOK_A = (
    'version: 1\ntemplates:\n  store:\n    message_help: "${list.name}: help at care@acme.example. Text STOP to end."\n'
)
HOOK_B = (
    "version: 1\nlists:\n  - name: Deals\n    extends: store\n    keyword_names: [SAVE]\n"
    '    webhooks:\n      - callback_url: "https://hooks.acme.example/t?token=${HOOK_TOKEN}"\n'
)


def _hook():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["tatango-validate"]
    return hooks[0]


def _run_hook_as_pre_commit(hook, repo, staged, overrides=None):
    """What pre-commit does: pick the staged files `files:`/`exclude:` match; none: the hook is skipped;
    else run entry + args (+ the picked files when pass_filenames) in the repository's root."""
    hook = {**hook, **(overrides or {})}
    picked = [
        f for f in staged if re.search(hook["files"], f) and not (hook.get("exclude") and re.search(hook["exclude"], f))
    ]
    if not picked:
        return None
    command = shlex.split(hook["entry"]) + list(hook.get("args", []))
    if hook.get("pass_filenames", True):
        command += picked
    command[0] = str(Path(sys.executable).parent / command[0])  # the console script pre-commit installs
    env = {k: v for k, v in os.environ.items() if k != "HOOK_TOKEN"}  # no secrets on a developer machine
    return subprocess.run(command, check=False, cwd=repo, env=env, capture_output=True, text=True, timeout=120)


def test_pre_commit_hook_validates_the_whole_directory_and_nothing_else(tmp_path):
    hook = _hook()
    assert hook["pass_filenames"] is False and hook["args"] == ["tatango/"] and hook["files"] == "^tatango/"
    (tmp_path / "tatango").mkdir()
    (tmp_path / "tatango" / "templates.yaml").write_text(HOOK_A)  # the template lives in another file
    (tmp_path / "tatango" / "deals.yaml").write_text(HOOK_B)
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "chart.yaml").write_text("image: [unclosed\n")  # unrelated YAML, not configuration
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs: {}\n")
    assert _run_hook_as_pre_commit(hook, tmp_path, ["deploy/chart.yaml", ".github/workflows/ci.yml"]) is None
    ok = _run_hook_as_pre_commit(hook, tmp_path, ["tatango/deals.yaml", "deploy/chart.yaml"])
    assert ok.returncode == 0, ok.stdout + ok.stderr  # the template in templates.yaml was loaded too
    assert "environment variable HOOK_TOKEN is not set" in ok.stdout and "chart.yaml" not in ok.stdout + ok.stderr
    # A keyword claimed in another, unchanged file: only a whole-directory run can see it.
    (tmp_path / "tatango" / "stores.yaml").write_text(
        "version: 1\nlists:\n  - name: Stores\n    keyword_names: [save]\n"
    )
    dup = _run_hook_as_pre_commit(hook, tmp_path, ["tatango/deals.yaml"])
    assert dup.returncode == 1
    assert "keyword 'SAVE' is already used by list" in dup.stdout and "[keyword-duplicate]" in dup.stdout
    assert "tatango/stores.yaml:4:" in dup.stdout or "tatango/deals.yaml:5:" in dup.stdout
    assert "Traceback" not in dup.stdout + dup.stderr and "chart.yaml" not in dup.stdout + dup.stderr


def test_the_readme_snippet_for_another_directory_works_as_written(tmp_path):
    readme = (ROOT / "README.md").read_text()
    snippet = readme[readme.index("offers `tatango-validate`") : readme.index("### Catching drift made by hand")]
    block = yaml.safe_load(
        snippet[snippet.index("```yaml") + 7 : snippet.index("```", snippet.index("```yaml") + 7)].replace("\n  ", "\n")
    )
    override = block["repos"][0]["hooks"][0]
    assert override["id"] == "tatango-validate"
    directory = override["args"][0]
    (tmp_path / directory).mkdir(parents=True)
    (tmp_path / directory / "deals.yaml").write_text("version: 1\nlists:\n  - name: Deals\n    keyword_names: [SAVE]\n")
    (tmp_path / directory / "more.yaml").write_text("version: 1\nlists:\n  - name: More\n    keyword_names: [SAVE]\n")
    (tmp_path / "tatango").mkdir()  # the hook's default directory, with a broken file: not this repository's
    (tmp_path / "tatango" / "x.yaml").write_text("lists: [\n")
    staged = [directory + "more.yaml"]
    result = _run_hook_as_pre_commit(_hook(), tmp_path, staged, override)
    assert result.returncode == 1 and "[keyword-duplicate]" in result.stdout, result.stdout + result.stderr
    assert "tatango/x.yaml" not in result.stdout + result.stderr
    assert _run_hook_as_pre_commit(_hook(), tmp_path, ["tatango/x.yaml"], override) is None


def test_examples_carry_the_schema_modeline():
    for path in sorted(EXAMPLES.glob("**/*.yaml")):
        if "invalid" in path.parts:
            continue
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        schema = (path.parent / first.split("=", 1)[1]).resolve()
        assert schema == (ROOT / "schemas" / "tatango.schema.json").resolve(), path
