"""``pull``: read the managed lists, edit their files, check the edit, then write (or show the diff).

The loop is closed before anything is written: the edited files are loaded as the
configuration (under their own names) and planned against the account as it was just
read, with no further call. Pull writes only if that plan has nothing left to do for the
pulled lists, apart from what it said it cannot write (a changed ``${VARIABLE}``). Each
file is replaced atomically; a file that changed on disk while pull ran is not touched.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from tatango_iac.api.client import TatangoClient
from tatango_iac.api.reader import Progress, read_live
from tatango_iac.config.diagnostics import ConfigError, errors
from tatango_iac.config.loader import load, load_or_raise
from tatango_iac.engine.kinds import Reason
from tatango_iac.engine.plan import Action
from tatango_iac.engine.planner import plan
from tatango_iac.engine.reads import reads_for
from tatango_iac.errors import PlanError, TatangoIacError
from tatango_iac.exporter import Placeholders
from tatango_iac.identity.matching import match_lists
from tatango_iac.identity.scope import Scope
from tatango_iac.model import (
    AccountSettings,
    DesiredAccount,
    DesiredList,
    LiveAccount,
    LiveList,
    Reads,
)
from tatango_iac.pull.changes import Edit, EditKind, ListPull, describe, list_pull
from tatango_iac.pull.inherited import own_copies
from tatango_iac.pull.yamledit import Document, EditError
from tatango_iac.secrets import display


class PullError(TatangoIacError):
    """Nothing was written (the message says why)."""


@dataclass
class PullReport:
    edited: dict[str, str] = field(default_factory=dict)  # file -> new text
    diffs: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # what was taken, per list
    warnings: list[str] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)  # what the plan still shows (a changed ${VARIABLE})
    secrets: dict[str, str] = field(default_factory=dict, repr=False)  # placeholders -> values, never shown
    originals: dict[str, str] = field(default_factory=dict, repr=False)  # file -> the text the edit was made on


def definition(d: DesiredList, path: tuple) -> tuple[str, tuple]:
    """Where attribute ``path`` of list ``d`` is written: (file, path inside that file's document).

    The one place that decides where pull writes a value: always in the list's own entry,
    also for a value the list takes from ``account.defaults`` or a template (``pull.inherited``
    gives it its own copy there), never into what other lists share.
    """
    return d.source.file, tuple(d.path) + tuple(path)


def read_for_pull(
    client: TatangoClient, desired: DesiredAccount, scope: Scope, progress: Progress | None = None
) -> LiveAccount:
    """The list index, then the webhooks and custom fields of the selected lists that manage them: what a plan
    reads, minus the keyword tests (pull claims no keyword)."""
    decide = reads_for(desired, scope)

    def children_only(index: list[LiveList]) -> Reads:
        return replace(decide(index), keywords=())

    return read_live(client, children_only, progress)


def pull(
    client: TatangoClient,
    paths: list[str],
    names: list[str],
    env: Mapping[str, str],
    dry_run: bool,
    progress: Progress | None = None,
) -> PullReport:
    desired, _diagnostics = load_or_raise(paths, env)
    scope = Scope.targets(names)
    selected = [d for d in desired.lists if scope.selects(d) and not d.delete]
    live = read_for_pull(client, desired, scope, progress)
    match = match_lists(desired.lists, live.lists)
    report = PullReport()
    secrets = Placeholders()
    pulls: list[ListPull] = []
    for d in selected:
        lst = match.matched.get(d.key)
        if d.key in match.problems:
            report.warnings.append(match.problems[d.key] + "; not pulled")
        elif lst is None:
            report.warnings.append(
                f"{d.source}: list {display(d.name)!r} is not in the account: nothing to pull (if "
                "it was renamed in the web UI, add `renamed_from` or pin it with `id:`)"
            )
        else:
            pulls.append(
                list_pull(
                    d,
                    lst,
                    live.webhooks.get(lst.id) if d.webhooks is not None else None,
                    live.custom_fields.get(lst.id) if d.custom_fields is not None else None,
                    env,
                    secrets,
                )
            )
    report.secrets = dict(secrets.values)
    for p in pulls:
        if p.desired.origins:  # written at the list, never into the template other lists share
            p.edits, notes = own_copies(p.desired, p.edits)
            p.warnings += notes
        report.warnings += p.warnings
        for edit in p.edits:
            report.lines.append(
                f"{definition(p.desired, edit.path)[0]}: list {display(p.desired.name)!r}: {describe(edit)}"
            )
    report.edited, report.originals = _edit_files(pulls)
    _check(paths, env, report, pulls, live)
    report.diffs = [_diff(path, report.originals[path], text) for path, text in sorted(report.edited.items())]
    if secrets.values:
        report.warnings.append(
            "new webhook URLs carry secrets, written as ${...} placeholders; set these environment "
            "variables (values from the web UI or your secret store): " + ", ".join(sorted(secrets.values))
        )
    if not dry_run:
        _write(report.edited, report.originals)
    return report


def _edit_files(pulls: list[ListPull]) -> tuple[dict[str, str], dict[str, str]]:
    documents: dict[str, Document] = {}
    for p in pulls:
        for edit in p.edits:
            path, where = definition(p.desired, edit.path)
            if path not in documents:
                documents[path] = Document(path, _read(path))
            _apply(documents[path], where, edit)
    try:
        edited = {path: text for path, doc in documents.items() if (text := doc.result()) != doc.text}
    except EditError as exc:
        raise PullError(str(exc)) from None
    return edited, {path: documents[path].text for path in edited}


def _read(path: str) -> str:
    with open(path, encoding="utf-8", newline="") as handle:  # newline="": \r\n stays \r\n
        return handle.read()


def _apply(doc: Document, where: tuple, edit: Edit) -> None:
    try:
        if edit.kind is EditKind.SCALAR:
            doc.set_scalar(where, edit.value)
        elif edit.kind is EditKind.SCALARS:
            doc.set_scalar_sequence(where, edit.items)
        else:
            doc.edit_mapping_sequence(where, edit.removed, edit.appended)
    except EditError as exc:
        raise PullError(f"{exc}; nothing was written") from None


def _check(
    paths: list[str], env: Mapping[str, str], report: PullReport, pulls: list[ListPull], live: LiveAccount
) -> None:
    """Load the edited files as the configuration and plan the pulled lists against what was read."""
    with tempfile.TemporaryDirectory(prefix="tatango-pull-") as scratch:
        overrides = {}
        for n, (path, text) in enumerate(sorted(report.edited.items())):
            overrides[path] = os.path.join(scratch, f"{n}.yaml")
            with open(overrides[path], "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        # The placeholders of new webhook URLs resolve to the live values only here, in memory.
        account, diagnostics = load(paths, {**env, **report.secrets}, overrides=overrides)
    if account is None:
        raise PullError(
            "the edited files would not be valid configuration; nothing was written:\n  "
            + "\n  ".join(d.text() for d in errors(diagnostics))
        )
    places = {(p.desired.source.file, tuple(p.desired.path)) for p in pulls}
    pulled = [d for d in account.lists if (d.source.file, tuple(d.path)) in places]
    keys = {d.key for d in pulled}
    subset = DesiredAccount(
        lists=pulled,
        account=AccountSettings(shortcode=account.account.shortcode),
        files=account.files,
        digest=account.digest,
        paths=account.paths,
        new_value_rules=[r for r in account.new_value_rules if r.list_key in keys],
    )
    try:
        after = plan(subset, live, Scope())
    except (PlanError, ConfigError) as exc:
        raise PullError(f"the edited files do not plan cleanly; nothing was written: {exc}") from None
    kept_at = {(p.desired.source.file, tuple(p.desired.path)): p.kept for p in pulls}
    kept = {d.key: kept_at[(d.source.file, tuple(d.path))] for d in pulled}
    left = [a for a in after.actions if a.list_key in keys]
    unexpected = [a for a in left if not _left_on_purpose(a, kept.get(a.list_key, set()))]
    if unexpected:
        raise PullError(
            "pull could not take back every difference; nothing was written. The plan after the edit "
            "would still do:\n  " + "\n  ".join(f"{a.action} {a.address}" for a in unexpected)
        )
    report.remaining = [f"{a.action} {a.address} ({a.reason})" for a in left]


def _left_on_purpose(action: Action, kept: set[str]) -> bool:
    """What pull said it would not write: a changed ${VARIABLE} (in a webhook URL or in a text)."""
    if action.code is Reason.UPDATE_BECAUSE_SECRET_CHANGED:
        return True
    return bool(action.changes) and all(c["path"] in kept for c in action.changes)


def _diff(path: str, original: str, text: str) -> str:
    before = original.splitlines(keepends=True)
    lines = difflib.unified_diff(before, text.splitlines(keepends=True), fromfile=f"a/{path}", tofile=f"b/{path}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _write(edited: dict[str, str], originals: dict[str, str]) -> None:
    moved = [path for path in sorted(edited) if _read(path) != originals[path]]
    if moved:
        raise PullError(f"{', '.join(moved)} changed on disk while pull ran; nothing was written (run pull again)")
    for path, text in sorted(edited.items()):
        directory = os.path.dirname(os.path.abspath(path))
        handle, tmp = tempfile.mkstemp(prefix=".tatango-pull-", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
            os.replace(tmp, path)
        except OSError as exc:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise PullError(f"cannot write {path}: {exc.strerror}") from None
