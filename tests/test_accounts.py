"""Issue 23, point 5: several accounts in one repository, each with its own credentials and
queue, sharing templates by path; a plan names the account it read."""

import json
import shutil
import subprocess
import sys

import pytest
import requests
import yaml

from tatango_iac import workflow
from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL, SandboxServer
from tests.conftest import EXAMPLES, run_cli

ACCOUNTS = EXAMPLES / "accounts"


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


@pytest.fixture
def two_sandboxes(clock):
    """Two accounts: two sandboxes on loopback, one per account."""
    with SandboxServer(clock=clock) as acme, SandboxServer(clock=clock) as staging:
        yield acme, staging


def env_for(acme, staging):
    return {
        "TATANGO_RATE_LIMIT": "0",
        "TATANGO_ACME_API_URL": acme.url,
        "TATANGO_ACME_EMAIL": SANDBOX_EMAIL,
        "TATANGO_ACME_API_KEY": SANDBOX_API_KEY,
        "TATANGO_ACME_STAGING_API_URL": staging.url,
        "TATANGO_ACME_STAGING_EMAIL": SANDBOX_EMAIL,
        "TATANGO_ACME_STAGING_API_KEY": SANDBOX_API_KEY,
    }


def paths(account):
    return [str(ACCOUNTS / account), str(ACCOUNTS / "shared")]


def names(server):
    return sorted(
        lst["name"] for lst in requests.get(server.control_url + "/state", timeout=5).json()["lists"].values()
    )


def test_each_account_plans_and_applies_with_its_own_credentials(two_sandboxes):
    acme, staging = two_sandboxes
    env = env_for(acme, staging)
    plan = run_cli(["plan", *paths("acme")], env=env)
    assert plan.exit_code == 0, plan.output
    assert plan.stdout.startswith(f"Account: acme (read at {acme.url.split('/')[2]})\n")
    assert run_cli(["apply", "--auto-approve", *paths("acme")], env=env).exit_code == 0
    assert run_cli(["apply", "--auto-approve", *paths("acme-staging")], env=env).exit_code == 0
    assert names(acme) == ["Austin store", "Boston store", "NYC flagship"]
    assert names(staging) == ["QA store"]
    for account, server in (("acme", acme), ("acme-staging", staging)):
        again = run_cli(["plan", "--format", "json", *paths(account)], env=env)
        data = json.loads(again.stdout)
        assert data["summary"]["changes"] is False
        assert data["account"] == {"name": account.replace("-", "_"), "api": server.url.split("/")[2]}
    markdown = run_cli(["plan", "--format", "markdown", *paths("acme-staging")], env=env).stdout
    assert f"Account: acme_staging (read at {staging.url.split('/')[2]})" in markdown


def test_a_named_account_never_falls_back_to_the_unnamed_credentials(sandbox):
    env = {
        "TATANGO_API_URL": sandbox.url,
        "TATANGO_EMAIL": SANDBOX_EMAIL,
        "TATANGO_API_KEY": SANDBOX_API_KEY,
        "TATANGO_RATE_LIMIT": "0",
        "TATANGO_ACME_EMAIL": SANDBOX_EMAIL,
    }
    result = run_cli(["plan", *paths("acme")], env=env)
    assert result.exit_code == 1
    assert (
        "set TATANGO_ACME_API_KEY in the environment for account 'acme' (account.name) (credentials are never flags)"
    ) in result.output
    assert "Traceback" not in result.output
    assert sandbox.api_requests() == []  # refused before the first call


def test_several_accounts_in_one_run_are_refused_with_both_places(tmp_path):
    result = run_cli(["validate", str(ACCOUNTS / "acme"), str(ACCOUNTS / "acme-staging")])
    assert result.exit_code == 1
    assert "[account-duplicate]" in result.stdout


def test_a_reviewed_plan_of_another_account_is_refused(two_sandboxes, tmp_path):
    acme, staging = two_sandboxes
    env = env_for(acme, staging)
    reviewed = tmp_path / "reviewed.json"
    assert run_cli(["plan", "--out", str(reviewed), *paths("acme")], env=env).exit_code == 0
    result = run_cli(["apply", "--expect", str(reviewed), *paths("acme-staging")], env=env)
    assert result.exit_code == 1
    assert "the reviewed plan is for account acme, this configuration is for account acme_staging" in result.output
    assert names(staging) == []


