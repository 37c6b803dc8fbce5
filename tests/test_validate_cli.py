"""`tatango-iac validate`: formats, --strict and exit codes (§3, §9)."""

import json
import subprocess
import sys

from tests.conftest import EXAMPLE_ENV, EXAMPLES, ROOT, run_cli


def write(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


HELP = "'A: 4 msgs/mo. Reply STOP to end. Msg&data rates may apply.'"  # lacks only a contact
WARN_ONLY = f"version: 1\nlists:\n  - name: A\n    message_help: {HELP}\n"
ERROR = f"version: 1\nlists:\n  - name: A\n    keyword_names: [X]\n    message_help: {HELP}\n"


def test_text_format_and_exit_codes(tmp_path):
    ok = run_cli(["validate", str(write(tmp_path, WARN_ONLY))])
    assert ok.exit_code == 0
    assert ok.stdout.strip().endswith("[help-contact]")
    assert "0 error(s), 1 warning(s)." in ok.stderr
    strict = run_cli(["validate", "--strict", str(tmp_path / "c.yaml")])
    assert strict.exit_code == 1


def test_errors_exit_1_and_are_sorted(tmp_path):
    result = run_cli(["validate", str(write(tmp_path, ERROR))])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert lines == sorted(lines) and len(lines) == 2
    assert ": error: keyword 'X' must be at least 2 characters [keyword-length]" in lines[0]


def test_json_format(tmp_path):
    result = run_cli(["validate", "--format", "json", str(write(tmp_path, ERROR))])
    report = json.loads(result.stdout)
    assert report["valid"] is False and report["error_count"] == 1 and report["warning_count"] == 1
    assert report["diagnostics"][0] == {
        "file": str(tmp_path / "c.yaml"),
        "line": 4,
        "col": 21,
        "severity": "error",
        "message": "keyword 'X' must be at least 2 characters",
        "rule": "keyword-length",
    }


def test_github_annotations(tmp_path):
    result = run_cli(["validate", "--format", "github", str(write(tmp_path, ERROR))])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        f"::error file={tmp_path}/c.yaml,line=4,col=21,title=keyword-length::keyword 'X' must be at least 2 characters"
    )
    assert result.stdout.splitlines()[1].startswith("::warning file=")


def test_usage_errors_exit_1_not_2(tmp_path):
    assert run_cli(["validate"]).exit_code == 1
    assert run_cli(["validate", "--format", "xml", str(tmp_path)]).exit_code == 1
    assert run_cli(["frobnicate"]).exit_code == 1
    assert run_cli(["plan", "--no-such-flag", "x"]).exit_code == 1


def test_console_script_and_module_entry_points():
    env = {"PATH": "/usr/bin:/bin", **EXAMPLE_ENV}
    module = subprocess.run(
        [sys.executable, "-m", "tatango_iac", "validate", str(EXAMPLES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert module.returncode == 0, module.stderr
    version = subprocess.run(
        [sys.executable, "-m", "tatango_iac", "--version"], capture_output=True, text=True, check=False
    )
    assert version.returncode == 0 and "tatango-iac" in version.stdout
