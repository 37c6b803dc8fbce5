"""``--forms-record FILE``: the forms record's file (engine.records), read by plan and apply, written by apply.

The file holds list ids, addresses (as the plan shows them), attribute names, keyed digests,
times and a key check (a keyed digest of a public constant): no value, no secret, no unkeyed hash. It is a cache the shipped workflows carry
between runs (the Actions cache); without it the tool behaves as it did before it existed
(a difference the API introduced is planned again). Unlike the drift state, a file that is
there but not as apply writes it is refused (exit 1, nothing read or changed): silently
starting afresh would bring back the destructive replace the record exists to stop. A
symbolic link is refused too, since the file is written back: a link planted in a restored
cache must not make apply overwrite whatever it points at.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from datetime import datetime, timezone
from typing import Any, Callable, Optional

import click

from tatango_iac.apply.readback import ReadbackResult
from tatango_iac.cli.json_where import line_col
from tatango_iac.cli.main import Failure
from tatango_iac.engine.records import FormsRecord, Place, RecordShapeError, merged, record_from_json

MAX_BYTES = 5 * 1024 * 1024  # an entry is about 250 bytes: 20,000 recorded forms
OPTION = "--forms-record"
AFRESH = (
    "Nothing was read or changed. Delete the file to start afresh (a difference the API introduced is then "
    "planned again until an apply records it again)."
)

# Wall-clock time of an entry (the test suite swaps in a fixed one).
utc_now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)  # noqa: E731

option = click.option(
    OPTION,
    "forms_record_path",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE",
    help="The forms record: what apply saw the API store in another form than sent (keyed digests only). "
    "apply writes it after its read-back; plan and apply read it, and plan no change (never a destructive "
    "replace) for a difference it records. Without it such a difference is planned again on every run.",
)


def _refuse(path: str, why: str) -> Failure:
    return Failure(f"Error: {OPTION} {path}: {why}. {AFRESH}")


def _check_kind(path: str) -> bool:
    """True if the file exists (a regular file); refuses a link, a directory or anything else."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _refuse(path, f"cannot be read ({exc.strerror})") from None
    if stat.S_ISLNK(info.st_mode):
        raise _refuse(path, "is a symbolic link; give the file itself (it is written back)")
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(path, "is not a regular file")
    return True


def load(path: Optional[str]) -> Optional[FormsRecord]:
    """The record at ``path``: None without the option, empty when the file does not exist yet (a first run)."""
    if path is None:
        return None
    if not _check_kind(path):
        directory = os.path.dirname(os.path.abspath(path))
        if os.path.exists(directory) and not os.path.isdir(directory):
            raise _refuse(path, f"{directory} is not a directory")
        return FormsRecord()
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise _refuse(path, f"cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise _refuse(path, f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        raise _refuse(path, f"not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise Failure(
            f"Error: {OPTION} {path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg} line {exc.lineno} "
            f"column {exc.colno}; a file cut short ends so). {AFRESH}"
        ) from None
    except RecursionError:
        raise _refuse(path, "nested too deeply") from None
    try:
        return record_from_json(data)
    except RecordShapeError as exc:
        line, column = line_col(text, exc.path)
        raise Failure(f"Error: {OPTION} {path}:{line}:{column}: {exc}. {AFRESH}") from None


def check_saved(saved: dict[str, Any], path: Optional[str], plan_file: str) -> None:
    """A saved plan made with a record is applied with one: without it the recomputed plan differs (the replace
    the record stopped comes back) and "stale" alone would not say why."""
    made = saved.get("forms_record")
    if path is None and isinstance(made, dict) and isinstance(made.get("path"), str):
        raise Failure(
            f"Error: this plan was made with {OPTION} {made['path']}: pass it again "
            f"(tatango-iac apply --plan {plan_file} {OPTION} {made['path']}). Nothing was read or changed."
        )


def save(record: FormsRecord, path: str) -> None:
    """Atomically: a new file in the same directory (never an existing one followed), then renamed over."""
    text = json.dumps(record.to_json(), indent=1, ensure_ascii=False) + "\n"
    if len(text.encode()) > MAX_BYTES:  # a file the next run would refuse is not written
        raise _refuse(path, f"not written: it would be larger than {MAX_BYTES // (1024 * 1024)} MiB")
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    _check_kind(path)  # still not a link (the apply ran for a while)
    handle, tmp = tempfile.mkstemp(prefix=".forms-record-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _current(path: str, old: Optional[FormsRecord]) -> FormsRecord:
    """The file as it is now (another apply may have written it meanwhile), else what this run read."""
    try:
        return load(path) or FormsRecord()
    except Failure:
        return old or FormsRecord()


def now_text() -> str:
    return utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


def after_apply(
    path: Optional[str], old: Optional[FormsRecord], check: ReadbackResult, touched: set[Place]
) -> list[str]:
    """Write what the read-back saw (whatever the apply's exit code); the lines that tell the user."""
    found = [o.line() for o in check.observed]
    if path is None:
        if not found:
            return []
        return [
            "The API stored these in another form than sent (not recorded: without --forms-record FILE the next "
            "plan plans them again, a custom field as a destructive replace):",
            *[f"  ! {line}" for line in found],
        ]
    before = _current(path, old)
    record = merged(before, check.entries, touched, check.still_recorded, check.live_ids, check.key_check)
    try:
        # Unchanged: no write (a first run leaves no empty file); a file from before key_check gains it.
        if record.entries != before.entries or (record.entries and record.key_check != before.key_check):
            save(record, path)
    except (OSError, Failure) as exc:
        why = exc.strerror if isinstance(exc, OSError) else str(exc)
        return [f"Could not write the forms record {path} ({why}): the next plan plans these again."] + [
            f"  ! {line}" for line in found
        ]
    if not found:
        return []
    return [
        f"The API stored these in another form than sent; recorded in {path}, so the next plans plan no change "
        "for them while the configuration and the account stay as they are:",
        *[f"  ! {line}" for line in found],
    ]
