"""The loader: discovery, merging, interpolation, located errors, and hostile input."""

from pathlib import Path

import pytest

from tatango_iac.config.loader import load
from tatango_iac.secrets import Templated
from tests.conftest import run_cli

MINIMAL = "version: 1\nlists:\n  - name: {name}\n    keyword_names: [{kw}]\n"


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def texts(diagnostics):
    return [d.text() for d in diagnostics]


# ------------------------------------------------------------ discovery + merge


def test_directories_are_read_recursively_in_sorted_order_and_merged(tmp_path):
    write(tmp_path, "b/z.yaml", MINIMAL.format(name="Zed", kw="ZED"))
    write(tmp_path, "a.yml", MINIMAL.format(name="Alpha", kw="ALPHA"))
    write(tmp_path, "b/c/m.yaml", MINIMAL.format(name="Mid", kw="MID"))
    write(tmp_path, "notes.txt", "not yaml")
    account, diagnostics = load([str(tmp_path)], {})
    assert diagnostics == []
    assert [lst.name for lst in account.lists] == ["Alpha", "Mid", "Zed"]
    assert account.lists[1].source.file.endswith("b/c/m.yaml")


def test_a_directory_with_the_skip_marker_is_left_out_of_a_walk(tmp_path):
    write(tmp_path, "ok.yaml", MINIMAL.format(name="Ok", kw="OK1"))
    write(tmp_path, "broken/bad.yaml", "version: [")
    write(tmp_path, "broken/.tatango-skip", "")
    account, diagnostics = load([str(tmp_path)], {})
    assert account is not None and diagnostics == []
    _account, diagnostics = load([str(tmp_path / "broken")], {})
    assert diagnostics and diagnostics[0].rule == "yaml-syntax"


def test_account_in_two_files_is_an_error_naming_the_first(tmp_path):
    write(tmp_path, "a.yaml", "version: 1\naccount:\n  prune: true\n")
    write(tmp_path, "b.yaml", "version: 1\naccount:\n  prune: false\n")
    account, diagnostics = load([str(tmp_path)], {})
    assert account is None
    assert texts(diagnostics) == [
        f"{tmp_path}/b.yaml:2:1: error: 'account' is already set in {tmp_path}/a.yaml:3; "
        "set it in one file only [account-duplicate]"
    ]


def test_the_same_file_given_twice_is_read_once(tmp_path):
    path = write(tmp_path, "a.yaml", MINIMAL.format(name="A", kw="AA"))
    account, diagnostics = load([str(path), str(tmp_path)], {})
    assert diagnostics == [] and len(account.lists) == 1


def test_duplicate_list_names_across_files(tmp_path):
    write(tmp_path, "a.yaml", MINIMAL.format(name="Same", kw="AA"))
    write(tmp_path, "b.yaml", MINIMAL.format(name="Same", kw="BB"))
    _account, diagnostics = load([str(tmp_path)], {})
    assert texts(diagnostics) == [
        f"{tmp_path}/b.yaml:3:11: error: list name 'Same' is already used at "
        f"{tmp_path}/a.yaml:3:11 (entries may share a name only when each pins its live list with a "
        "distinct `id:`) [list-name-duplicate]"
    ]


def test_entries_may_share_a_name_when_each_pins_a_distinct_id(tmp_path):
    write(tmp_path, "a.yaml", "version: 1\nlists:\n  - {name: Same, id: 3}\n  - {name: Same, id: 4}\n")
    account, diagnostics = load([str(tmp_path)], {})
    assert diagnostics == [] and [lst.label for lst in account.lists] == ['"Same", id=3', '"Same", id=4']
    write(tmp_path, "a.yaml", "version: 1\nlists:\n  - {name: Same, id: 3}\n  - {name: Same, id: 3}\n")
    assert [d.rule for d in load([str(tmp_path)], {})[1]] == ["list-name-duplicate"]


# ---------------------------------------------------------------- interpolation


def test_interpolation_resolves_and_remembers_the_template(tmp_path):
    path = write(
        tmp_path,
        "a.yaml",
        "version: 1\nlists:\n  - name: A\n    webhooks:\n"
        '      - callback_url: "https://h.example/x?token=${TOK}&lit=$${NOT}"\n',
    )
    account, diagnostics = load([str(path)], {"TOK": "s3cr3t"})
    assert diagnostics == []
    url = account.lists[0].webhooks[0].callback_url
    assert url == "https://h.example/x?token=s3cr3t&lit=${NOT}"
    assert isinstance(url, Templated) and url.template == "https://h.example/x?token=${TOK}&lit=$${NOT}"
    assert "s3cr3t" not in repr(url)


