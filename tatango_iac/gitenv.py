"""How the tool runs git: in the configuration's repository, whatever the caller's environment says.

A git hook (pre-commit, pre-push) runs with ``GIT_DIR``, ``GIT_INDEX_FILE`` and friends
set for the repository it fires in; an inherited ``GIT_DIR`` makes every git call read
that repository instead of the one ``cwd`` is in, so the history check would read another
repository's history and could plan a protected list for deletion. Every git call the tool
makes runs with ``git_env()``: the variables that choose a repository, work tree, index or
object store removed (the set ``git rev-parse --local-env-vars`` names, which git itself
clears when it moves into another repository), so ``cwd`` alone decides. Configuration
given with ``-c`` (``GIT_CONFIG_PARAMETERS``, ``GIT_CONFIG_COUNT``...) is kept: it names no
repository, and CI uses it for ``safe.directory``.
"""

from __future__ import annotations

import os
import re
from typing import Mapping, Optional

REPOSITORY_VARIABLES = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_GRAFT_FILE",
        "GIT_NO_REPLACE_OBJECTS",
        "GIT_REPLACE_REF_BASE",
        "GIT_SHALLOW_FILE",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
        "GIT_INTERNAL_SUPER_PREFIX",
    }
)

_DUBIOUS = re.compile(r"dubious ownership in repository at '([^']*)'")


def git_env(environ: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The environment for a git subprocess: the caller's, less every variable that picks a repository."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if k not in REPOSITORY_VARIABLES}


def dubious_ownership(stderr: str) -> Optional[str]:
    """git's refusal of a repository owned by another user (common in CI containers), said with its fix."""
    found = _DUBIOUS.search(stderr)
    if found is None:
        return None
    path = found.group(1)
    return (
        f"git refused the repository at {path}: it is owned by another user (git: 'detected dubious ownership'); "
        f"if you trust it, run: git config --global --add safe.directory {path}"
    )
