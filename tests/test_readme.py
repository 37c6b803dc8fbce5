"""The README's commands are the ones CI and newcomers actually run."""

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def _quickstart_commands() -> list[str]:
    section = README.split("## Quickstart", 1)[1].split("###", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_the_quickstart_has_the_two_commands():
    main_job, tests = _quickstart_commands()
    assert "tatango-iac plan --sandbox examples/" in main_job and main_job.startswith("python3 -m venv .venv")
    assert tests.endswith("python -m pytest") and tests.startswith("python3 -m venv .venv")


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert _quickstart_commands()[1] in ci.splitlines()


def test_the_benchmark_table_is_recorded():
    table = README.split("<!-- BEGIN BENCHMARK -->", 1)[1].split("<!-- END BENCHMARK -->", 1)[0]
    assert "| 1000 | plan |" in table and "| 1000 | apply |" in table


def test_every_install_is_pinned_by_the_constraints_file():
    """CI, the README's two commands and the action install exact versions, so a release
    made yesterday cannot turn them red; pyproject.toml keeps open ranges."""
    pins = {
        line.split("==")[0].lower()
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    for name in (
        "pyyaml",
        "jsonschema",
        "requests",
        "deepdiff",
        "click",
        "regex",
        "pytest",
        "vcrpy",
        "ruamel.yaml",
        "filelock",
    ):
        assert name in pins, name
    assert all("-c constraints.txt" in command for command in _quickstart_commands())
    assert "constraints.txt" in (ROOT / "action.yml").read_text()
