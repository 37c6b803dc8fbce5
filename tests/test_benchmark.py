"""The benchmark's call counts equal the minimum §4 allows (a small size keeps the suite fast)."""
from benchmarks.plan_calls import measure


def test_plan_scoped_plan_and_apply_make_exactly_the_minimum_calls():
    rows = measure(5)
    assert [(r["phase"], r["calls"], r["minimum"]) for r in rows] == [("plan", 11, 11), ("scoped", 3, 3),
                                                                       ("apply", 53, 53)]
    assert all(r["calls"] < r["naive"] for r in rows)
    assert all(r["peak_rss_mib"] > 0 and r["cpu_s"] >= r["model_cpu_s"] for r in rows)
