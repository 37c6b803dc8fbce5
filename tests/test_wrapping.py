"""Long values are wrapped into quoted pieces that join back exactly, in time linear in the value."""

from __future__ import annotations

import json
import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.plan_calls import measure_render, render_table
from tatango_iac.engine.render.lines import pieces
from tests.conftest import run_cli

ALPHABET = st.sampled_from([" ", "  ", "a", "b", "é", '"', "\\", "\n", "\t", "\x1b", "\u202e", "x" * 30])


def joined(parts: list[str]) -> str:
    # A piece is JSON as shown (a bidi override escaped as \u202e, which JSON reads back too).
    return "".join(json.loads(p) for p in parts)


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=200).map("".join), st.sampled_from([10, 40, 96]))
def test_pieces_join_back_exactly_and_fit(text, width):
    parts = pieces(text, width)
    assert joined(parts) == text
    assert all(len(p) <= max(width, 8) for p in parts)  # as shown: quotes and escapes included


def test_leading_and_repeated_spaces_are_kept():
    assert pieces(" a") == ['" a"']
    assert pieces("  lead  ") == ['"  lead  "']
    assert joined(pieces("a" * 94 + " b")) == "a" * 94 + " b"


def test_a_space_is_preferred_to_a_cut():
    assert pieces("word " * 30, 40)[0] == json.dumps("word " * 7)  # 35 columns: the next word would not fit


def test_a_four_megabyte_word_is_cut_in_linear_time():
    # Before: a 400 KB word took 6 s (each cut re-measured the rest) and 4 MB never finished.
    for size in (400_000, 4_000_000):
        started = time.process_time()
        parts = pieces("x" * size)
        assert time.process_time() - started < 10
        assert sum(len(p) - 2 for p in parts) == size and len(parts) == -(-size // 94)
    started = time.process_time()
    escaped = pieces('"' * 300_000)  # every character needs an escape: cut between characters
    assert time.process_time() - started < 20 and joined(escaped) == '"' * 300_000


def test_plan_shows_a_megabyte_message_without_a_space(api_env, tmp_path):
    value = "ACME:" + "z" * 1_000_000
    config = tmp_path / "big.yaml"
    config.write_text(f'version: 1\nlists:\n  - name: Big\n    message_help: "{value}"\n')
    started = time.process_time()
    result = run_cli(["plan", "--format", "text", str(config)], env=api_env)
    assert result.exit_code == 0, result.stderr[-2000:]
    assert time.process_time() - started < 60
    shown = re.findall(r'^\s+\+?\s*(?:message_help = )?("(?:[^"\\]|\\.)*")$', result.stdout, re.MULTILINE)
    assert "".join(json.loads(p) for p in shown if p.startswith('"ACME:') or set(json.loads(p)) == {"z"}) == value


def test_the_benchmark_measures_rendering():
    row = measure_render(1_000)
    assert row["chars"] == 1_000 and row["text_chars"] > 2_000 and row["json_s"] >= 0
    assert "| 1,000 |" in render_table([row])
