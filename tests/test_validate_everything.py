"""validate reports every problem of every file at once: a schema error hides nothing elsewhere."""

from __future__ import annotations

from tests.conftest import run_cli


def _validate(tmp_path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = run_cli(["validate", str(tmp_path)])
    assert result.exit_code == 1 and "Traceback" not in result.stderr + result.stdout
    lines = [line for line in (result.stdout + result.stderr).splitlines() if ": error: " in line]
    return [f"{line.split(str(tmp_path) + '/', 1)[1].split(': error: ')[0]} {line.rsplit('[', 1)[1]}" for line in lines]


def test_a_schema_error_does_not_hide_rule_errors_in_other_lists_of_the_file(tmp_path):
    found = _validate(
        tmp_path,
        {
            "a.yaml": "version: 1\nlists:\n  - name: A\n    bogus: 1\n"
            "  - name: B\n    keyword_names: [STOP]\n"
            "  - name: C\n    max: [1]\n    keyword_names: [x]\n"
        },
    )
    assert found == ["a.yaml:4:5 unknown-key]", "a.yaml:6:21 keyword-reserved]", "a.yaml:8:5 unknown-key]"]


def test_cross_file_rules_run_on_the_valid_parts(tmp_path):
    found = _validate(
        tmp_path,
        {
            "a.yaml": "version: 1\naccount:\n  prune: maybe\nlists:\n  - name: A\n    keyword_names: [SAVE]\n"
            "  - name: Bad\n    opt_in_type: triple\n",
            "b.yaml": "version: 1\nlists:\n  - name: B\n    keyword_names: [save]\n  - name: A\n",
        },
    )
    assert found == [
        "a.yaml:3:10 schema]",
        "a.yaml:8:18 schema]",
        "b.yaml:4:21 keyword-duplicate]",
        "b.yaml:5:11 list-name-duplicate]",
    ]


def test_an_error_outside_lists_and_account_still_leaves_the_file_out(tmp_path):
    # A file of another version cannot be read at all: its lists are not checked against the others.
    found = _validate(
        tmp_path,
        {
            "a.yaml": "version: 2\nlists:\n  - name: A\n    keyword_names: [SAVE]\n",
            "b.yaml": "version: 1\nlists:\n  - name: B\n    keyword_names: [SAVE, STOP]\n",
        },
    )
    assert found == ["a.yaml:1:10 schema]", "b.yaml:4:27 keyword-reserved]"]