def test_the_sandbox_keeps_one_state_per_named_account(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for account in ("acme", "acme-staging"):
        shutil.copytree(ACCOUNTS / account, tmp_path / account)
    shutil.copytree(ACCOUNTS / "shared", tmp_path / "shared")
    assert run_cli(["apply", "--sandbox", "--auto-approve", "acme", "shared"]).exit_code == 0
    plan = run_cli(["plan", "--sandbox", "acme-staging", "shared"])
    # Its own sandbox account: acme's lists are not there (prune is on in staging: it would delete them).
    assert "Plan: 2 to create, 0 to update, 0 to replace, 0 to delete." in plan.stdout
    assert "Account: acme_staging" in plan.stdout
    assert (tmp_path / ".tatango-sandbox-acme.json").exists()
    assert not (tmp_path / ".tatango-sandbox.json").exists()


def test_the_shipped_matrix_plans_and_applies_each_account_in_its_own_queue():
    path = ACCOUNTS / "tatango-accounts.yml"
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    flow = yaml.safe_load(path.read_text())
    plan, apply = flow["jobs"]["plan"], flow["jobs"]["apply"]
    assert (plan["if"], apply["if"]) == ("github.event_name == 'pull_request'", "github.event_name != 'pull_request'")
    for job in (plan, apply):
        dirs = [entry["dir"] for entry in job["strategy"]["matrix"]["include"]]
        assert sorted(dirs) == sorted(p.name for p in ACCOUNTS.iterdir() if p.is_dir() and p.name != "shared")
        for entry in job["strategy"]["matrix"]["include"]:  # NAME is account.name upper-cased
            account = yaml.safe_load((ACCOUNTS / entry["dir"] / "account.yaml").read_text())["account"]
            assert entry["name"] == account["name"].upper()
        assert job["strategy"]["fail-fast"] is False
        assert "secrets[format('TATANGO_{0}_API_KEY', matrix.name)]" in job["steps"][1]["env"]["API_KEY"]
        assert job["steps"][0]["with"]["fetch-depth"] == 0
    # One queue for an account's plans, another for its applies: a plan never cancels a pending apply.
    assert plan["concurrency"] == {"group": "tatango-account-${{ matrix.dir }}", "cancel-in-progress": False}
    assert apply["concurrency"] == {"group": "tatango-apply-${{ matrix.dir }}", "cancel-in-progress": False}
    steps = {step.get("name"): step for step in plan["steps"] + apply["steps"]}
    for name in ("validate", "plan", "apply the reviewed plans of this account"):
        # One path per line: a space-separated pair would be read as ONE path holding a space.
        assert steps[name]["with"]["paths"] == "accounts/${{ matrix.dir }}/\naccounts/shared/\n"
    for name in ("plan", "apply the reviewed plans of this account"):
        assert steps[name]["with"]["account"] == "${{ matrix.dir }}"
    assert steps["plan"]["with"]["artifact"].endswith("-${{ matrix.dir }}")
    assert steps["apply the reviewed plans of this account"]["with"]["reviewed"] == "auto"
    assert flow["permissions"]["statuses"] == "write"  # the record of each applied merge, per account


def test_every_account_of_the_example_validates_with_the_shared_templates():
    for account in ("acme", "acme-staging"):
        result = run_cli(["validate", "--strict", *paths(account)])
        assert result.exit_code == 0, result.output


def test_a_saved_plan_is_applied_with_the_credentials_of_its_account(two_sandboxes, tmp_path):
    acme, staging = two_sandboxes
    env = env_for(acme, staging)
    saved = tmp_path / "plan.json"
    assert run_cli(["plan", "--out", str(saved), *paths("acme-staging")], env=env).exit_code == 0
    assert json.loads(saved.read_text())["account"]["name"] == "acme_staging"
    applied = run_cli(["apply", "--plan", str(saved)], env=env)
    assert applied.exit_code == 0, applied.output
    assert names(staging) == ["QA store"] and names(acme) == []


def test_a_text_plan_names_an_unnamed_account_too(examples_copy, tmp_path, monkeypatch):
    """A reviewer always sees which account a plan read, named or not (text and Markdown alike)."""
    from tests.conftest import EXAMPLE_ENV, run_cli

    monkeypatch.chdir(tmp_path)
    for fmt in ("text", "markdown"):
        result = run_cli(["plan", "--sandbox", "--format", fmt, str(examples_copy)], env=EXAMPLE_ENV)
        assert result.exit_code == 0
        assert "Account: unnamed, no account.name (read at 127.0.0.1:" in result.stdout, fmt
