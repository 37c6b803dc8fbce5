"""API calls, CPU time and peak memory of `plan` and `apply` at 10, 100 and 1000 lists.

    python -m benchmarks.plan_calls [--sizes 10,100,1000]

The sandbox runs in a separate process (so its CPU is not counted), unpaced. Each
list has 3 webhooks and 3 custom fields, all managed by the configuration.
- plan: the account already matches the config (the nightly drift run).
- apply: the account is empty and everything is created.
"minimum" is what §4 allows; "naive" is one GET per object (list, webhook, field).
At the documented 1200 calls/hour every call is 3 s of a CI job.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import requests
import yaml

from tatango_iac.engine.applier import Applier
from tatango_iac.api.client import TatangoClient
from tatango_iac.config.loader import load_or_raise
from tatango_iac.engine.planner import plan
from tatango_iac.api.reader import read_live
from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL
from tatango_iac.sandbox.state import State, default_state

HOOKS, FIELDS = 3, 3


def config_lists(n: int) -> list[dict]:
    return [{"name": f"List {i:04d}", "keyword_names": [f"KW{i:04d}"],
             "message_help": "Help: help@acme.example. Text STOP to end. Msg&data rates may apply.",
             "webhooks": [{"callback_url": f"https://h.example/{i}/{j}", "subscribe": True} for j in range(HOOKS)],
             "custom_fields": [{"key": f"field_{j}", "label": f"Field {j}", "content_type": "text", "max_length": 50}
                               for j in range(FIELDS)]} for i in range(n)]


def write_config(directory: Path, n: int) -> Path:
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "account": {"shortcode": "33733"}, "lists": config_lists(n)},
                                   sort_keys=False))
    return path


def seeded_state(n: int) -> dict:
    """The account after a full apply of config_lists(n), built directly (fast) through the sandbox's own state."""
    state = State(data=default_state())
    for spec in config_lists(n):
        record = state.create_list({"name": spec["name"], "message_help": spec["message_help"]}, spec["keyword_names"])
        for hook in spec["webhooks"]:
            state.create_webhook(record["id"], {**hook})
        for field in spec["custom_fields"]:
            state.create_custom_field(record["id"], field)
    return state.data


@contextmanager
def sandbox_process(state: dict, tmp: Path) -> Iterator[str]:
    state_file = tmp / "state.json"
    state_file.write_text(json.dumps(state))
    proc = subprocess.Popen([sys.executable, "-m", "tatango_iac", "sandbox", "serve", "--port", "0", "--state",
                             str(state_file)], stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"on (http://\S+)", proc.stdout.readline()).group(1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def received(url: str) -> int:
    control = url.replace("/api/v2", "/_sandbox")
    return len(requests.get(control + "/requests", timeout=30).json()["requests"])


def measure(n: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        path = write_config(tmp, n)
        started = time.process_time()
        config = load_or_raise([str(path)], {})[0]
        load_cpu = time.process_time() - started
        for phase, state in (("plan", seeded_state(n)), ("apply", default_state())):
            with sandbox_process(state, tmp) as url:
                client = TatangoClient(url, SANDBOX_EMAIL, SANDBOX_API_KEY, rate_per_hour=0)
                tracemalloc.start()
                cpu = time.process_time()
                live = read_live(client, config)
                started = time.process_time()
                result = plan(config, live)
                plan_cpu = time.process_time() - started
                if phase == "apply":
                    outcome = Applier(client).run(result)
                    assert outcome.ok, outcome.error
                cpu = time.process_time() - cpu
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                made = received(url)
            pages = math.ceil(n / 1000) if n else 1
            if phase == "plan":
                minimum = pages + 2 * n  # lists pages + webhooks and custom fields of each managed list
                naive = n * (1 + HOOKS + FIELDS)  # one GET per list, webhook and custom field
            else:
                # lists, a keyword test each, the re-read of the index before the first create (two applies
                # at once), one write per object
                minimum = 2 + n + n * (1 + HOOKS + FIELDS)
                naive = minimum + n * (1 + HOOKS + FIELDS)  # plus a re-read of every object written
            rows.append({"lists": n, "phase": phase, "calls": made, "minimum": minimum, "naive": naive,
                         "cpu_s": round(cpu, 3), "model_cpu_s": round(load_cpu + plan_cpu, 3), "peak_mib": round(peak / 2**20, 1),
                         "ci_time_at_3s": f"{made * 3 / 60:.0f} min"})
    return rows


def table(rows: list[dict]) -> str:
    head = ("| lists | phase | API calls | minimum (§4) | naive | CPU s | of which load+plan | peak MiB | "
            "CI time at 1 call/3 s |")
    lines = [head, "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['lists']} | {r['phase']} | {r['calls']} | {r['minimum']} | {r['naive']} | {r['cpu_s']} | "
                     f"{r['model_cpu_s']} | {r['peak_mib']} | {r['ci_time_at_3s']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000")
    args = parser.parse_args()
    rows = [row for n in (int(s) for s in args.sizes.split(",")) for row in measure(n)]
    print(table(rows))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
