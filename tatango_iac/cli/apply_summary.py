"""The apply job's summary: ``python -m tatango_iac.cli.apply_summary RESULT.json [STDERR.txt]`` prints Markdown.

The shipped action (action/run.sh) runs ``apply --format json`` and appends this to
$GITHUB_STEP_SUMMARY: the status, the counts, and each action with its result, so the
run page says what reached the account without opening the log. A result file that is
missing or not a result document (the tool could not start) gives the tail of stderr.
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from typing import Any, Optional

from tatango_iac.cli.output import clean

TAIL_LINES = 40
MAX_ROWS = 2000  # a job summary holds 1 MiB: far more rows than this


def _cell(value: Any) -> str:
    """One table cell: display-safe, HTML-escaped, no pipe or newline to break the row."""
    text = html.escape(clean(str(value if value is not None else "")))
    return text.replace("|", "\\|").replace("\n", " ")


def _fenced(text: str) -> str:
    body = clean(text)
    fence = "```"
    while fence in body:
        fence += "`"
    return f"{fence}\n{body}\n{fence}"


def render(result: dict[str, Any]) -> str:
    summary = result.get("summary") or {}
    lines = [
        f"### tatango-iac apply: {_cell(result.get('status'))}",
        "",
        "| total | verified | applied (not verified) | uncertain | not applied |",
        "|---|---|---|---|---|",
        "| "
        + " | ".join(_cell(summary.get(k, 0)) for k in ("total", "verified", "applied", "uncertain", "not_applied"))
        + " |",
        "",
    ]
    actions = result.get("actions") or []
    if actions:
        lines += ["| # | action | address | result |", "|---|---|---|---|"]
        for row in actions[:MAX_ROWS]:
            lines.append(
                f"| {_cell(row.get('index'))} | {_cell(row.get('action'))} | {_cell(row.get('address'))} "
                f"| {_cell(row.get('result'))} |"
            )
        if len(actions) > MAX_ROWS:
            lines.append(f"\n_{len(actions) - MAX_ROWS} more action(s): see the job log._")
        lines.append("")
    if result.get("message"):
        lines += [_fenced(str(result["message"])), ""]
    return "\n".join(lines)


def _load(path: Path) -> Optional[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "status" in data and isinstance(data.get("actions"), list) else None


def main(argv: list[str]) -> int:
    result = _load(Path(argv[0])) if argv else None
    if result is not None:
        print(render(result))
        return 0
    tail = ""
    if len(argv) > 1:
        try:
            tail = "\n".join(Path(argv[1]).read_text(encoding="utf-8", errors="replace").splitlines()[-TAIL_LINES:])
        except OSError:
            tail = ""
    print("### tatango-iac apply: no result\n\nThe apply did not produce a result document; the end of its log:\n")
    print(_fenced(tail))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
