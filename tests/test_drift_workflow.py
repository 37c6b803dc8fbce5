"""Issue 20, item 3: the shipped drift workflow reports each drifted list as one GitHub issue (opened, then
updated), or as one pull request made with `tatango-iac pull` that adopts the web UI's change.

The workflow's steps run as in test_action.py (a scratch git repository, the sandbox over HTTP), with a
stand-in ``gh`` that keeps issues and pull requests in a JSON file, and a bare repository as ``origin``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.test_action import CI, Runner

FAKE_GH = '''#!{python}
"""A stand-in gh: issues and pull requests kept in $FAKE_GH_WORLD."""
import json, os, sys
path = os.environ["FAKE_GH_WORLD"]
world = json.load(open(path))
args = sys.argv[1:]
world.setdefault("calls", []).append(args)
def opt(name):
    return args[args.index(name) + 1] if name in args else None
def body():
    return open(opt("--body-file")).read()
issues, prs = world.setdefault("issues", []), world.setdefault("prs", [])
if args[:2] == ["issue", "list"]:
    print(json.dumps([{{"number": i["number"], "title": i["title"]}} for i in issues if i["state"] == "open"]))
elif args[:2] == ["issue", "create"]:
    issues.append({{"number": 100 + len(issues), "title": opt("--title"), "body": body(), "state": "open"}})
elif args[:2] == ["issue", "edit"]:
    next(i for i in issues if i["number"] == int(args[2]))["body"] = body()
elif args[:2] == ["pr", "list"]:
    found = [p["number"] for p in prs if p["head"] == opt("--head") and p["state"] == "open"]
    print(found[0] if found else "")
elif args[:2] == ["pr", "create"]:
    prs.append({{"number": 200 + len(prs), "title": opt("--title"), "head": opt("--head"), "base": opt("--base"),
                "body": body(), "state": "open"}})
elif args[:2] == ["pr", "edit"]:
    next(p for p in prs if p["number"] == int(args[2]))["body"] = body()
else:
    sys.exit(f"fake gh: unexpected {{args}}")
json.dump(world, open(path, "w"))
'''


@pytest.fixture
def nightly(tmp_path, sandbox):
    runner = Runner(tmp_path, sandbox.url)
    (tmp_path / "bin" / "gh").write_text(FAKE_GH.format(python=sys.executable))
    runner.repo.mkdir()
    shutil.copytree(ROOT / "examples", runner.repo / "tatango", ignore=shutil.ignore_patterns("invalid", "ci"))
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "origin.git")], check=True)
    runner.git("init", "-q", "-b", "main")
    runner.git("add", "-A")
    runner.git("commit", "-q", "-m", "the account as code")
    runner.git("remote", "add", "origin", str(tmp_path / "origin.git"))
    runner.git("push", "-q", "origin", "main")
    assert runner.action({"command": "apply"}, {})[0] == 0
    return runner


def drift_run(runner: Runner, mode: str):
    [(_name, code, outputs)] = runner.workflow(CI / "tatango-drift.yml", {"vars.TATANGO_ON_DRIFT || 'issue'": mode})
    return code, outputs


def lists(client) -> dict:
    return {lst["name"]: lst for lst in client.list_lists()}


def test_each_drifted_list_gets_one_issue_that_later_nights_update(nightly, client):
    assert drift_run(nightly, "issue")[0] == 0 and nightly.gh().get("issues", []) == []  # in sync: nothing
    account = lists(client)
    client.update_list(account["ACME Deals"]["id"], {"message_reply": "edited by hand"})
    client.set_keywords(account["ACME Store Alerts"]["id"], ["STORE", "PICKUP", "EXTRA"])
    code, outputs = drift_run(nightly, "issue")
    assert code == 0, nightly.last.stdout + nightly.last.stderr  # the issues are the alert
    assert outputs["exitcode"] == "2"
    issues = nightly.gh()["issues"]
    assert sorted(i["title"] for i in issues) == [
        'tatango drift: list "ACME Deals"',
        'tatango drift: list "ACME Store Alerts"',
    ]
    deals = next(i for i in issues if "Deals" in i["title"])
    assert "edited by hand" in deals["body"] and "EXTRA" not in deals["body"]  # only its own list's drift
    alerts = next(i for i in issues if "Alerts" in i["title"])
    assert "- keyword EXTRA" in alerts["body"] and "tatango-iac pull --list" in alerts["body"]
    client.update_list(account["ACME Deals"]["id"], {"message_reply": "edited again"})
    assert drift_run(nightly, "issue")[0] == 0
    issues = nightly.gh()["issues"]
    assert len(issues) == 2  # updated, not opened again
    assert "edited again" in next(i for i in issues if "Deals" in i["title"])["body"]


def test_a_drifted_list_gets_a_pull_request_made_with_pull(nightly, client):
    account = lists(client)
    client.update_list(account["ACME Deals"]["id"], {"message_reply": "edited by hand"})
    code, _outputs = drift_run(nightly, "pull-request")
    assert code == 0, nightly.last.stdout + nightly.last.stderr
    [pr] = nightly.gh()["prs"]
    assert pr["head"] == "tatango-drift/acme-deals" and pr["base"] == "main"
    assert pr["title"] == 'Adopt the web UI\'s changes to list "ACME Deals"'
    changed = nightly.git("--git-dir", str(nightly.tmp / "origin.git"), "diff", "main", "tatango-drift/acme-deals")
    assert '+    message_reply: "edited by hand"' in changed and changed.count("\n+    ") == 1
    assert nightly.git("rev-parse", "--abbrev-ref", "HEAD") == "HEAD"  # the checkout is back where it was
    assert nightly.git("status", "--porcelain", "--", "tatango") == ""
    # The branch with the adoption plans to "No changes": merging it makes git match the account.
    nightly.git("checkout", "-q", "tatango-drift/acme-deals")
    code, _outputs = drift_run(nightly, "fail")
    assert code == 0 and "In sync." in (nightly.tmp / "runner" / "tatango" / "drift.txt").read_text()
    nightly.git("checkout", "-q", "main")
    client.update_list(account["ACME Deals"]["id"], {"message_reply": "edited twice"})
    assert drift_run(nightly, "pull-request")[0] == 0
    assert len(nightly.gh()["prs"]) == 1  # the same pull request, its branch pushed again


def test_a_list_pull_cannot_adopt_gets_an_issue(nightly, client, sandbox):
    for hook in sandbox.state.data["webhooks"].values():
        hook["enabled"] = False  # no value to take back: a person must re-enable it in the web UI
    code, _outputs = drift_run(nightly, "pull-request")
    assert code == 0, nightly.last.stdout + nightly.last.stderr
    world = nightly.gh()
    assert world.get("prs", []) == []
    assert sorted(i["title"] for i in world["issues"]) == [
        'tatango drift: list "ACME Deals"',
        'tatango drift: list "ACME VIP"',
    ]
    assert "Disabled webhooks (1)" in world["issues"][0]["body"]


def test_on_drift_must_be_a_known_mode(nightly):
    code, _outputs = drift_run(nightly, "email")
    assert code == 1 and "on-drift must be fail, issue or pull-request, not 'email'" in nightly.last.stderr


def test_the_workflow_and_readme_show_both_reports():
    workflow = (CI / "tatango-drift.yml").read_text()
    assert "on-drift: ${{ vars.TATANGO_ON_DRIFT || 'issue' }}" in workflow
    assert "issues: write" in workflow and "pull-requests: write" in workflow
    readme = (ROOT / "README.md").read_text()
    assert "TATANGO_ON_DRIFT" in readme and "on-drift: pull-request" in readme
