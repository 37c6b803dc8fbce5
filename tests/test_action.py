"""Issue 12, items 1-3: the GitHub Action and the shipped workflows, as shipped.

Both pass GitHub's schemas (check-jsonschema's built-in ones, offline), and their shell steps
run here against the sandbox: the action's step with its inputs resolved from ``with:``, the
workflows' steps in order, in a git repository with a base branch, with a fake ``gh`` that
plays GitHub's API (pull requests, artifacts, comments) from a JSON file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL
from tests.conftest import EXAMPLE_ENV, ROOT, set_faults

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
CI = ROOT / "examples" / "ci"
WORKFLOWS = sorted(CI.glob("*.yml"))
ACTION_REF = re.compile(r"^[\w.-]+/tatango-iac@v\d")
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
FAKE_GH = '''#!{python}
"""A fake gh: answers from $FAKE_GH_WORLD (a JSON file) and logs every call."""
import json, os, shutil, sys
world_path = os.environ["FAKE_GH_WORLD"]
world = json.load(open(world_path))
args = sys.argv[1:]
world.setdefault("calls", []).append(args)
json.dump(world, open(world_path, "w"))
if args[:3] == ["api", "--method", "POST"] and "/statuses/" in args[3]:  # a commit status, as GitHub keeps it
    fields = dict(a.split("=", 1) for a in args[4:] if "=" in a)
    sha = args[3].rsplit("/", 1)[1]
    where = world["api"].setdefault(args[3].split("/statuses/")[0] + f"/commits/{{sha}}/status", {{"statuses": []}})
    where["statuses"] = [fields] + [s for s in where["statuses"] if s["context"] != fields["context"]]
    world.setdefault("statuses", []).append([sha, fields["state"], fields["context"]])
    json.dump(world, open(world_path, "w"))
elif args[0] == "api" and "--jq" not in args:  # the JSON itself (ci pending-merges, approval.py parse it)
    path = next(a for a in args[1:] if not a.startswith("--"))
    default = {{"statuses": []}} if path.endswith("/status") else [] if path.endswith("/pulls") else None
    answer = world["api"].get(path, default)
    if answer is None:
        sys.exit(f"gh: not found: {{path}}")
    print(json.dumps(answer))
elif args[0] == "api":
    answer = world["api"][next(a for a in args[1:] if not a.startswith("--"))]
    jq = args[args.index("--jq") + 1] if "--jq" in args else None
    if jq is None:
        print(json.dumps(answer))
    elif jq == ".[0].number // empty":
        print(answer[0]["number"] if answer else "")
    elif jq == ".head.sha":
        print(answer["head"]["sha"])
    elif jq == ".[].name":
        print("\\n".join(label["name"] for label in answer))
    elif jq:
        run = answer["artifacts"][0]["workflow_run"] if answer["artifacts"] else {{"id": None, "head_sha": None}}
        print(f"{{run['id'] if run['id'] else 'null'}} {{run['head_sha'] or 'null'}}")
elif args[:2] == ["run", "download"]:
    name, target = args[args.index("--name") + 1], args[args.index("--dir") + 1]
    kept = os.path.join(world["artifacts"], f"{{name}}@{{args[2]}}")  # the artifact of that run, if kept apart
    shutil.copytree(kept if os.path.isdir(kept) else os.path.join(world["artifacts"], name), target)
elif args[:2] == ["pr", "comment"]:
    world.setdefault("comments", []).append(open(args[args.index("--body-file") + 1]).read())
    json.dump(world, open(world_path, "w"))
'''


def check_schema(schema: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_action_passes_githubs_action_schema():
    result = check_schema("vendor.github-actions", ROOT / "action.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_passes_githubs_workflow_schema(workflow):
    result = check_schema("vendor.github-workflows", workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_action_installs_the_tool_from_its_own_checkout():
    install = next(s for s in ACTION["runs"]["steps"] if s.get("name", "").startswith("Install"))
    assert (
        'python -m pip install --quiet --disable-pip-version-check -c "$ACTION_PATH/constraints.txt" "$ACTION_PATH"'
    ) in install["run"]  # pinned, as in CI
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert set(ACTION["outputs"]) >= {"exitcode", "plan-json", "plan-markdown", "plan-text"}
    assert set(ACTION["inputs"]) >= {"command", "paths", "format"}


def test_every_workflow_uses_the_action_and_one_concurrency_group_per_account():
    groups = set()
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        if path.name != "tatango-apply.yml":  # the apply's own group: tests/test_concurrency_model.py
            groups.add(workflow["concurrency"]["group"])
        assert workflow["concurrency"]["cancel-in-progress"] is False
        steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
        assert any(ACTION_REF.match(s.get("uses", "")) for s in steps), path
        assert not any("pip install" in s.get("run", "") for s in steps), path  # no package index
    assert groups == {"tatango-account-${{ vars.TATANGO_ACCOUNT || github.repository }}"}


# ------------------------------------------------------------------ running them


class Runner:
    """Runs the action's shell step, and workflows' steps, as GitHub would, in a scratch repository."""

    def __init__(self, tmp: Path, sandbox_url: str):
        self.tmp, self.repo = tmp, tmp / "repo"
        self.store = tmp / "artifacts"
        self.world = tmp / "gh.json"
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        (bin_dir / "gh").write_text(FAKE_GH.format(python=sys.executable))
        (bin_dir / "gh").chmod(0o755)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TATANGO_")},
            **EXAMPLE_ENV,
            "PATH": f"{bin_dir}:{Path(sys.executable).parent}:{os.environ['PATH']}",
            "TATANGO_API_URL": sandbox_url,
            "TATANGO_EMAIL": SANDBOX_EMAIL,
            "TATANGO_API_KEY": SANDBOX_API_KEY,
            "TATANGO_RATE_LIMIT": "0",
            "FAKE_GH_WORLD": str(self.world),
            "GITHUB_REPOSITORY": "acme/sms-config",
            "RUNNER_TEMP": str(tmp / "runner"),
        }
        self.world.write_text(json.dumps({"api": {}, "artifacts": str(self.store)}))

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.repo,
            capture_output=True,
            text=True,
            check=True,
            env={
                **self.env,
                "GIT_AUTHOR_NAME": "t",
                "GIT_AUTHOR_EMAIL": "t@example.invalid",
                "GIT_COMMITTER_NAME": "t",
                "GIT_COMMITTER_EMAIL": "t@example.invalid",
            },
        )
        return done.stdout.strip()

    def resolve(self, text: Any, context: dict[str, str]) -> Any:
        if not isinstance(text, str):
            return text

        def value(match: re.Match) -> str:
            expression = match.group(1)
            if expression not in context:
                raise AssertionError(f"the test does not know ${{{{ {expression} }}}}")
            return context[expression]

        return EXPRESSION.sub(value, text)

    def action(self, inputs: dict[str, str], context: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """The action's "Run tatango-iac" step with these inputs (defaults from action.yml)."""
        given = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        given.update({k: self.resolve(v, context) for k, v in inputs.items()})
        runner_temp = self.env["RUNNER_TEMP"]
        expressions = {
            **{f"inputs.{k}": v for k, v in given.items()},
            "github.action_path": str(ROOT),
            "runner.temp": runner_temp,
            "github.token": "fake-token",
        }
        step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "run")
        outputs, summary = self.tmp / "outputs", self.tmp / "summary.md"
        outputs.write_text("")
        env = {
            **self.env,
            **{k: self.resolve(v, expressions) for k, v in step["env"].items()},
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_SHA": self.git("rev-parse", "HEAD"),
        }
        done = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=self.repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        self.last = done
        found = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
        if given["command"] == "plan" and given["artifact"]:  # what actions/upload-artifact does
            shutil.copytree(found["dir"], self.store / given["artifact"], dirs_exist_ok=True)
        return done.returncode, found, summary.read_text() if summary.exists() else ""

    def workflow(self, path: Path, context: dict[str, str]) -> list[tuple[str, int, dict[str, str]]]:
        """Every step of the workflow's job that can run offline, in order."""
        job = next(iter(yaml.safe_load(path.read_text())["jobs"].values()))
        ran = []
        context.setdefault("github.token", "fake-token")
        for step in job["steps"]:
            uses = step.get("uses", "")
            if not self.condition(step.get("if"), context):
                continue
            if ACTION_REF.match(uses):
                code, outputs, _summary = self.action(step.get("with", {}), context)
                ran.append((step.get("name", step.get("id", uses)), code, outputs))
                if step.get("id"):
                    for key, value in outputs.items():
                        context[f"steps.{step['id']}.outputs.{key}"] = value
            elif "run" in step:
                env = {
                    **self.env,
                    "GITHUB_REF_NAME": "main",
                    **{k: self.resolve(v, context) for k, v in (step.get("env") or {}).items()},
                }
                done = subprocess.run(
                    ["bash", "-e", "-c", self.resolve(step["run"], context)],
                    cwd=self.repo,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=False,
                )
                ran.append((step.get("name", "run"), done.returncode, {}))
        return ran

    @staticmethod
    def condition(expression: Any, context: dict[str, str]) -> bool:
        """The ``if:`` forms the shipped workflows use on steps that run here."""
        if expression is None:
            return True
        match = re.fullmatch(r"(steps\.[\w-]+\.outputs\.[\w-]+) == '([^']*)'", str(expression).strip())
        if match:
            return context.get(match.group(1), "") == match.group(2)
        if str(expression).startswith("always()"):
            return True  # cache steps: not run here (actions other than ours are skipped)
        raise AssertionError(f"the test does not know if: {expression}")

    def gh(self) -> dict[str, Any]:
        return json.loads(self.world.read_text())

    def teach_gh(self, sha: str, pr: int, head: str, labels: tuple[str, ...] = ()) -> None:
        """The merged pull request, its labels (added after its one plan was made) and its plan artifact."""
        world = self.gh()
        world["api"].update(
            {
                f"repos/acme/sms-config/issues/{pr}/labels": [{"name": name} for name in labels],
                f"repos/acme/sms-config/issues/{pr}/events": [
                    {"event": "labeled", "label": {"name": name}, "created_at": "2026-01-01T00:10:00Z"}
                    for name in labels
                ],
                f"repos/acme/sms-config/actions/artifacts?name=tatango-plan-pr-{pr}&per_page=100": {
                    "artifacts": [
                        {"workflow_run": {"id": 4242, "head_sha": head}, "created_at": "2026-01-01T00:00:00Z"}
                    ]
                },
                f"repos/acme/sms-config/commits/{sha}/pulls": [{"number": pr}],
                f"repos/acme/sms-config/pulls/{pr}": {"head": {"sha": head}},
                f"repos/acme/sms-config/actions/artifacts?name=tatango-plan-pr-{pr}&per_page=1": {
                    "artifacts": [{"workflow_run": {"id": 4242, "head_sha": head}}]
                },
            }
        )
        self.world.write_text(json.dumps(world))


