"""The benchmark's call counts equal the minimum §4 allows (a small size keeps the suite fast)."""

from benchmarks.plan_calls import measure


def test_plan_scoped_plan_and_apply_make_exactly_the_minimum_calls():
    rows = measure(5)
    assert [(r["phase"], r["calls"], r["minimum"]) for r in rows] == [
        ("plan", 11, 11),
        ("scoped", 3, 3),
        ("apply", 53, 53),
    ]
    assert all(r["calls"] < r["naive"] for r in rows)
    assert all(r["peak_rss_mib"] > 0 and r["cpu_s"] >= r["model_cpu_s"] for r in rows)


def test_the_drift_nights_benchmark_covers_every_list_within_the_stated_nights():
    """Issue 22 point 1 at a small size: 30 lists, a budget of 21 calls (1 index + 10 lists a night)."""
    from benchmarks.drift_nights import measure as nights

    figures = nights(lists=30, budget=21)
    assert figures["max_calls"] <= 21 and figures["fits_job"]
    assert figures["nights"] == figures["stated_nights"] == 3
