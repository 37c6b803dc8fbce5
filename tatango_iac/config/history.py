"""Protection that survives removal from the configuration: the git history is the memory.

Terraform's ``prevent_destroy`` is forgotten with the resource block that carries it;
Pulumi's ``protect`` survives because it lives in state. A GitOps repository's memory is
its history: before a plan deletes a list (prune, or ``delete: true``), this module looks
for the newest state of the configuration, along HEAD's first-parent history (what was
merged, in order), that still had the list: an entry for it (by ``id:`` pin, or by name
or ``renamed_from`` when unpinned) that was not ``delete: true``, or an ``account.protect``
pattern matching its name. That state decides. If the list was protected there, it is
still protected: it was removed without lifting protection first (lifting = a commit in
which the entry exists with ``protect`` false). The working tree is "now"; HEAD's tree
is the newest state looked at.

Bounded: one ``git ls-tree`` of HEAD and one ``git log --raw`` of at most ``MAX_COMMITS``
commits that touched the configuration; walking back newest first, each earlier state
is the later one with that commit's files put back (blob ids from the raw diff), and
only the blobs that change are parsed (cached by blob id) for the entries' identity
fields, which no template or default can set. The configuration is then loaded with the
real loader only at the few commits that decide (one ``git archive`` each), so ``protect``
coming from a template or ``account.defaults`` counts as it did then.

Fail safe: when the history cannot tell (no repository, no commit yet, a shallow clone,
a list not found within ``MAX_COMMITS``, a deciding commit whose configuration does not
load) the list is remembered as UNKNOWN and the planner refuses its deletion, saying
why and what to do. ``--no-history-check`` skips all of this, on the user's word.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional

from tatango_iac.config.changed_files import walked
from tatango_iac.config.diagnostics import ERROR
from tatango_iac.config.discover import SKIP_MARKER, YAML_SUFFIXES
from tatango_iac.config.history_view import (
    Candidate,
    FileView,
    file_view,
    parse_raw,
    pattern_for,
    renamed_from,
    renamed_roots,
    under,
)
from tatango_iac.config.loader import load
from tatango_iac.errors import TatangoIacError
from tatango_iac.gitenv import dubious_ownership, git_env
from tatango_iac.identity.scope import Memory, Remembered
from tatango_iac.model import DesiredAccount, DesiredList

MAX_COMMITS = 500  # commits that touched the configuration, walked back from HEAD
GIT_TIMEOUT = 60
NO_BLOB = "0" * 40
WORKING_TREE = "the working tree (not committed yet)"
LIFT = "to delete it, restore the entry with protect: false, commit and apply that, then remove it"
UNKNOWN_FIX = "or pass --no-history-check to delete without that check (you then vouch that it was never protected)"


class GitFailed(TatangoIacError):
    """Never reaches the user: remember() turns it into an UNKNOWN verdict that names it."""


def _run(top: str, *args: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args], capture_output=True, timeout=GIT_TIMEOUT, check=False, cwd=top, env=git_env()
        )
    except (FileNotFoundError, NotADirectoryError):
        raise GitFailed("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitFailed(f"git {args[0]} did not answer in {GIT_TIMEOUT} s") from None
    if done.returncode != 0:
        raise GitFailed(done.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return done.stdout


def _git(top: str, *args: str) -> str:
    return _run(top, *args).decode("utf-8", "surrogateescape")


def _entry_is(lst: DesiredList, candidate: Candidate) -> bool:
    """Whether a configured entry stood for the candidate: by pin, else by name (a pin to another id is not)."""
    if lst.id is not None:
        return lst.id == candidate.list_id
    return str(lst.name) in candidate.names or bool(renamed_from({"renamed_from": lst.renamed_from}) & candidate.names)


# ------------------------------------------------------------------ the walk


@dataclass
class Found:
    commit: str  # the state's commit (its tree is the state)
    removed_in: str  # the next newer commit (or the working tree): where the list left the configuration
    file: str
    explicit: bool  # a file of that state protects it in so many words (used when that state does not load)
    roots: tuple[str, ...] = ()  # the configuration paths that had files then (they move with `git mv`)


@dataclass
class Walk:
    top: str
    relatives: list[str]
    views: dict[str, FileView] = field(default_factory=dict)  # by blob id: a blob is parsed once

    def view(self, blob: str, name: str) -> FileView:
        if blob not in self.views:
            self.views[blob] = file_view(_git(self.top, "cat-file", "blob", blob), name)
        return self.views[blob]


class Holding:
    """Which files of the current state hold each candidate, kept up to date file by file as the walk
    goes back: a step costs what its commit changed, not the size of the configuration."""

    def __init__(self, walk: Walk, state: dict[str, str], candidates: list[Candidate]):
        self.walk, self.state, self.candidates = walk, state, candidates
        self.files: dict[int, set[str]] = {c.list_id: set() for c in candidates}
        self.rescan(list(state))

    def rescan(self, paths: Iterable[str]) -> None:
        skipped = {os.path.dirname(n) for n in self.state if os.path.basename(n) == SKIP_MARKER}
        for name in paths:
            counted = name in self.state and name.endswith(YAML_SUFFIXES) and walked(name, skipped)
            view = self.walk.view(self.state[name], name) if counted else FileView()
            for candidate in self.candidates:
                files = self.files[candidate.list_id]
                if view.holds(candidate):
                    files.add(name)
                else:
                    files.discard(name)

    def view(self, name: str) -> FileView:
        return self.walk.view(self.state[name], name)

    def step_back(self, changes: list[tuple[str, str]]) -> None:
        """To the state before a commit: its files as they were (a skip marker changed: rescan everything)."""
        for path, before in changes:
            if before == NO_BLOB:
                self.state.pop(path, None)
            else:
                self.state[path] = before
        markers = any(os.path.basename(path) == SKIP_MARKER for path, _ in changes)
        self.rescan(list(set(self.state) | {p for p, _ in changes}) if markers else [p for p, _ in changes])


def _tree(top: str, relatives: list[str], commit: str = "HEAD") -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in _git(top, "ls-tree", "-r", "-z", "--full-name", commit, "--", *relatives).split("\0"):
        if "\t" in entry:
            meta, name = entry.split("\t", 1)
            out[name] = meta.split()[2]
    return out


def _log(top: str, start: str, relatives: list[str], count: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """Newest first from ``start``: (commit, [(path, blob before the commit)]), at most ``count`` commits."""
    raw = _git(
        top, "log", "--first-parent", "--no-renames", "--raw", "--no-abbrev", "-z", "--format=%x01%H",
        f"-n{count}", start, "--", *relatives,
    )  # fmt: skip
    return [(sha, [(path, before) for _, path, _, before in changes]) for sha, changes in parse_raw(raw)]


def _moves(top: str, shas: list[str]) -> dict[str, list[tuple[str, str]]]:
    """For each commit, the renames git's rename detection sees against its first parent: [(old, new)].
    One ``git log`` for all of them."""
    if not shas:
        return {}
    raw = _git(
        top, "log", "--no-walk=unsorted", "--diff-merges=first-parent", "-M", "--raw", "--no-abbrev", "-z",
        "--format=%x01%H", *shas,
    )  # fmt: skip
    return {
        sha: [(source, path) for status, path, source, _ in changes if status == "R"] for sha, changes in parse_raw(raw)
    }


@dataclass
class History:
    """The first-parent commits that touched the configuration, newest first, following renames; and where
    the walk had to stop (``stopped``: a sentence, or None when the history was walked to its start)."""

    commits: list[tuple[str, list[tuple[str, str]]]]
    stopped: Optional[str]
    roots: list[str] = field(default_factory=list)  # the paths followed: the configuration's, then older ones


MAX_MOVES = 20  # rename commits followed; past that the history cannot tell (fail safe)


def _commits(top: str, relatives: list[str]) -> History:
    """The walk's commits. A commit that adds tracked files is asked whether it moved them from elsewhere; if
    so, the old paths join the tracked set and the log is read again from that commit with them, so the
    state before the move holds the files at their old paths (a removal before the move is then seen)."""
    roots, start, moved = list(relatives), "HEAD", 0
    commits: list[tuple[str, list[tuple[str, str]]]] = []
    kept: dict[str, list[tuple[str, str]]] = {}  # at a move: the old paths' files as the move left them
    while True:
        batch = _log(top, start, roots, MAX_COMMITS + 1 - len(commits))
        adding = [sha for sha, changes in batch if sha not in kept and any(b == NO_BLOB for _, b in changes)]
        moves = _moves(top, adding)  # one question to git's rename detection for the whole batch
        restart = None
        for sha, changes in batch:
            added = [path for path, before in changes if before == NO_BLOB]
            old = renamed_roots(moves[sha], added, roots) if sha in moves else []
            if old:
                restart = (sha, old)
                break
            commits.append((sha, kept.get(sha, []) + changes))
        if restart is None:
            break
        sha, old = restart
        moved += 1
        if moved > MAX_MOVES:
            return History(commits, f"the configuration was moved in more than {MAX_MOVES} commits", roots)
        roots += old
        kept[sha] = list(_tree(top, old, sha).items())  # files the move left at the old paths stay configured
        start = sha
    if len(commits) > MAX_COMMITS:
        return History(commits[:MAX_COMMITS], f"walked back to {commits[MAX_COMMITS - 1][0][:7]}", roots)
    return History(commits, None, roots)


def _walk_back(walk: Walk, candidates: list[Candidate]) -> tuple[dict[int, Found], Optional[str]]:
    """The newest state holding each candidate; and, when the walk had to stop early, why."""
    holding = Holding(walk, _tree(walk.top, walk.relatives), candidates)
    history = _commits(walk.top, walk.relatives)
    found: dict[int, Found] = {}
    removed_in = WORKING_TREE
    for sha, changes in history.commits:
        for candidate in candidates:
            files = holding.files[candidate.list_id]
            if candidate.list_id not in found and files:
                explicit = any(holding.view(name).protects(candidate) for name in files)
                roots = tuple(r for r in history.roots if any(under(p, [r]) for p in holding.state))
                found[candidate.list_id] = Found(sha, removed_in, min(files), explicit, roots)
        if len(found) == len(candidates):
            break
        holding.step_back(changes)
        removed_in = sha
    return found, history.stopped


# ------------------------------------------------------------------ deciding at one commit


def _load_at(top: str, commit: str, relatives: list[str], env: Mapping[str, str]) -> DesiredAccount | str:
    """The configuration as it was at the commit, loaded for real; or why it does not load."""
    with tempfile.TemporaryDirectory(prefix="tatango-history-") as scratch:
        # One `git archive` of the configuration paths, laid out as in the repository.
        archive = _run(top, "archive", "--format=tar", commit, "--", *relatives)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(scratch, filter="data")
        paths = [p for p in (os.path.join(scratch, r) for r in relatives) if os.path.exists(p)]
        loaded, diagnostics = load(paths, env, missing_env="warning") if paths else (None, [])
        errors = [d.text().replace(scratch + os.sep, "") for d in diagnostics if d.severity == ERROR][:2]
    return loaded if loaded is not None else "; ".join(errors) or "no configuration files"


def _entry_then(account: DesiredAccount, candidate: Candidate) -> Optional[DesiredList]:
    return next((lst for lst in account.lists if not lst.delete and _entry_is(lst, candidate)), None)


def _decide(
    candidate: Candidate, found: Found, account: DesiredAccount | str, short: Mapping[str, str]
) -> Optional[Remembered]:
    at, gone = short[found.commit], short.get(found.removed_in, found.removed_in)
    removed = f"removed from the configuration in {gone}" if gone == WORKING_TREE else f"removed in commit {gone}"
    if isinstance(account, str) and found.explicit:  # protected in so many words: loading it cannot change that
        why = "its entry or an account.protect pattern (that commit's configuration does not load)"
        return _protected(candidate, f"protected by {why} in commit {at} ({found.file}), {removed}")
    if isinstance(account, str):
        return _unknown(
            candidate,
            f"the configuration at commit {at}, the last to configure it ({found.file}), does not load ({account})",
        )
    entry = _entry_then(account, candidate)
    pattern = pattern_for(account.account.protect, candidate)
    if entry is None and pattern is None:  # the raw view and the loader disagree: do not guess
        return _unknown(
            candidate, f"{found.file} at commit {at} seems to configure it, but that commit's configuration does not"
        )
    if pattern is not None:
        why = f"the account.protect pattern {pattern!r}"
    elif entry is not None and entry.protect:
        why = "protect: true"
    else:
        return None  # configured without protection when last configured: lifted, or never protected
    return _protected(candidate, f"protected by {why} in commit {at} ({found.file}), {removed}")


def _protected(candidate: Candidate, what: str) -> Remembered:
    """``what``: "protected by X in commit C (FILE), removed in ..."."""
    core = f"{what} without lifting protection first"
    reason = f"{core}: never deleted; {LIFT}"
    return Remembered(candidate.list_id, candidate.name, Memory.PROTECTED, reason, core.removeprefix("protected by "))


def _unknown(candidate: Candidate, why: str) -> Remembered:
    return Remembered(
        candidate.list_id,
        candidate.name,
        Memory.UNKNOWN,
        f"cannot tell whether list {candidate.name!r} was protected earlier: {why}; {UNKNOWN_FIX}",
    )


# ------------------------------------------------------------------ entry point


def _repository(desired: DesiredAccount) -> tuple[str, list[str]] | str:
    """The repository's top and the configuration paths inside it; or why the history cannot be read."""
    first = os.path.realpath(desired.paths[0]) if desired.paths else os.getcwd()
    where = first if os.path.isdir(first) else os.path.dirname(first)
    try:
        top = os.path.realpath(_git(where, "rev-parse", "--show-toplevel").strip())
    except GitFailed as failed:
        refused = dubious_ownership(str(failed))
        if refused:
            return refused
        return (
            f"{desired.paths[0] if desired.paths else where} is not in a git repository, whose history is what "
            "remembers protection; run in a clone of the configuration's repository"
        )
    try:
        _git(top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    except GitFailed:
        return f"the git repository at {top} has no commits yet; commit the configuration first"
    if _git(top, "rev-parse", "--is-shallow-repository").strip() == "true":
        return "the clone is shallow; check out with fetch-depth: 0"
    relatives = []
    for path in desired.paths:
        relative = os.path.relpath(os.path.realpath(path), top)
        if relative.startswith(".."):
            return f"{path} is outside the git repository at {top}"
        relatives.append(relative if os.path.isdir(path) else os.path.dirname(relative) or ".")
    return top, _outermost(relatives)


def _outermost(relatives: list[str]) -> list[str]:
    """The directories to walk, none inside another. A file named on the command line (a shell glob) stands for
    its directory: a file removed beside the given ones is still part of what the configuration was."""
    out: list[str] = []
    for relative in sorted(set(relatives), key=lambda r: (r.count("/"), r)):
        if under(relative, out) is None:
            out.append(relative)
    return out


def remember(desired: DesiredAccount, candidates: list[Candidate], env: Mapping[str, str]) -> tuple[Remembered, ...]:
    """What the history says of each list the plan would delete: only those it protects or cannot vouch for."""
    if not candidates:
        return ()
    try:
        repository = _repository(desired)
        if isinstance(repository, str):
            return tuple(_unknown(c, repository) for c in candidates)
        top, relatives = repository
        found, stopped = _walk_back(Walk(top, relatives), candidates)
        shas = {f.commit for f in found.values()} | {f.removed_in for f in found.values()}
        short = {sha: sha[:7] for sha in shas - {WORKING_TREE}}  # "the working tree" is not a hash to shorten
        at = {(f.commit, f.roots or tuple(relatives)) for f in found.values()}
        loaded = {key: _load_at(top, key[0], list(key[1]), env) for key in at}
    except GitFailed as failed:
        return tuple(_unknown(c, f"git failed: {failed}") for c in candidates)
    out = []
    for candidate in candidates:
        if candidate.list_id in found:
            state = found[candidate.list_id]
            decided = _decide(candidate, state, loaded[(state.commit, state.roots or tuple(relatives))], short)
            out += [decided] if decided else []
        elif stopped is not None:
            out.append(
                _unknown(
                    candidate,
                    f"it is not configured in the newest {MAX_COMMITS} commits that touched the configuration "
                    f"({stopped}; older history was not walked); to delete it, add an entry "
                    "for it with protect: false, commit and apply that, then remove it",
                )
            )
    return tuple(out)