@pytest.fixture
def gitops(tmp_path, sandbox):
    runner = Runner(tmp_path, sandbox.url)
    runner.repo.mkdir()
    shutil.copytree(ROOT / "examples", runner.repo / "tatango", ignore=shutil.ignore_patterns("invalid", "ci"))
    runner.git("init", "-q", "-b", "main")
    runner.git("add", "-A")
    runner.git("commit", "-q", "-m", "the account as code")
    runner.git("update-ref", "refs/remotes/origin/main", "HEAD")
    return runner


def pr_context(runner: Runner, number: int = 7) -> dict[str, str]:
    return {
        "github.base_ref": "main",
        "github.event.pull_request.number": str(number),
        "steps.plan.outputs.plan-markdown": "",
    }


def test_a_pull_request_is_planned_reviewed_and_applied_exactly_as_reviewed(gitops, sandbox, client):
    code, _out, _summary = gitops.action({"command": "apply"}, {})  # main is live already
    assert code == 0, gitops.last.stderr
    gitops.git("checkout", "-q", "-b", "cheaper-deals")
    deals = gitops.repo / "tatango" / "lists" / "deals.yaml"
    deals.write_text(deals.read_text().replace("Weekly deals.", "Daily deals."))
    gitops.git("commit", "-q", "-am", "daily deals")
    sandbox.requests.clear()
    ran = gitops.workflow(CI / "tatango-pr.yml", pr_context(gitops))
    assert [(name, code) for name, code, _ in ran] == [("validate", 0), ("plan", 0)]
    outputs = ran[1][2]
    assert outputs["exitcode"] == "2"  # changes: what the pull request is for, not a failed step
    markdown = Path(outputs["plan-markdown"]).read_text()
    assert "Plan: 0 to create, 1 to update" in markdown and "Scope: changed_since (1 list(s))" in markdown
    # A PR plan of one changed list reads the index, that list's webhooks and custom fields: 3 calls.
    assert [r["path"].split("/api/v2")[1] for r in sandbox.api_requests()] == [
        "/lists",
        "/lists/1/webhooks",
        "/lists/1/custom_fields",
    ]
    head = gitops.git("rev-parse", "HEAD")
    gitops.git("checkout", "-q", "main")
    gitops.git("merge", "-q", "--ff-only", "cheaper-deals")
    gitops.teach_gh(head, 7, head)
    sandbox.requests.clear()
    ran = gitops.workflow(CI / "tatango-apply.yml", {"inputs.pull-request": ""})
    assert [(name, code) for name, code, _ in ran] == [("apply", 0)], gitops.last.stderr
    requests_ = sandbox.api_requests()
    first_write = next(i for i, r in enumerate(requests_) if r["method"] != "GET")
    # One read of the account before the writes (§12); after them, the read-back of §13 reads the index again.
    assert sum(r["path"].endswith("/lists") and r["method"] == "GET" for r in requests_[:first_write]) == 1
    assert sum(r["path"].endswith("/lists") and r["method"] == "GET" for r in requests_[first_write:]) == 1
    assert "Daily deals." in next(lst for lst in client.list_lists() if lst["name"] == "ACME Deals")["message_help"]
    assert gitops.gh().get("comments", []) == []


