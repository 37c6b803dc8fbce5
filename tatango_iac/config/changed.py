"""``--changed-since GIT_REF``: which lists a pull request touches, found without the API.

The files that changed since GIT_REF (by git blob id, ``config.changed_files``) are read
from git (``git show``) into a scratch directory and loaded like any other, with the files
that define ``account:`` or ``templates:``; the lists of unchanged files are as they are
now (all files are loaded at the ref when one defining ``account:`` or ``templates:``
changed); a list is in scope when its definition
differs (or it is new), plus every list whose keywords its keyword changes touch: the
configured holder of a keyword at GIT_REF and its holder now. Lists that left the
configuration are noted so that, with prune, their deletion is planned. A change to
``account:`` (prune, short code, lint) concerns every list: the scope is then all.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import tempfile
from typing import Any, Mapping

from tatango_iac.config.changed_files import diff_files
from tatango_iac.config.diagnostics import ERROR
from tatango_iac.config.loader import load
from tatango_iac.config.moved import base_paths, moved_note
from tatango_iac.errors import TatangoIacError
from tatango_iac.gitenv import dubious_ownership, git_env
from tatango_iac.identity.scope import Scope
from tatango_iac.model import DesiredAccount, DesiredList

GIT_TIMEOUT = 60


class ChangedSinceError(TatangoIacError):
    pass


class BaseDoesNotLoad(ChangedSinceError):
    """The configuration at the ref is broken (a broken main that this change fixes): the caller may fall back
    to a full plan, saying so, rather than refuse the very pull request that repairs it."""


def _git(*args: str, cwd: str | None = None, input: str | None = None) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
            cwd=cwd,
            input=input,
            env=git_env(),
        )
    except FileNotFoundError:
        raise ChangedSinceError("--changed-since needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise ChangedSinceError(f"git {' '.join(args[:2])} did not answer in {GIT_TIMEOUT} s") from None
    if done.returncode != 0:
        raise ChangedSinceError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'}")
    return done.stdout


def _show(ref: str, name: str, top: str) -> bytes:
    return subprocess.run(
        ["git", "show", f"{ref}:{name}"], capture_output=True, timeout=GIT_TIMEOUT, check=False, cwd=top, env=git_env()
    ).stdout


def _toplevel(desired: DesiredAccount) -> str:
    """The repository that holds the configuration (not the current directory's: plan may run from anywhere)."""
    first = os.path.realpath(desired.paths[0]) if desired.paths else os.getcwd()
    where = first if os.path.isdir(first) else os.path.dirname(first)
    try:
        return os.path.realpath(_git("rev-parse", "--show-toplevel", cwd=where).strip())
    except ChangedSinceError as failed:
        refused = dubious_ownership(str(failed))
        if refused:
            raise ChangedSinceError(refused) from None
        raise ChangedSinceError(
            f"{desired.paths[0] if desired.paths else where} is not in a git repository, so --changed-since has "
            "nothing to compare it with; run the plan in a clone of the repository, or without --changed-since "
            "(a full plan)"
        ) from None


_FIRST_PARENT_STEPS = re.compile(r"~\d*|\^1?")
_STEPPED_REF = re.compile(r"(?P<base>.+?)(?P<steps>(?:~\d*|\^1?)+)")


def _beyond_history(ref: str, top: str, shallow: bool) -> str | None:
    """For BASE~N (or BASE^, BASE~2^...) that resolves but whose history here is shorter: say so, with the count.

    git's own answer for it is the same as for a misspelt name; the fix differs: fetch more history.
    """
    match = _STEPPED_REF.fullmatch(ref)
    if match is None or len(match["steps"]) > 32:
        return None
    base = match["base"]
    wanted = sum(int(step[1:] or 1) for step in _FIRST_PARENT_STEPS.findall(match["steps"]))
    try:
        _git("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", cwd=top)
        have = int(_git("rev-list", "--first-parent", "--count", base, cwd=top).strip()) - 1
    except (ChangedSinceError, ValueError):
        return None  # the base itself is unknown: the message for an unknown name fits
    if have >= wanted:
        return None
    fix = (
        "fetch more history (`git fetch --unshallow`, or actions/checkout with fetch-depth: 0)"
        if shallow
        else "the history has no commit that far back: name a nearer base"
    )
    return (
        f"--changed-since {ref}: {base} has fewer than {wanted} ancestors in this clone of {top} (it has {have}); "
        f"{fix}. Nothing was read or changed"
    )


def _check_ref(ref: str, top: str) -> None:
    """An unknown ref, and a base missing from a shallow clone (CI's default checkout), each say what to do."""
    try:
        _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=top)
        return
    except ChangedSinceError:
        pass
    try:
        shallow = _git("rev-parse", "--is-shallow-repository", cwd=top).strip() == "true"
    except ChangedSinceError:
        shallow = False
    if beyond := _beyond_history(ref, top, shallow):
        raise ChangedSinceError(beyond) from None
    if shallow:
        raise ChangedSinceError(
            f"--changed-since {ref}: the base is not in this shallow clone of {top}; fetch it first "
            f"(`git fetch origin {ref.removeprefix('origin/')}`, or actions/checkout with fetch-depth: 0). "
            "Nothing was read or changed"
        ) from None
    raise ChangedSinceError(
        f"--changed-since {ref}: no branch, tag or commit of that name in the repository at {top}; name the base "
        "branch as git knows it here (e.g. origin/main, after `git fetch origin main`). Nothing was read or "
        "changed"
    ) from None


