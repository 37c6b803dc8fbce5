"""Two jobs, one account: how long two plans take when they meet on one rate limit.

    python -m benchmarks.two_jobs [--lists 40] [--seeds 1,2,3]

The sandbox limits the whole account to one call every 3 s (a token bucket of one), as
the API does; two plans of the same configuration (each 1 + 2 x lists calls) start at
the same moment, each with its own client at the default pace. Time is virtual (no
sleep is real): it jumps forward only when both jobs are asleep, as real time would
pass. Reported per seed: how long the two took together against the time they take one
after the other (each alone at its own pace), and the share of that time the account's
budget sat unused (idle: 1 - successful calls x 3 s / elapsed).
"""

from __future__ import annotations

import argparse
import threading
from typing import Any

import requests

RATE_WINDOW, LIMIT = 3600, 1200  # the account: one call every 3 s
SLOT = RATE_WINDOW / LIMIT


class VirtualClock:
    """Monotonic time shared by threads: ``sleep`` waits until every participant sleeps, then time jumps."""

    def __init__(self, participants: int):
        self.now = 1000.0
        self.cond = threading.Condition()
        self.asleep: dict[int, float] = {}
        self.participants = participants

    def monotonic(self) -> float:
        with self.cond:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.cond:
            wake = self.now + max(seconds, 0.0)
            self.asleep[threading.get_ident()] = wake
            self._advance()
            while self.now < wake:
                self.cond.wait(timeout=10)
            del self.asleep[threading.get_ident()]

    def leave(self) -> None:
        with self.cond:
            self.participants -= 1
            self._advance()

    def _advance(self) -> None:
        if self.asleep and len(self.asleep) >= self.participants:
            self.now = max(self.now, min(self.asleep.values()))
            self.cond.notify_all()


def _account(lists: int) -> dict[str, Any]:
    from tatango_iac.sandbox.state import State, default_state

    state = State(data=default_state())
    for i in range(lists):
        record = state.create_list({"name": f"L{i:03d}"}, [])
        state.create_webhook(record["id"], {"callback_url": f"https://h.example/{i}", "subscribe": True})
    return state.data


def _config(lists: int) -> Any:
    import os
    import tempfile

    from tatango_iac.config.loader import load_or_raise

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "c.yaml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(
                "version: 1\naccount: {shortcode: '33733'}\nlists:\n"
                + "".join(
                    f"  - {{name: L{i:03d}, webhooks: [{{callback_url: 'https://h.example/{i}', subscribe: true}}], "
                    f"custom_fields: []}}\n"
                    for i in range(lists)
                )
            )
        return load_or_raise([path], {})[0]


def measure(lists: int, seed: int) -> dict[str, float]:
    """Two plans at once against one account limited to one call every 3 s."""
    from tatango_iac.api.client import TatangoClient
    from tatango_iac.api.pacing import SAFE_INTERVAL
    from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL, SandboxServer
    from tatango_iac.workflow import make_plan

    clock = VirtualClock(participants=2)
    desired = _config(lists)
    finished: list[float] = []
    errors: list[BaseException] = []
    calls_each = 1 + 2 * lists
    with SandboxServer(clock=clock) as server:
        requests.put(server.control_url + "/state", json=_account(lists), timeout=30).raise_for_status()
        requests.put(
            server.control_url + "/faults",
            json={"rate_limit": LIMIT, "rate_window": RATE_WINDOW, "burst": 1},
            timeout=30,
        ).raise_for_status()
        start = clock.monotonic()

        def job(job_seed: int) -> None:
            client = TatangoClient(server.url, SANDBOX_EMAIL, SANDBOX_API_KEY, clock=clock, seed=job_seed)
            try:
                result = make_plan(client, desired)
                assert not result.has_changes
                finished.append(clock.monotonic() - start)
            except BaseException as exc:  # reported by the caller
                errors.append(exc)
            finally:
                clock.leave()

        threads = [threading.Thread(target=job, args=(seed * 10 + k,)) for k in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        statuses = [r["status"] for r in server.api_requests()]
    if errors or len(finished) != 2:
        raise RuntimeError(f"a job failed: {errors!r}")
    elapsed = max(finished)
    one_after_the_other = 2 * calls_each * SAFE_INTERVAL
    ok = statuses.count(200)
    return {
        "lists": lists,
        "seed": seed,
        "calls_each": calls_each,
        "elapsed_s": round(elapsed, 1),
        "sequential_s": round(one_after_the_other, 1),
        "ratio": round(elapsed / one_after_the_other, 2),
        "idle": round(max(0.0, 1 - ok * SLOT / elapsed), 3),
        "rate_limited": statuses.count(429),
    }


def table(rows: list[dict[str, float]]) -> str:
    lines = [
        "| lists per job | calls per job | seed | together | one after the other | ratio | account idle | 429s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['lists']} | {r['calls_each']} | {r['seed']} | {r['elapsed_s']:.0f} s | "
            f"{r['sequential_s']:.0f} s | {r['ratio']}x | {r['idle']:.0%} | {r['rate_limited']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lists", type=int, default=40)
    parser.add_argument("--seeds", default="1,2,3")
    args = parser.parse_args()
    print(table([measure(args.lists, int(s)) for s in args.seeds.split(",")]))


if __name__ == "__main__":
    main()
