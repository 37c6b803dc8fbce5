"""Budgeted nightly drift at a large account: calls and CI time a night, and nights to full coverage.

    python -m benchmarks.drift_nights [--lists 10000] [--budget 2400]

The sandbox (its own process, unpaced) holds N lists, each with 3 webhooks and 3 custom
fields, all managed; one night at a time, ``plan --drift --budget B --drift-state FILE``
runs (in this process, the configuration loaded once; the wall clock of the rotation set
to one night later each time) until every list's children have been read at least once.
Reported: the calls each night made (all within the budget), the CI time of a night at
one call every 3.1 s, and the number of nights to full coverage.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from benchmarks.plan_calls import PACE, sandbox_process, seeded_state, write_config

JOB_LIMIT_S = 6 * 3600
DAILY_CALLS = 24 * 1200


def measure(lists: int, budget: int, max_nights: int = 60) -> dict[str, Any]:
    from tatango_iac.api.client import TatangoClient
    from tatango_iac.config.loader import load_or_raise
    from tatango_iac.drift import state as drift_state
    from tatango_iac.drift.run import budgeted_drift
    from tatango_iac.identity.scope import Scope
    from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL

    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        config = write_config(tmp / "repo", lists)  # one file per list: a file may hold at most 5 MiB
        desired = load_or_raise([str(config)], {})[0]
        state_file = str(tmp / "drift-state.json")
        night = datetime(2026, 12, 1, 6, 17, tzinfo=timezone.utc)
        calls: list[int] = []
        stated = None
        wall_clock = drift_state.utc_now
        try:
            with sandbox_process(seeded_state(lists), tmp) as url:
                for n in range(max_nights):
                    drift_state.utc_now = lambda n=n: night + timedelta(days=n)  # the rotation's clock
                    client = TatangoClient(url, SANDBOX_EMAIL, SANDBOX_API_KEY, rate_per_hour=0)
                    result = budgeted_drift(client, desired, Scope(), budget, state_file)
                    assert not result.has_changes, "the account matches: no drift expected"
                    stated = stated or (result.coverage or {}).get("full_coverage_nights")
                    calls.append(client.calls)
                    if len(read_ids(state_file)) >= lists:  # the state holds every list whose children were read
                        break
        finally:
            drift_state.utc_now = wall_clock
    worst = max(calls)
    return {
        "lists": lists,
        "budget": budget,
        "nights": len(calls),
        "stated_nights": stated,
        "max_calls": worst,
        "ci_minutes": math.ceil(worst * PACE / 60),
        "fits_job": worst * PACE <= JOB_LIMIT_S,
        "daily_share": worst / DAILY_CALLS,
    }


def read_ids(path: str) -> list[int]:
    import json

    with open(path, encoding="utf-8") as handle:
        return [int(i) for i in json.load(handle)["checked"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lists", type=int, default=10_000)
    parser.add_argument("--budget", type=int, default=2400)
    args = parser.parse_args()
    r = measure(args.lists, args.budget)
    print(
        f"{r['lists']:,} managed lists, --budget {r['budget']}: at most {r['max_calls']} calls a night "
        f"({r['ci_minutes']} min of CI at {PACE} s a call, {'fits' if r['fits_job'] else 'does NOT fit'} one "
        f"6-hour job, {r['daily_share']:.0%} of the account's {DAILY_CALLS:,} daily calls); every list's webhooks "
        f"and custom fields read within {r['nights']} night(s) (stated by the report: {r['stated_nights']})."
    )


if __name__ == "__main__":
    main()