def _materialise(ref: str, desired: DesiredAccount, into: str) -> tuple[list[str], set[str] | None, str | None]:
    """Write what the comparison needs of the configuration at ref into ``into``: its PATHs there, and the
    repository paths of the files that changed (None: every file was written, as a change to ``account:`` or
    ``templates:`` may concern every list); and, when the configuration moved since the ref, the sentence
    that says where it was compared."""
    top = _toplevel(desired)
    _check_ref(ref, top)
    relatives = []
    for path in desired.paths:
        relative = os.path.relpath(os.path.realpath(path), os.path.realpath(top))
        if relative.startswith(".."):
            raise ChangedSinceError(f"{path} is outside the git repository, so --changed-since cannot compare it")
        relatives.append(relative)
    based = base_paths(_git, ref, relatives, top)
    diff, at_ref = diff_files(_git, ref, based, desired.files, top, lambda name: _show(ref, name, top))
    everything = diff.shared_changed or based != relatives  # moved: no file keeps its path, compare them all
    names = sorted(at_ref) if everything else diff.base_files(at_ref)
    for name in names:
        target = os.path.join(into, name)  # laid out as in the repository
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(_show(ref, name, top))
    moved = [os.path.join(into, relative) for relative in based]
    return moved, None if everything else diff.changed, moved_note(ref, relatives, based)


def _unchanged_lists(desired: DesiredAccount, changed: set[str]) -> list[DesiredList]:
    """The lists whose file is the same at the ref: their definitions there are what they are now."""
    top = _toplevel(desired)
    return [lst for lst in desired.lists if os.path.relpath(os.path.realpath(lst.source.file), top) not in changed]


def _definition(lst: DesiredList) -> str:
    """The entry as assembled: a change to a template or account.defaults changes every list it reaches."""
    return json.dumps(lst.definition, sort_keys=True, default=str)


def _account(desired: DesiredAccount) -> Any:
    a = desired.account
    return [a.shortcode, a.prune, sorted(a.lint.items()), sorted(a.safety.items()), a.protect, a.ignore]


def scope_changed_since(ref: str, desired: DesiredAccount, env: Mapping[str, str]) -> Scope:
    with tempfile.TemporaryDirectory(prefix="tatango-ref-") as scratch:
        materialised, changed, note = _materialise(ref, desired, scratch)
        old_paths = [p for p in materialised if os.path.exists(p)]
        old, diagnostics = load(old_paths, env, missing_env="warning") if old_paths else (None, [])
        # FILE:LINE:COL as in the repository (the scratch copy is laid out like it), not the scratch path.
        problems = [d.text().replace(scratch + os.sep, f"{ref}:") for d in diagnostics if d.severity == ERROR][:3]
    if old_paths and old is None:
        raise BaseDoesNotLoad(
            f"the configuration at {ref} does not load, so it cannot be compared: " + "; ".join(problems)
        )
    if changed is not None:  # only the changed files were loaded at the ref: the others are as they are now
        unchanged = _unchanged_lists(desired, changed)
        old = dataclasses.replace(old or desired, lists=[*(old.lists if old else []), *unchanged])
    base = {**_protected_at(old), "base_fields": _fields_at(old), "moved": note}
    if old is not None and _account(old) != _account(desired):
        return Scope(ref=ref, **base)  # prune, short code or lint changed: every list is concerned
    before = {lst.key: _definition(lst) for lst in old.lists} if old else {}
    changed = {lst.name for lst in desired.lists if before.get(lst.key) != _definition(lst)}
    now_keys = {lst.key for lst in desired.lists}
    removed = {lst.name for lst in (old.lists if old else []) if lst.key not in now_keys}
    changed |= _keyword_neighbours(old, desired, changed)
    return Scope("changed_since", frozenset(changed), frozenset(removed - changed), ref, **base)


def _fields_at(old: DesiredAccount | None) -> dict[str, dict[str, str]]:
    """Each list's assembled fields at the ref, canonical, for engine.pr_origin (whose change is it)."""
    return {
        lst.key: {name: json.dumps(value, sort_keys=True, default=str) for name, value in lst.definition.items()}
        for lst in (old.lists if old else [])
    }


def _protected_at(old: DesiredAccount | None) -> dict[str, Any]:
    """What the configuration at the ref protected: lifting it in the same change as a delete is refused."""
    if old is None:
        return {}
    return {
        "base_protected": frozenset(str(lst.name) for lst in old.lists if lst.protect),
        "base_patterns": tuple(old.account.protect),
    }


def _keyword_neighbours(old: DesiredAccount | None, new: DesiredAccount, changed: set[str]) -> set[str]:
    def owners(account: DesiredAccount | None) -> dict[str, str]:
        return {
            kw: lst.name for lst in (account.lists if account else []) if not lst.delete for kw in lst.keywords or ()
        }

    before, after = owners(old), owners(new)
    touched: set[str] = set()
    for kw in set(before) | set(after):
        if before.get(kw) != after.get(kw) and (before.get(kw) in changed or after.get(kw) in changed):
            touched |= {name for name in (before.get(kw), after.get(kw)) if name}
    names_now = {lst.name for lst in new.lists}
    return touched & names_now
