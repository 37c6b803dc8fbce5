"""Which files make up the configuration: PATH arguments, directories walked in sorted order.

Nothing under a given path is skipped silently: a sub-directory or file that cannot be
read is an error (a skipped directory would leave its lists unmanaged, and with prune
they would be deleted). A FIFO, socket or device named ``*.yaml`` is refused without
being opened. Hidden files and directories (``.git``, ``.github``...) are not
configuration; neither is a directory holding a ``.tatango-skip`` marker.
"""

from __future__ import annotations

import os
import stat
from typing import Iterable

from tatango_iac.config.diagnostics import ERROR, Diagnostic

YAML_SUFFIXES = (".yaml", ".yml")
SKIP_MARKER = ".tatango-skip"


def _problem(path: str, message: str, rule: str = "file") -> Diagnostic:
    return Diagnostic(os.path.normpath(path), 1, 1, ERROR, message, rule)


def _walk(root: str, problems: list[Diagnostic]) -> list[str]:
    found: list[str] = []
    visited: set[str] = set()

    def unreadable(error: OSError) -> None:
        problems.append(_problem(error.filename or root, f"cannot read directory: {error.strerror}"))

    for directory, dirs, files in os.walk(root, onerror=unreadable, followlinks=True):
        real = os.path.realpath(directory)
        if real in visited:  # a symlink loop, or the same directory linked twice
            dirs[:] = []
            continue
        visited.add(real)
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and not os.path.lexists(os.path.join(directory, d, SKIP_MARKER))
        )
        for name in files:
            if name.endswith(YAML_SUFFIXES) and not name.startswith("."):
                found.append(os.path.join(directory, name))
    return found


def _regular(path: str, problems: list[Diagnostic]) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        problems.append(_problem(path, f"cannot read: {exc.strerror}"))
        return False
    if not stat.S_ISREG(mode):
        problems.append(_problem(path, "not a regular file (a FIFO, socket or device); refused"))
        return False
    return True


def discover(paths: Iterable[str]) -> tuple[list[tuple[str, str]], list[Diagnostic]]:
    """Files to read as (real path, display path), sorted within each directory."""
    found: list[tuple[str, str]] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if os.path.isdir(path):
            matches = _walk(path, problems)
            if not matches and not problems:
                problems.append(_problem(path, "directory contains no *.yaml or *.yml file", "no-files"))
            found.extend((m, os.path.normpath(m)) for m in sorted(matches) if _regular(m, problems))
        elif os.path.lexists(path):
            if _regular(path, problems):
                found.append((path, os.path.normpath(path)))
        else:
            problems.append(_problem(path, "no such file or directory", "no-files"))
    unique: dict[str, tuple[str, str]] = {}
    for real, shown in found:
        unique.setdefault(os.path.realpath(real), (real, shown))
    return list(unique.values()), problems