def test_an_unset_variable_is_an_error_at_its_line(tmp_path):
    path = write(tmp_path, "a.yaml", "version: 1\nlists:\n  - name: A\n    message_help: 'Call ${HELP_LINE}'\n")
    account, diagnostics = load([str(path)], {})
    assert account is None
    assert texts(d for d in diagnostics if d.severity == "error") == [
        f"{path}:4:19: error: environment variable HELP_LINE is not set (used as ${{HELP_LINE}}) [env-unset]"
    ]


def test_a_malformed_reference_is_an_error(tmp_path):
    path = write(tmp_path, "a.yaml", "version: 1\nlists:\n  - name: A\n    message_help: 'x ${not valid}'\n")
    _account, diagnostics = load([str(path)], {})
    assert diagnostics[0].rule == "env-unset" and "not a valid variable reference" in diagnostics[0].message


def test_a_literal_dollar_brace_stays_a_plain_string(tmp_path):
    path = write(tmp_path, "a.yaml", "version: 1\nlists:\n  - name: A\n    message_help: 'Price $${5} off $5'\n")
    account, _ = load([str(path)], {})
    value = account.lists[0].fields["message_help"]
    assert value == "Price ${5} off $5" and not isinstance(value, Templated)


# ------------------------------------------------------------ located errors


def test_schema_errors_point_at_the_offending_node(tmp_path):
    path = write(
        tmp_path,
        "a.yaml",
        "version: 1\nlists:\n  - name: A\n    webhooks:\n"
        "      - callback_url: https://h.example/x\n        subscribe: 3\n",
    )
    _account, diagnostics = load([str(path)], {})
    assert texts(diagnostics) == [
        f"{path}:6:20: error: lists[0].webhooks[0].subscribe: expected boolean, got integer [schema]"
    ]


def test_unknown_keys_are_named_with_a_did_you_mean(tmp_path):
    path = write(tmp_path, "a.yaml", "version: 1\nlists:\n  - name: A\n    keywords: [AB]\n    zzz: 1\n")
    _account, diagnostics = load([str(path)], {})
    assert texts(diagnostics) == [
        f"{path}:4:5: error: unknown key 'keywords' in lists[0]; did you mean 'keyword_names'? [unknown-key]",
        f"{path}:5:5: error: unknown key 'zzz' in lists[0]; allowed: brand, bypass_opt_in_response, custom_fields, "
        "delete, email_digest, email_subscribe, email_unsubscribe, extends, first_optin_message, id, keyword_names, "
        "message_already_subscribed, message_help, message_reply, message_stop, message_yes, name, opt_in_requests, "
        "opt_in_type, protect, renamed_from, second_optin_message, vars, webhooks [unknown-key]",
    ]


def test_unquoted_yes_gets_a_hint(tmp_path):
    path = write(tmp_path, "a.yaml", "version: 1\nlists:\n  - name: A\n    keyword_names: [NO]\n")
    _account, diagnostics = load([str(path)], {})
    assert "quote it" in diagnostics[0].message and (diagnostics[0].line, diagnostics[0].col) == (4, 21)


def test_missing_required_keys_and_wrong_version(tmp_path):
    path = write(tmp_path, "a.yaml", "version: 2\nlists:\n  - message_help: hi\n")
    _account, diagnostics = load([str(path)], {})
    assert texts(diagnostics) == [
        f"{path}:1:10: error: version: must be 1 (is 2) [schema]",
        f"{path}:3:5: error: lists[0]: missing required key 'name' [schema]",
    ]


def test_name_length_is_reported_in_characters(tmp_path):
    long = write(tmp_path, "a.yaml", "version: 1\nlists:\n  - name: '" + "x" * 26 + "'\n")
    empty = write(tmp_path, "b.yaml", "version: 1\nlists:\n  - name: ''\n")
    assert [(d.severity, d.message) for d in load([str(long)], {})[1]] == [
        (
            "warning",
            "list name '" + "x" * 26 + "' is 26 characters: the API takes at most 25 for a new name (refused "
            "if the plan writes it new; kept if the account already has it)",
        )
    ]
    assert [(d.severity, d.message) for d in load([str(empty)], {})[1]] == [
        ("error", "lists[0].name: must be at least 1 characters (has 0)")
    ]


