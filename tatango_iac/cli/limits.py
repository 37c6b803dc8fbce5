"""apply's check of the safety thresholds (engine.safety): refused before any write without --allow-bulk.

A saved or reviewed plan carries its verdict (``"safety"`` in the plan file), so a plan
reviewed over a limit is refused before the first API call; the fresh plan's own
verdict is checked again before the first write (the account may have moved since).
"""

from __future__ import annotations

from typing import Any

from tatango_iac.cli.main import Failure


def refuse_over_limit(exceeded: list[dict[str, Any]], allow_bulk: bool, saved: bool = False) -> None:
    if not exceeded or allow_bulk:
        return
    what = "the saved plan is" if saved else "the plan is"
    raise Failure(
        "\n".join(
            [
                f"Refusing to apply: {what} over the safety limits (account.safety) and --allow-bulk was not given:",
                *[f"  ! this plan {e.get('message', e)}" for e in exceeded],
                "Nothing was changed. Review the plan; if the change is meant, apply it with "
                "--allow-bulk, or split it.",
            ]
        )
    )


def saved_exceeded(saved: dict[str, Any]) -> list[dict[str, Any]]:
    safety = saved.get("safety")
    return list(safety.get("exceeded") or []) if isinstance(safety, dict) else []
