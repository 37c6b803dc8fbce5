"""``--format json`` results for programs: ``apply``'s result document and ``plan``'s error document.

With ``--format json`` stdout holds exactly one JSON document and nothing else: everything
written for people (the plan, progress, the failure explanation) goes to stderr, and the
entry point (cli/main.py) prints the document once the exit code is known, whatever path
the run ended by (success, refusal, failure mid-apply, budget stop, internal error). Every
string is redacted and made display-safe before it is encoded, so no secret reaches the
document in any encoding the redactor knows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional

from tatango_iac import __version__
from tatango_iac.apply.applier import ApplyResult
from tatango_iac.apply.readback import ReadbackResult
from tatango_iac.cli import output
from tatango_iac.engine.plan import Action
from tatango_iac.errors import ExitCode

RESULT_VERSION = "1"  # bumped on any incompatible change of the apply result document


class ActionResult(str, Enum):
    """What became of one planned action (README: "apply --format json")."""

    VERIFIED = "verified"  # applied, and the read-back after the last write showed it in the account
    APPLIED = "applied"  # the API accepted it; not verified (--no-verify, or the read-back failed or disagreed)
    UNCERTAIN = "uncertain"  # may have been applied, or was applied only in part / differently: plan again
    NOT_APPLIED = "not applied"  # nothing of it was written


class Status(str, Enum):
    """How the whole apply ended."""

    COMPLETE = "complete"  # every action applied and the read-back matched
    NOT_VERIFIED = "not verified"  # every action applied; --no-verify: the account was not re-read
    NOT_CONFIRMED = "not confirmed"  # every action applied; the read-back failed or showed a difference
    FAILED = "failed"  # an action failed or was uncertain: the rest was not applied
    INTERRUPTED = "interrupted"  # Ctrl-C / SIGTERM between two actions
    PARTIAL = "partial"  # stopped cleanly at --max-calls / --max-time (exit 3: run again)
    REFUSED = "refused"  # stopped before any write (a refusal or an error): nothing was changed
    NO_CHANGES = "no changes"  # the account already matched
    ALREADY_APPLIED = "already applied"  # apply --expect: the reviewed actions are all in the account


_FAILED_OUTCOME = {
    "failed": ActionResult.NOT_APPLIED,
    "uncertain": ActionResult.UNCERTAIN,
    "half done": ActionResult.UNCERTAIN,
    "applied differently": ActionResult.UNCERTAIN,
}


def _clean(value: Any) -> Any:
    """Every string redacted and display-safe, before JSON encoding (which would hide a secret from redact)."""
    if isinstance(value, str):
        return output.clean(value)
    if isinstance(value, dict):
        return {_clean(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, Enum):
        return _clean(str(value.value))
    return value


def _identity(data: dict[str, Any], index: int) -> dict[str, Any]:
    return {
        "index": data.get("index", index),
        "address": data.get("address"),
        "action": data.get("action"),
        "resource": data.get("resource"),
        "list": data.get("list"),
        "destructive": bool(data.get("destructive")),
    }


def _as_dict(action: Action | dict[str, Any], index: int) -> dict[str, Any]:
    return action.to_json(index) if isinstance(action, Action) else dict(action)


@dataclass
class ApplyReport:
    """Collects what one apply run did; ``render`` makes the document once the exit code is known."""

    planned: list[dict[str, Any]] = field(default_factory=list)
    result: Optional[ApplyResult] = None
    verify: bool = True
    readback: Optional[ReadbackResult] = None
    readback_error: Optional[str] = None
    ended: Optional[Status] = None  # no changes / already applied: said by the command itself
    already_in_account: list[str] = field(default_factory=list)

    def plan(self, actions: list[Action] | list[dict[str, Any]]) -> None:
        items: list[Action | dict[str, Any]] = list(actions)
        self.planned = [_as_dict(a, i) for i, a in enumerate(items, 1)]

    def checked(self, readback: Optional[ReadbackResult], error: Optional[str]) -> None:
        self.readback, self.readback_error = readback, error

    def render(self, code: int, message: Optional[str]) -> str:
        actions = self._actions()
        counts = {r: sum(1 for a in actions if a["result"] == r.value) for r in ActionResult}
        document = {
            "result_version": RESULT_VERSION,
            "tool_version": __version__,
            "status": self._status(code).value,
            "exit_code": int(code),
            "message": message,
            "summary": {
                "total": len(actions),
                "verified": counts[ActionResult.VERIFIED],
                "applied": counts[ActionResult.APPLIED],
                "uncertain": counts[ActionResult.UNCERTAIN],
                "not_applied": counts[ActionResult.NOT_APPLIED],
            },
            "actions": actions,
            "readback": self._readback(),
            "already_in_account": self.already_in_account,
        }
        return json.dumps(_clean(document), indent=2, ensure_ascii=False)

    def _status(self, code: int) -> Status:
        if code == ExitCode.PARTIAL:
            return Status.PARTIAL
        result = self.result
        if result is None:
            return self.ended or (Status.REFUSED if code else Status.NO_CHANGES)
        if result.failed is not None:
            return Status.FAILED
        if result.interrupted or result.not_applied:
            return Status.INTERRUPTED if result.interrupted else Status.PARTIAL
        if not self.verify:
            return Status.NOT_VERIFIED
        return Status.COMPLETE if self.readback is not None and self.readback.ok else Status.NOT_CONFIRMED

    def _actions(self) -> list[dict[str, Any]]:
        result = self.result
        rows = [_identity(data, i) for i, data in enumerate(self.planned, 1)]
        if result is None:
            return [{**row, "result": ActionResult.NOT_APPLIED.value} for row in rows]
        applied = {a.address for a in result.applied}
        verified = self.verify and self.readback is not None and self.readback.ok
        for row in rows:
            address = row["address"]
            if result.failed is not None and address == result.failed.address:
                row["result"] = _FAILED_OUTCOME.get(result.outcome, ActionResult.UNCERTAIN).value
                row["outcome"], row["error"] = result.outcome, result.error
            elif address in applied:
                row["result"] = (ActionResult.VERIFIED if verified else ActionResult.APPLIED).value
                differences = self._findings(address)
                if differences:
                    row["readback"] = differences
            else:
                row["result"] = ActionResult.NOT_APPLIED.value
        return rows

    def _findings(self, address: str) -> list[str]:
        if self.readback is None:
            return []
        return [f.line(0.0) for f in self.readback.findings if f.address == address]

    def _readback(self) -> Optional[dict[str, Any]]:
        if self.readback_error is not None:
            return {"ok": False, "calls": None, "error": self.readback_error, "differences": []}
        if self.readback is None:
            return None
        return {
            "ok": self.readback.ok,
            "calls": self.readback.calls,
            "error": self.readback.error,
            "differences": self.readback.lines() if not self.readback.ok else [],
            # What the API stored in another form than sent (display-safe; the forms record keeps their digests).
            "stored_as": [
                {"address": o.entry.address, "attribute": o.entry.attribute, "sent": o.sent, "held": o.held}
                for o in self.readback.observed
            ],
        }


@dataclass
class PlanErrors:
    """``plan --format json``: a failed plan still prints one JSON document (as Markdown prints a comment)."""

    def render(self, code: int, message: Optional[str]) -> Optional[str]:
        if code in (ExitCode.OK, ExitCode.CHANGES):
            return None  # the plan itself was printed
        document = {
            "tool_version": __version__,
            "status": "error",
            "exit_code": int(code),
            "error": {"message": message or "the plan could not be made"},
        }
        return json.dumps(_clean(document), indent=2, ensure_ascii=False)


def start(doc: ApplyReport | PlanErrors, quiet_stdout: bool) -> None:
    """From here on the run ends with ``doc`` on stdout; ``quiet_stdout`` sends the people's text to stderr."""
    output.state["json_result"] = doc
    output.state["stdout_to_stderr"] = quiet_stdout


def finish(code: int, message: Optional[str]) -> None:
    """Called by the entry point with the exit code: print the document, once."""
    doc = output.state.get("json_result")
    output.state["json_result"] = None
    if doc is None:
        return
    text = doc.render(int(code), message)
    if text is not None:
        output.document(text)