def test_all_problems_of_all_files_are_reported_sorted(tmp_path):
    write(tmp_path, "b.yaml", "version: 1\nlists:\n  - name: B\n    bogus: 1\n")
    write(tmp_path, "a.yaml", "version: 1\nlists:\n  - name: A\n    keyword_names: [STOP, X]\n")
    _account, diagnostics = load([str(tmp_path)], {})
    assert [(Path(d.file).name, d.line, d.rule) for d in diagnostics] == [
        ("a.yaml", 4, "keyword-reserved"),
        ("a.yaml", 4, "keyword-length"),
        ("b.yaml", 4, "unknown-key"),
    ]


# ---------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("empty.yaml", "", "file is empty: expected a mapping with 'version: 1' [empty-file]"),
        ("comments.yaml", "# nothing here\n", "file is empty"),
        (
            "latin1.yaml",
            b"version: 1\nlists:\n  - name: Caf\xe9\n",
            "3:14: error: file is not UTF-8 (byte 0xe9) [encoding]",
        ),
        ("tab.yaml", "version: 1\nlists:\n\t- name: A\n", "3:1: error: YAML syntax error"),
        (
            "tag.yaml",
            "version: 1\nlists: !!python/object/apply:os.system [echo]\n",
            "2:8: error: YAML tag !!python/object/apply:os.system is not allowed: only plain data is [yaml-tag]",
        ),
        ("custom-tag.yaml", "version: !Ref 1\n", "YAML tag !Ref is not allowed"),
        ("binary.yaml", "version: !!binary aGVsbG8=\n", "YAML tag !!binary is not allowed"),
        (
            "top-list.yaml",
            "- version: 1\n",
            "1:1: error: top level must be a mapping with 'version: 1', got a list [schema]",
        ),
        ("scalar.yaml", "hello\n", "top level must be a mapping with 'version: 1', got string"),
        (
            "list-as-mapping.yaml",
            "version: 1\nlists:\n  name: A\n",
            "3:3: error: lists: expected array, got a mapping [schema]",
        ),
        ("multi.yaml", "version: 1\n---\nversion: 1\n", "several YAML documents"),
        ("merge.yaml", "version: 1\nx: &a {k: 1}\ny:\n  <<: *a\n", "merge keys `<<`"),
        (
            "dup.yaml",
            "version: 1\nversion: 1\n",
            "2:1: error: duplicate key 'version' (first at line 1) [duplicate-key]",
        ),
        ("unclosed.yaml", "version: 1\nlists: [\n", "YAML syntax error"),
        ("control.yaml", "version: 1\x07\n", "YAML error"),
    ],
)
def test_hostile_files_get_one_clear_located_error(tmp_path, name, content, expected):
    path = write(tmp_path, name, content)
    result = run_cli(["validate", str(path)])
    assert result.exit_code == 1
    assert expected in result.stdout, result.output
    assert "Traceback" not in result.output


def test_billion_laughs_is_refused(tmp_path):
    lines = ["version: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    result = run_cli(["validate", str(path)])
    assert result.exit_code == 1
    assert "alias expansion bomb" in result.stdout and "[yaml-too-large]" in result.stdout


def test_a_50_mb_file_is_refused_without_being_parsed(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:
        handle.write(b"version: 1\n# ")
        handle.seek(50 * 1024 * 1024)
        handle.write(b"\n")
    result = run_cli(["validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:1:1: error: file is larger than 5 MiB; refused [file-too-large]" in result.stdout


def test_a_directory_without_yaml_and_a_missing_path(tmp_path):
    (tmp_path / "empty").mkdir()
    write(tmp_path, "empty/readme.txt", "no yaml here")
    result = run_cli(["validate", str(tmp_path / "empty"), str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert f"{tmp_path}/empty:1:1: error: directory contains no *.yaml or *.yml file [no-files]" in result.stdout
    assert f"{tmp_path}/nope.yaml:1:1: error: no such file or directory [no-files]" in result.stdout


def test_an_unreadable_file(tmp_path, monkeypatch):
    import os

    path = write(tmp_path, "locked.yaml", "version: 1\n")
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads everything: refuse the open the way the OS would
        real_open = os.open

        def refusing_open(name, flags, *args, **kwargs):
            if os.path.realpath(name) == str(path):
                raise PermissionError(13, "Permission denied", str(name))
            return real_open(name, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", refusing_open)
    try:
        result = run_cli(["validate", str(path)])
        assert result.exit_code == 1
        assert f"{path}:1:1: error: cannot read file: Permission denied [file]" in result.stdout
    finally:
        path.chmod(0o644)
