"""Issue 17, point 4: the action's inputs survive real values. paths and args take one item per
line, nothing from an input reaches the shell as code, the pull-request number is checked before
it reaches gh, and the tool is installed once per job. The action's real step runs (test_action's
Runner) against the sandbox, with the stand-in gh."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_action import ACTION, Runner

# The canary files a shell that evaluated an input would create.
HOSTILE = [
    "$(touch pwned-dollar)",
    "`touch pwned-backtick`",
    "'; touch pwned-quote; '",
    '"; touch pwned-dq; "',
    "x\ntouch pwned-newline",
]


@pytest.fixture
def runner(tmp_path, sandbox):
    import shutil

    run = Runner(tmp_path, sandbox.url)
    run.repo.mkdir()
    shutil.copytree(ROOT / "examples", run.repo / "tatango", ignore=shutil.ignore_patterns("invalid", "ci"))
    run.git("init", "-q", "-b", "main")
    run.git("add", "-A")
    run.git("commit", "-q", "-m", "the account as code")
    return run


def pwned(runner: Runner) -> list[str]:
    return sorted(p.name for p in runner.repo.rglob("pwned-*")) + sorted(p.name for p in Path.cwd().glob("pwned-*"))


def test_paths_one_per_line_keep_spaces_and_a_second_path_is_never_dropped(runner, client):
    (runner.repo / "tatango" / "account.yaml").write_text("version: 1\naccount:\n  prune: true\n")
    extra = runner.repo / "more config"
    extra.mkdir()
    (extra / "pizza.yaml").write_text("version: 1\nlists:\n  - name: Pizza Lovers\n    keyword_names: [SLICE]\n")
    paths = "tatango/\nmore config/\n"
    code, _out, _summary = runner.action({"command": "apply", "paths": paths}, {})
    assert code == 0, runner.last.stderr
    assert "Pizza Lovers" in {lst["name"] for lst in client.list_lists()}
    code, outputs, _summary = runner.action({"command": "plan", "paths": paths}, {})
    assert code == 0 and outputs["exitcode"] == "0", runner.last.stderr  # prune plans no delete of Pizza Lovers
    assert "delete" not in Path(outputs["plan-markdown"]).read_text().lower().split("plan:")[-1]


def test_args_one_per_line_pass_a_list_name_with_spaces(runner, client):
    assert runner.action({"command": "apply"}, {})[0] == 0
    deals = runner.repo / "tatango" / "lists" / "deals.yaml"
    deals.write_text(deals.read_text().replace("Weekly deals.", "Daily deals."))
    stores = runner.repo / "tatango" / "lists" / "stores.yaml"
    stores.write_text(stores.read_text().replace("Store alerts.", "Store news."))
    code, outputs, _summary = runner.action({"command": "plan", "args": "--target\nACME Deals\n"}, {})
    assert code == 0, runner.last.stderr
    saved = json.loads(Path(outputs["plan-json"]).read_text())
    assert saved["targets"] == ["ACME Deals"] and [a["list"] for a in saved["actions"]] == ["ACME Deals"]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("where", ["args", "paths", "changed-since"])
def test_no_input_is_evaluated_by_the_shell(runner, value, where):
    inputs = {"command": "plan", where: value}
    code, _outputs, _summary = runner.action(inputs, {})
    assert code == 1  # an unknown path, argument or ref: the tool's own error
    assert pwned(runner) == []
    assert "Traceback" not in runner.last.stderr


@pytest.mark.parametrize("number", ["7; touch pwned-pr", "$(touch pwned-pr)", "../../orgs/x", "07", "1\n2", "-1"])
def test_the_pull_request_number_is_checked_before_it_reaches_gh(runner, number):
    code, _outputs, _summary = runner.action({"command": "apply", "reviewed": "auto", "pull-request": number}, {})
    assert code == 1 and "pull-request must be a pull request number (digits)" in runner.last.stderr
    assert runner.gh().get("calls", []) == [] and pwned(runner) == []


def test_a_pull_request_number_from_github_is_checked_too(runner):
    head = runner.git("rev-parse", "HEAD")
    world = runner.gh()
    world["api"][f"repos/acme/sms-config/commits/{head}/pulls"] = [{"number": "1/../../x"}]
    runner.world.write_text(json.dumps(world))
    code, _outputs, _summary = runner.action({"command": "apply", "reviewed": "auto"}, {})
    assert code == 1 and "not '1/../../x'" in runner.last.stderr
    assert len(runner.gh()["calls"]) == 1  # only the question which pull request it was


def test_the_action_installs_the_tool_once_per_job(tmp_path):
    step = next(s for s in ACTION["runs"]["steps"] if s.get("name", "").startswith("Install"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "pip.log"
    (bin_dir / "python").write_text(f"#!/bin/sh\necho \"$@\" >> '{log}'\n")  # a stand-in for setup-python's
    (bin_dir / "python").chmod(0o755)
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "ACTION_PATH": str(ROOT),
        "MARKER": step["env"]["MARKER"].replace("${{ runner.temp }}", str(runner_temp)),
    }
    for _use in range(3):  # validate, plan, and a third use in one job
        done = subprocess.run(
            ["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
    assert log.read_text().count("pip install") == 1


def test_github_annotations_escape_their_properties(tmp_path):
    from tests.conftest import run_cli

    odd = tmp_path / "a, b: 100%\nx"
    odd.mkdir()
    (odd / "lists.yaml").write_text("version: 1\nlists:\n  - name: A\n    nope: 1\n")
    result = run_cli(["validate", "--format", "github", str(odd / "lists.yaml")])
    assert result.exit_code == 1
    [line] = [ln for ln in result.stdout.splitlines() if ln.startswith("::error")]
    escaped = str(odd).replace("%", "%25").replace("\n", "%0A").replace(":", "%3A").replace(",", "%2C")
    assert line.startswith(f"::error file={escaped}/lists.yaml,line=4,col=5,title=")
    properties = line.split("::")[1]
    assert properties.count(",") == 3 and ":" not in properties.split(" ", 1)[1]
