"""Issue 22 point 4: two jobs on one account share its budget without leaving it idle.

The measurement is the benchmark's own (benchmarks/two_jobs.py): two plans at once against
the sandbox limited to one call every 3 s for the whole account, on a virtual clock.
"""

from __future__ import annotations

import random
import statistics

import pytest

from benchmarks.two_jobs import measure
from tatango_iac.api.pacing import MAX_INTERVAL, SAFE_INTERVAL, Pacer
from tests.conftest import FakeClock


@pytest.mark.parametrize("seed", [1, 2])
def test_two_jobs_finish_within_1_3x_of_one_after_the_other(seed):
    figures = measure(lists=20, seed=seed)
    assert figures["ratio"] <= 1.3, figures
    assert figures["idle"] <= 0.25, figures
    assert figures["rate_limited"] > 0  # they did meet


def test_a_429_slows_down_at_once_and_each_answer_speeds_up_a_step():
    pacer = Pacer(interval=SAFE_INTERVAL, clock=FakeClock())
    pacer.slow_down()
    slowed = pacer.interval
    assert slowed == pytest.approx(SAFE_INTERVAL * 1.5)
    steps = []
    while pacer.interval > pacer.base:
        pacer.recovered()
        steps.append(pacer.interval)
    assert len(steps) <= 5 and steps == sorted(steps, reverse=True)  # gradual, not after 20 calls in a row
    assert pacer.interval == SAFE_INTERVAL  # never faster than the configured pace


def test_repeated_429s_back_off_up_to_the_cap():
    pacer = Pacer(interval=SAFE_INTERVAL, clock=FakeClock())
    for _ in range(20):
        pacer.slow_down()
    assert pacer.interval == MAX_INTERVAL


def test_waits_while_slowed_down_are_jittered_and_never_under_the_pace():
    clock = FakeClock()
    pacer = Pacer(interval=SAFE_INTERVAL, clock=clock, random=random.Random(7))
    for _ in range(3):
        pacer.slow_down()
    for _ in range(30):
        pacer.wait()
    gaps = [b - a for a, b in zip(pacer.starts, pacer.starts[1:], strict=False)]
    assert statistics.pstdev(gaps) > 0.5  # two slowed-down jobs do not stay in lockstep
    assert min(gaps) >= SAFE_INTERVAL


def test_at_the_configured_pace_there_is_no_jitter():
    clock = FakeClock()
    pacer = Pacer(interval=SAFE_INTERVAL, clock=clock, random=random.Random(7))
    for _ in range(5):
        pacer.wait()
    assert clock.sleeps == [pytest.approx(SAFE_INTERVAL)] * 4


def test_an_unpaced_client_is_unpaced_again_once_recovered():
    pacer = Pacer(interval=0.0, clock=FakeClock())
    pacer.slow_down()
    assert pacer.interval == pytest.approx(SAFE_INTERVAL * 1.5)
    for _ in range(10):
        pacer.recovered()
    assert pacer.interval == 0.0
