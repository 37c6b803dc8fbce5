"""The drift state file: when each list's webhooks and custom fields were last checked.

It holds live list ids and UTC timestamps, nothing else: no name (a name may come from a
``${...}`` value), no URL, no key. It is a cache that the shipped drift workflow carries
between nights (the Actions cache): a missing file starts afresh, and a damaged one is
reported with its location and ignored, since the order without it is deterministic and
still covers every list (see ``drift.schedule``); it is rewritten after a successful run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

FORMAT = "tatango-iac drift state"
VERSION = 1
MAX_BYTES = 5 * 1024 * 1024  # 10,000 lists take about 400 KiB
TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"

# Wall-clock time (the nightly rotation needs the date); the test suite swaps in a fixed one.
utc_now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)  # noqa: E731


@dataclass
class DriftState:
    checked: dict[int, datetime] = field(default_factory=dict)  # live list id -> last check of its children
    problems: list[str] = field(default_factory=list)  # why (part of) the file was ignored, with its location

    def to_json(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "checked": {str(i): self.checked[i].strftime(TIMESTAMP) for i in sorted(self.checked)},
        }


def _where(path: str, text: str, exc: json.JSONDecodeError) -> str:
    return f"{path}:{exc.lineno}:{exc.colno}: {exc.msg}"


def load_state(path: str) -> DriftState:
    """The state at ``path``; an absent file is an empty state, a damaged one an empty state with a problem."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return DriftState()
    except OSError as exc:
        return DriftState(problems=[f"{path}: cannot be read ({exc.strerror}); starting afresh"])
    if len(raw) > MAX_BYTES:
        return DriftState(problems=[f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MiB; ignored"])
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        return DriftState(problems=[f"{path}: not UTF-8 (byte {exc.start}); ignored"])
    except json.JSONDecodeError as exc:
        return DriftState(problems=[_where(path, text, exc) + "; ignored"])
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("checked"), dict):
        return DriftState(problems=[f"{path}: not a {FORMAT} file; ignored"])
    if data.get("version") != VERSION:
        return DriftState(problems=[f"{path}: version {data.get('version')!r}, expected {VERSION}; ignored"])
    return _entries(path, data["checked"])


def _entries(path: str, checked: dict[str, object]) -> DriftState:
    state = DriftState()
    bad = []
    for key, value in checked.items():
        try:
            list_id = int(key) if key.isdigit() else None
            when = datetime.strptime(value, TIMESTAMP).replace(tzinfo=timezone.utc) if isinstance(value, str) else None
        except ValueError:
            when = None
        if list_id is None or when is None:
            bad.append(key)
            continue
        state.checked[list_id] = when
    if bad:
        shown = ", ".join(repr(k[:40]) for k in bad[:3])
        state.problems.append(
            f"{path}: checked: {len(bad)} entr(y/ies) ignored (not a list id and a {TIMESTAMP} timestamp): {shown}"
        )
    return state


def save_state(state: DriftState, path: str) -> None:
    tmp = f"{path}.tmp"
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(state.to_json(), handle, indent=0, sort_keys=False)
        handle.write("\n")
    os.replace(tmp, path)
