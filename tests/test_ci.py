"""CI: pinned installs with lint, type and layering gates; a nightly run against the newest releases."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.test_layers import tomllib

CI = (ROOT / ".ci" / "run").read_text()
NEWEST = (ROOT / ".ci" / "run-newest").read_text()
PROJECT_WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _commands(script: str) -> list[list[str]]:
    """The script's command lines, split into words (``&&`` chains split too)."""
    out = []
    for line in script.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            for part in line.split("&&"):
                out.append(shlex.split(part))
    return out


def _pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)


def test_ci_runs_every_gate_after_the_tests_with_pinned_installs():
    commands = _commands(CI)
    installs = [c for c in commands if c[:2] == [".venv/bin/pip", "install"]]
    assert installs and all("-c" in c and c[c.index("-c") + 1] == "constraints.txt" for c in installs)
    gates = [c for c in commands if c[0] in (".venv/bin/ruff", ".venv/bin/mypy", ".venv/bin/lint-imports")]
    assert gates == [
        [".venv/bin/ruff", "check", "tatango_iac", "tests", "benchmarks"],
        [".venv/bin/mypy"],
        [".venv/bin/lint-imports"],
        [".venv/bin/ruff", "format", "--check", "tatango_iac", "tests", "benchmarks"],
    ]
    assert "set -euo pipefail" in CI.splitlines()  # a failing gate fails the run


def test_lint_type_and_format_are_configured():
    tool = _pyproject()["tool"]
    rules = tool["ruff"]["lint"]["select"]
    assert {"E", "F", "W", "I", "B", "UP", "SIM", "RUF"} <= set(rules)
    assert tool["ruff"]["line-length"] == 120 and "format" in tool["ruff"]
    assert tool["mypy"]["files"] == ["tatango_iac"] and tool["mypy"]["check_untyped_defs"] is True
    lint_extra = _pyproject()["project"]["optional-dependencies"]["lint"]
    pins = {line.split("==")[0].lower() for line in (ROOT / "constraints.txt").read_text().splitlines() if "==" in line}
    for requirement in lint_extra:  # every gate tool is pinned for CI
        name = requirement.split(">")[0].split("=")[0].split("<")[0].strip().lower()
        assert name in pins, name


def test_the_newest_releases_run_installs_everything_unpinned_and_upgraded():
    commands = _commands(NEWEST)
    installs = [c for c in commands if c[:2] == [".ci-venv/bin/pip", "install"]]
    assert installs, NEWEST
    assert all("-c" not in c and "constraints.txt" not in c for c in installs)  # no pins: the newest releases
    package = installs[-1]
    assert "--upgrade" in package and package[package.index("--upgrade-strategy") + 1] == "eager"
    assert package[-2:] == ["-e", ".[test,lint]"]
    assert [".ci-venv/bin/python", "-m", "pytest"] in commands
    assert [".ci-venv/bin/pip", "freeze", "--exclude-editable"] in commands  # the versions it tested, in the log
    assert "set -euo pipefail" in NEWEST.splitlines()


def test_a_nightly_workflow_runs_the_newest_releases():
    workflow = (ROOT / ".github" / "workflows" / "newest-dependencies.yml").read_text()
    assert "schedule:" in workflow and "workflow_dispatch:" in workflow
    assert "run: bash .ci/run-newest" in workflow
    assert "run: bash .ci/run" in (ROOT / ".github" / "workflows" / "ci.yml").read_text()


@pytest.mark.parametrize("workflow", PROJECT_WORKFLOWS, ids=lambda p: p.name)
def test_the_projects_workflows_pass_githubs_workflow_schema(workflow):
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_readme_documents_the_dependencies_and_the_newest_run():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Dependencies", 1)[1].split("\n## ", 1)[0]
    assert "bash .ci/run-newest" in section
    for name in ("filelock", "ruamel.yaml", "import-linter", "constraints.txt"):
        assert name in section, name
