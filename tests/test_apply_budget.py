"""Issue 22 points 2 and 3: the apply forecast, and applies that stop at a budget and resume.

The real CLI against the sandbox over real HTTP; the clock is faked (workflow.make_clock).
"""

from __future__ import annotations

import json

import pytest

from tatango_iac import workflow
from tatango_iac.engine.budget import parse_duration
from tatango_iac.engine.forecast import Forecast, duration
from tests.conftest import run_cli


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


def plan_json(api_env, config, *extra) -> dict:
    result = run_cli(["plan", "--format", "json", *extra, str(config)], env=api_env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def apply(api_env, config, *extra):
    return run_cli(["apply", "--auto-approve", *extra, str(config)], env=api_env)


# ------------------------------------------------------------------ the forecast (point 3)


def test_the_forecast_counts_exactly_the_calls_the_apply_makes(api_env, examples_copy, sandbox):
    forecast = plan_json(api_env, examples_copy)["forecast"]
    before = len(sandbox.api_requests())
    result = apply(api_env, examples_copy)
    assert result.exit_code == 0, result.output
    made = len(sandbox.api_requests()) - before
    assert forecast["calls"] == made
    assert forecast["calls"] == (
        forecast["reads"]
        + forecast["keyword_checks"]
        + forecast["writes"]
        + forecast["guard_reads"]
        + forecast["readback"]
    )
    assert forecast["writes"] == 10 and forecast["guard_reads"] == 1  # the index, before the first list create


def test_the_forecast_counts_two_writes_for_a_replace_and_a_webhook_guard(api_env, examples_copy, sandbox):
    assert apply(api_env, examples_copy).exit_code == 0
    vip = examples_copy / "lists" / "vip.yaml"
    text = vip.read_text()
    vip.write_text(
        text.replace("max_length: 5", "max_length: 9", 1).replace(
            "    webhooks:\n",
            "    webhooks:\n      - callback_url: https://new.example/hook\n        subscribe: true\n",
            1,
        )
    )
    forecast = plan_json(api_env, examples_copy)["forecast"]
    before = len(sandbox.api_requests())
    result = apply(api_env, examples_copy, "--allow-destroy")
    assert result.exit_code == 0, result.output
    assert forecast["writes"] == 3  # the replace (delete + create) and the webhook create
    assert forecast["guard_reads"] == 1  # the list's webhooks, re-read before the create
    assert forecast["calls"] == len(sandbox.api_requests()) - before


def test_the_text_plan_states_calls_and_time_at_the_configured_pace(api_env, examples_copy):
    result = run_cli(["plan", "--rate", "1200", str(examples_copy)], env=api_env)
    assert result.exit_code == 0, result.output
    # The read-back after the writes (issue 16) is counted too; the sentence is wrapped at 120 columns.
    assert (
        " ".join(result.stdout.split()).count(
            "Apply forecast: 25 API call(s) (1 read(s), 8 keyword check(s), 10 write(s), 1 re-read(s) before creates, "
            "5 re-read(s) after the writes), 2 min at one call every 3.1 s."
        )
        == 1
    )
    assert result.stdout.strip().endswith("Plan: 10 to create, 0 to update, 0 to replace, 0 to delete.")


def test_the_markdown_comment_says_when_the_apply_will_not_fit_one_job(api_env, examples_copy):
    fits = run_cli(["plan", "--format", "markdown", str(examples_copy)], env=api_env)
    assert "Apply forecast: 25 API call(s)" in fits.stdout and "does not fit" not in fits.stdout
    slow = run_cli(["plan", "--format", "markdown", "--rate", "3", str(examples_copy)], env=api_env)  # 20 min a call
    assert slow.exit_code == 0, slow.output
    assert "> **Warning:** Apply forecast: 25 API call(s)" in slow.stdout
    # 25 calls of 20 min (and the pace margin): a 6-hour job holds 17, of which 9 are the reads and 5 the
    # read-back that every run makes again.
    assert "It does not fit one 6-hour job: it takes 4 chained run(s) of `apply --max-time`" in slow.stdout


def test_a_plan_without_changes_states_no_forecast(api_env, examples_copy):
    assert apply(api_env, examples_copy).exit_code == 0
    result = run_cli(["plan", str(examples_copy)], env=api_env)
    assert "Apply forecast" not in result.stdout


def test_a_saved_plan_shows_its_forecast_again(api_env, examples_copy, tmp_path):
    out = tmp_path / "plan.json"
    assert run_cli(["plan", "--out", str(out), str(examples_copy)], env=api_env).exit_code == 0
    shown = run_cli(["show", str(out)], env=api_env)
    assert "Apply forecast: 25 API call(s)" in shown.stdout


@pytest.mark.parametrize(
    ("calls", "interval", "fits", "jobs"),
    [(6967, 3.1, True, 1), (6968, 3.1, False, 2), (20_000, 3.1, False, 3), (100, 0.0, True, 1)],
)
def test_forecast_fits_one_job_and_counts_chained_runs(calls, interval, fits, jobs):
    f = Forecast(reads=10, keyword_checks=0, writes=calls - 10, guard_reads=0, readback=0, interval=interval)
    assert (f.fits_one_job, f.jobs) == (fits, jobs)
    assert Forecast.from_json(f.to_json()) == f


def test_a_forecast_whose_reads_alone_exceed_a_job_says_so():
    f = Forecast(reads=8000, keyword_checks=0, writes=10, guard_reads=0, readback=0, interval=3.1)
    assert f.jobs == 0 and "reads alone do not fit one 6-hour job" in f.sentence()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (59.2, "1 min"), (61, "2 min"), (3600, "1 h 00 min"), (3601, "1 h 01 min"), (21600, "6 h 00 min")],
)
def test_durations_round_up(seconds, text):
    assert duration(seconds) == text