def test_an_apply_refuses_a_change_that_differs_from_the_review_and_comments_why(gitops, sandbox, client):
    assert gitops.action({"command": "apply"}, {})[0] == 0
    gitops.git("checkout", "-q", "-b", "pr")
    stores = gitops.repo / "tatango" / "lists" / "stores.yaml"
    stores.write_text(stores.read_text().replace("Store alerts.", "Store news."))
    gitops.git("commit", "-q", "-am", "store news")
    assert gitops.workflow(CI / "tatango-pr.yml", pr_context(gitops, 8))[1][1] == 0
    head = gitops.git("rev-parse", "HEAD")
    gitops.git("checkout", "-q", "main")
    gitops.git("merge", "-q", "--ff-only", "pr")
    gitops.teach_gh(head, 8, head)
    alerts = next(lst for lst in client.list_lists() if lst["name"] == "ACME Store Alerts")
    client.update_list(alerts["id"], {"message_help": "changed by hand after the review"})
    sandbox.requests.clear()
    ran = gitops.workflow(CI / "tatango-apply.yml", {"inputs.pull-request": ""})
    assert ran[0][1] == 1
    assert [r for r in sandbox.api_requests() if r["method"] != "GET"] == []  # nothing written
    [comment] = gitops.gh()["comments"]
    assert "tatango-iac apply did not complete" in comment
    assert "the plan made now differs from the reviewed plan" in comment


