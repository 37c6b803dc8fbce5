"""A configuration in a git repository, as in real use: a list delete asks the history (config.history)
whether the list was protected when last configured, and outside a repository it is refused."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def committed(path: Path) -> Path:
    """Make the directory holding ``path`` a git repository with everything in it committed; ``path`` back."""
    root = path if path.is_dir() else path.parent
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "--allow-empty", "-m", "configuration"]):
        subprocess.run(["git", *args], cwd=root, env=GIT_ENV, check=True, capture_output=True)
    return path
