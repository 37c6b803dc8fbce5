"""The I/O behind ``gitops.pending``: main's first-parent history from git, each merge's pull request and
apply record from GitHub (the ``gh`` command line, which the runner has and which holds the job's token).

Every argument goes to git and gh as one argv item (no shell); the repository name and every number read
back are checked before they are used in an API path.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from typing import Any, Iterator, Optional, Sequence

from tatango_iac.gitenv import git_env
from tatango_iac.gitops.pending import LOOKBACK, Merge, PendingError, Record

TIMEOUT = 60
REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
SHA = re.compile(r"^[0-9a-f]{40}$")
CONTEXT = re.compile(r"^[\w./:-]{1,100}$")


def _run(command: Sequence[str], cwd: Optional[str] = None) -> str:
    try:
        done = subprocess.run(
            list(command), capture_output=True, text=True, timeout=TIMEOUT, check=False, cwd=cwd, env=git_env()
        )
    except FileNotFoundError:
        raise PendingError(f"{command[0]} is not installed on this runner") from None
    except subprocess.TimeoutExpired:
        raise PendingError(f"{command[0]} {command[1]} did not answer in {TIMEOUT} s") from None
    if done.returncode != 0:
        raise PendingError(f"{' '.join(command[:3])}: {done.stderr.strip() or 'failed'}")
    return done.stdout


def check_repository(repo: str) -> str:
    if not REPOSITORY.match(repo):
        raise PendingError(f"the repository must be OWNER/NAME, not {repo!r}")
    return repo


def check_context(context: str) -> str:
    if not CONTEXT.match(context):
        raise PendingError(f"the status context must be letters, digits and ._/:- (at most 100), not {context!r}")
    return context


def merges_of(paths: Sequence[str], limit: int = LOOKBACK) -> list[str]:
    """The commits of HEAD's first-parent history that changed the configuration, newest first."""
    first = os.path.abspath(paths[0])
    where = first if os.path.isdir(first) else os.path.dirname(first)
    top = _run(["git", "rev-parse", "--show-toplevel"], cwd=where).strip()
    if _run(["git", "rev-parse", "--is-shallow-repository"], cwd=top).strip() == "true":
        raise PendingError(
            "this is a shallow clone, so the merges since the last applied one cannot be found: check out "
            "the whole history (actions/checkout with fetch-depth: 0)"
        )
    specs = [os.path.abspath(path) for path in paths]
    out = _run(["git", "log", "--first-parent", f"--max-count={limit + 1}", "--format=%H", "HEAD", "--", *specs], top)
    return [line for line in out.split() if SHA.match(line)]


def _gh_json(path: str) -> Any:
    text = _run(["gh", "api", path])
    try:
        return json.loads(text)
    except ValueError:
        raise PendingError(f"gh api {path}: the answer is not JSON") from None


def pull_request_of(repo: str, sha: str) -> Optional[int]:
    """The pull request merged as this commit (GitHub's association), or None for a direct push."""
    answer = _gh_json(f"repos/{repo}/commits/{sha}/pulls")
    if not isinstance(answer, list):
        raise PendingError(f"GitHub's answer about the pull request of {sha} is not a list")
    merged = [p for p in answer if isinstance(p, dict) and p.get("merged_at", True)]
    if not merged:
        return None
    number = merged[0].get("number")
    if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 10**10:
        raise PendingError(f"the pull request GitHub names for {sha} must be a number, not {str(number)!r}")
    return number


def record_of(repo: str, sha: str, context: str) -> Record:
    """The apply job's status on this commit (the newest of its context, as the combined status gives it)."""
    answer = _gh_json(f"repos/{repo}/commits/{sha}/status")
    statuses = answer.get("statuses") if isinstance(answer, dict) else None
    if not isinstance(statuses, list):
        raise PendingError(f"GitHub's answer about the statuses of {sha} has no list of statuses")
    state = next((s.get("state") for s in statuses if isinstance(s, dict) and s.get("context") == context), None)
    return Record.of(state if isinstance(state, str) else None)


def history(repo: str, paths: Sequence[str], context: str, limit: int = LOOKBACK) -> Iterator[Merge]:
    """Main's merges newest first, each asked of GitHub only when the walk gets to it."""
    check_repository(repo)
    check_context(context)
    for sha in merges_of(paths, limit):
        yield Merge(sha, pull_request_of(repo, sha), record_of(repo, sha, context))