def test_a_partial_apply_starts_the_next_run_until_the_apply_is_done(gitops, sandbox, client, tmp_path):
    """Issue 22 point 2: the apply workflow chains runs of a large apply (exit 3: partial, run again)."""
    workflow = yaml.safe_load((CI / "tatango-apply.yml").read_text())
    step = next(s for s in workflow["jobs"]["apply"]["steps"] if s.get("id") == "apply")
    assert step["with"]["max-time"] == "5h30m"  # under the job's 6 hours
    step["with"].update({"reviewed": "", "args": "--max-calls\n18"})  # a small budget stands in for hours
    chained = tmp_path / "tatango-apply.yml"
    chained.write_text(yaml.safe_dump(workflow))
    runs = 0
    while runs < 10:
        runs += 1
        ran = gitops.workflow(chained, {"inputs.pull-request": "7"})
        (name, code, outputs) = ran[0]
        assert (name, code) == ("apply", 0), gitops.last.stderr  # a partial apply is not a failed step
        if outputs["partial"] != "true":
            break
        assert outputs["exitcode"] == "3" and [(n, c) for n, c, _ in ran[1:]] == [("run", 0)]
        assert gitops.gh()["calls"][-1] == [
            "workflow",
            "run",
            "tatango-apply.yml",
            "--repo",
            "acme/sms-config",
            "--ref",
            "main",
            "-f",
            "pull-request=7",
        ]
    assert runs >= 2 and outputs["exitcode"] == "0" and len(ran) == 1  # done: no further run started
    assert gitops.gh().get("comments", []) == []  # a partial run is not a failure to comment on
    names = sorted(lst["name"] for lst in client.list_lists())
    assert names == ["ACME Deals", "ACME Store Alerts", "ACME VIP"]  # every list once
    assert gitops.action({"command": "plan"}, {})[1]["exitcode"] == "0"  # no changes left