# ------------------------------------------------------------------ the budget (point 2)


def test_max_calls_stops_at_an_action_boundary_and_the_next_run_applies_the_rest(api_env, examples_copy, sandbox):
    before = len(sandbox.api_requests())
    first = apply(api_env, examples_copy, "--max-calls", "19")  # 9 reads, 5 kept for the read-back
    assert first.exit_code == 3, first.output
    assert len(sandbox.api_requests()) - before <= 19  # reads included
    assert (
        "Apply stopped at its budget:" in first.stdout
        and "--max-calls 19" in first.stdout
        and "plus 5 for the re-read after the writes" in first.stdout
    )
    assert "Not applied (nothing of these was started):" in first.stdout
    applied = int(first.stdout.split("Apply stopped at its budget: ")[1].split(" of ")[0])
    assert 0 < applied < 10
    # The rest, and only the rest, is what the next plan shows.
    rest = plan_json(api_env, examples_copy)
    assert len(rest["actions"]) == 10 - applied
    second = apply(api_env, examples_copy)
    assert second.exit_code == 0, second.output
    assert f"Apply complete: {10 - applied} of {10 - applied} action(s) applied; a re-read" in second.stdout
    assert plan_json(api_env, examples_copy)["actions"] == []
    names = [r["body"]["list"]["name"] for r in sandbox.api_requests("POST") if r["path"] == "/api/v2/lists"]
    assert len(names) == len(set(names)) == 3  # no list created twice


def test_runs_chained_on_a_small_budget_finish_the_apply(api_env, examples_copy, sandbox):
    codes = []
    for _ in range(10):
        result = apply(api_env, examples_copy, "--max-calls", "18")
        codes.append(result.exit_code)
        if result.exit_code != 3:
            break
    assert codes[-1] == 0 and set(codes[:-1]) == {3} and len(codes) >= 2
    assert plan_json(api_env, examples_copy)["actions"] == []


def test_max_time_stops_before_the_time_runs_out_at_the_pace(api_env, examples_copy, sandbox, clock):
    start = clock.now
    result = apply(api_env, examples_copy, "--rate", "1200", "--max-time", "60s")
    assert result.exit_code == 3, result.output
    assert clock.now - start <= 60
    assert "--max-time 1 min" in result.stdout
    assert apply(api_env, examples_copy).exit_code == 0


def test_a_budget_that_does_not_leave_room_for_one_action_changes_nothing(api_env, examples_copy, sandbox):
    result = apply(api_env, examples_copy, "--max-calls", "14")  # 9 reads + 5 for the read-back: no room
    assert result.exit_code == 1, result.output
    assert "does not leave room for a single action" in result.output and "Nothing was changed." in result.output
    assert [
        r
        for r in sandbox.api_requests()
        if r["method"] in ("PUT", "DELETE") or (r["path"] == "/api/v2/lists" and r["method"] == "POST")
    ] == []


def test_a_budget_large_enough_is_a_normal_apply(api_env, examples_copy):
    result = apply(api_env, examples_copy, "--max-calls", "1000", "--max-time", "5h30m")
    assert result.exit_code == 0 and "Apply complete: 10 of 10" in result.stdout


@pytest.mark.parametrize("bad", ["abc", "0", "-5", "5x", "h", "", "999h"])
def test_a_bad_max_time_is_a_usage_error_before_any_call(api_env, examples_copy, sandbox, bad):
    result = apply(api_env, examples_copy, "--max-time", bad)
    assert result.exit_code == 1 and "--max-time" in result.output and "Traceback" not in result.output
    assert sandbox.api_requests() == []


def test_a_bad_max_calls_is_a_usage_error(api_env, examples_copy, sandbox):
    result = apply(api_env, examples_copy, "--max-calls", "0")
    assert result.exit_code == 1 and "--max-calls" in result.output
    assert sandbox.api_requests() == []


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5h30m", 19800), ("90m", 5400), ("45s", 45), ("3600", 3600), ("1h", 3600), ("2m30s", 150), (" 10M ", 600)],
)
def test_durations_parse(text, seconds):
    assert parse_duration(text) == seconds


def test_a_reviewed_apply_chains_across_budgeted_runs(api_env, examples_copy, tmp_path, sandbox):
    reviewed = tmp_path / "reviewed.json"
    assert run_cli(["plan", "--out", str(reviewed), str(examples_copy)], env=api_env).exit_code == 0
    codes = []
    for _ in range(10):
        result = run_cli(["apply", "--expect", str(reviewed), "--max-calls", "19", str(examples_copy)], env=api_env)
        codes.append(result.exit_code)
        if result.exit_code != 3:
            break
    assert codes[-1] == 0 and set(codes[:-1]) == {3} and len(codes) >= 2, result.output
    assert "(an earlier apply stopped part-way)" in result.stdout
    assert plan_json(api_env, examples_copy)["actions"] == []
    names = [r["body"]["list"]["name"] for r in sandbox.api_requests("POST") if r["path"] == "/api/v2/lists"]
    assert len(names) == len(set(names)) == 3
