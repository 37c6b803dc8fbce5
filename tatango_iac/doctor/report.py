"""Doctor verdicts and how they are shown: a table of assumption / observed / verdict, or JSON."""

from __future__ import annotations

import json
import textwrap
from dataclasses import asdict, dataclass
from typing import Any

OK, NOTE, WARN, FAIL, SKIP = "ok", "note", "warn", "fail", "skip"


@dataclass
class Verdict:
    assumption: str  # what the tool relies on
    observed: str  # what this account's API did
    verdict: str  # ok | note | warn | fail | skip
    consequence: str = ""  # what the tool does about it


@dataclass
class Report:
    api_url: str
    verdicts: list[Verdict]
    calls: int = 0
    probe: bool = False

    @property
    def left_behind(self) -> bool:
        """The write probe's clean-up did not confirm that its scratch objects are gone."""
        return any(
            v.assumption == "the scratch list and everything on it are removed" and v.verdict == FAIL
            for v in self.verdicts
        )

    @property
    def failed(self) -> bool:
        return any(v.verdict == FAIL for v in self.verdicts)

    def summary(self) -> dict[str, int]:
        return {kind: sum(v.verdict == kind for v in self.verdicts) for kind in (OK, NOTE, WARN, FAIL, SKIP)}

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": "1",
            "api_url": self.api_url,
            "write_probe": self.probe,
            "calls": self.calls,
            "summary": self.summary(),
            "checks": [asdict(v) for v in self.verdicts],
        }


def render_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2)


def _cell(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width) or [""]


def render_text(report: Report) -> str:
    kind = "read-only checks and a write probe" if report.probe else "read-only checks"
    lines = [f"tatango-iac doctor: {kind} of {report.api_url} ({report.calls} API calls)", ""]
    widths = (42, 46)
    lines.append(f"{'assumption'.ljust(widths[0])}  {'observed'.ljust(widths[1])}  verdict")
    lines.append(f"{'-' * widths[0]}  {'-' * widths[1]}  -------")
    for v in report.verdicts:
        left, middle = _cell(v.assumption, widths[0]), _cell(v.observed, widths[1])
        for i in range(max(len(left), len(middle))):
            a = left[i] if i < len(left) else ""
            o = middle[i] if i < len(middle) else ""
            lines.append(f"{a.ljust(widths[0])}  {o.ljust(widths[1])}  {v.verdict if i == 0 else ''}".rstrip())
        if v.consequence and v.verdict in (NOTE, WARN, FAIL):
            lines += [f"    -> {line}" for line in _cell(v.consequence, 92)]
    s = report.summary()
    lines += [
        "",
        f"{s[OK]} ok, {s[NOTE]} note(s), {s[WARN]} warning(s), {s[FAIL]} failure(s)"
        + (f", {s[SKIP]} skipped" if s[SKIP] else "")
        + ".",
    ]
    return "\n".join(lines)