def test_a_failing_plan_still_posts_its_comment(gitops):
    gitops.git("checkout", "-q", "-b", "broken")
    stores = gitops.repo / "tatango" / "lists" / "stores.yaml"
    stores.write_text(stores.read_text().replace("[STORE, PICKUP]", "[STORE, TACOS]"))  # held by another account
    gitops.git("commit", "-q", "-am", "tacos")
    ran = gitops.workflow(CI / "tatango-pr.yml", pr_context(gitops))
    assert [(name, code) for name, code, _ in ran] == [("validate", 0), ("plan", 1)]
    markdown = Path(ran[1][2]["plan-markdown"]).read_text()
    assert markdown.startswith("### tatango-iac plan failed") and "TACOS" in markdown
    comment = yaml.safe_load((CI / "tatango-pr.yml").read_text())["jobs"]["plan"]["steps"][-1]
    assert comment["if"] == "always() && steps.plan.outputs.plan-markdown != ''"


def test_the_nightly_drift_job_fails_on_drift_and_keeps_the_report(gitops, client):
    only_fail = {"vars.TATANGO_ON_DRIFT || 'issue'": "fail"}  # the repository variable chooses: the job fails
    assert gitops.action({"command": "apply"}, {})[0] == 0
    assert gitops.workflow(CI / "tatango-drift.yml", dict(only_fail))[0][1] == 0
    deals = next(lst for lst in client.list_lists() if lst["name"] == "ACME Deals")
    client.update_list(deals["id"], {"message_reply": "edited by hand"})
    [(_name, code, outputs)] = gitops.workflow(CI / "tatango-drift.yml", dict(only_fail))
    assert code == 2 and "::warning::Drift" in gitops.last.stdout  # a workflow command GitHub turns into an alert
    report = Path(outputs["dir"])
    assert "edited by hand" in (report / "drift.txt").read_text()
    assert json.loads((report / "drift.json").read_text())["drift"]["changed_attributes"]


def test_no_reviewed_plan_means_no_apply(gitops):
    head = gitops.git("rev-parse", "HEAD")
    world = gitops.gh()
    world["api"][f"repos/acme/sms-config/commits/{head}/pulls"] = []
    gitops.world.write_text(json.dumps(world))
    code, _outputs, _summary = gitops.action({"command": "apply", "reviewed": "auto"}, {})
    assert code == 1 and f"no pull request was merged as {head}" in gitops.last.stderr


def test_the_readme_says_how_to_install_the_tool_elsewhere():
    readme = (ROOT / "README.md").read_text()
    assert "pip install git+" in readme and "python -m build" in readme


def test_the_apply_job_writes_its_result_to_the_job_summary(gitops, sandbox):
    """Issue 17 point 7: each action's result and the summary reach $GITHUB_STEP_SUMMARY, secrets masked."""
    set_faults(sandbox, script=[{"method": "POST", "path": r"/lists/\d+/custom_fields$", "fault": "html403"}])
    code, outputs, summary = gitops.action({"command": "apply"}, {})
    assert code == 1
    assert summary.startswith("### tatango-iac apply: failed")
    assert "| 1 | create | list[&quot;ACME Deals&quot;] | applied |" in summary
    assert "| not applied |" in summary and "Apply failed: 1 of 10 action(s) applied." in summary
    result = json.loads(Path(outputs["result-json"]).read_text())
    assert result["summary"]["applied"] == 1 and result["summary"]["not_applied"] == 9
    set_faults(sandbox)
    (gitops.tmp / "summary.md").unlink()  # each step of a job has its own summary file
    code, outputs, summary = gitops.action({"command": "apply"}, {})
    assert code == 0, gitops.last.stderr
    assert summary.startswith("### tatango-iac apply: complete") and "| verified |" in summary
    assert "Apply complete: 9 of 9 action(s) applied" in gitops.last.stderr  # the job log keeps the text
    for text in (summary, Path(outputs["result-json"]).read_text()):
        assert EXAMPLE_ENV["ACME_WEBHOOK_TOKEN"] not in text and SANDBOX_API_KEY not in text
