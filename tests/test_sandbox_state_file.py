"""A damaged or symlinked sandbox state file: a clear, located message, and no write lost."""

from __future__ import annotations

import json

import pytest

from tests.conftest import EXAMPLE_ENV, run_cli

CONFIG = "version: 1\nlists:\n  - name: Linked\n    keyword_names: [LINKED]\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"lists": {\n  broken', ":2:3: the sandbox state is damaged (not JSON: "),
        ("[1, 2]", "is damaged (a JSON list, not an object)"),
        ('{"lists": []}', "is damaged (lists of the wrong type)"),
        (b"\xff\xfe{}", "is damaged (not UTF-8)"),
    ],
)
def test_a_damaged_state_file_is_named_and_left_as_it_is(tmp_path, content, expected):
    state = tmp_path / "state.json"
    raw = content if isinstance(content, bytes) else content.encode()
    state.write_bytes(raw)
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    for argv in (["plan", "--sandbox", str(config)], ["apply", "--sandbox", "--auto-approve", str(config)]):
        result = run_cli(argv, env={**EXAMPLE_ENV, "TATANGO_SANDBOX_STATE": str(state)})
        assert result.exit_code == 1, result.stderr
        assert expected in result.stderr and str(state) in result.stderr
        assert "delete it to start over" in result.stderr and "Traceback" not in result.stderr
        assert state.read_bytes() == raw  # nothing written over it


def test_a_symlinked_state_file_is_written_where_it_points(tmp_path):
    target = tmp_path / "shared" / "account.json"
    target.parent.mkdir()
    link = tmp_path / "state.json"
    link.symlink_to(target)  # a dangling link: the state starts empty, at the target
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    env = {**EXAMPLE_ENV, "TATANGO_SANDBOX_STATE": str(link)}
    assert run_cli(["apply", "--sandbox", "--auto-approve", str(config)], env=env).exit_code == 0
    assert link.is_symlink() and target.is_file()  # the link is kept; the write went through it
    names = [lst["name"] for lst in json.loads(target.read_text())["lists"].values()]
    assert names == ["Linked"]
    again = run_cli(["plan", "--sandbox", "--detailed-exitcode", str(config)], env=env)
    assert again.exit_code == 0, again.stdout  # the next command reads what the first wrote


def test_a_link_and_its_target_share_one_lock(tmp_path):
    from tatango_iac.sandbox.storage import StateLocked, locked

    target = tmp_path / "account.json"
    link = tmp_path / "state.json"
    link.symlink_to(target)
    with locked(str(target)), pytest.raises(StateLocked), locked(str(link), timeout=0):
        pass  # pragma: no cover - the lock must be held
