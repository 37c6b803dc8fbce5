"""Which configuration files a pull request changed, by git blob id, and the base files worth loading.

A pull-request plan used to load the whole configuration twice (now, and at the base
ref). A list whose file is byte for byte the same at the base ref has the same
definition there, unless a template or ``account:`` (defaults) it takes changed, so only
the changed files need loading at the base, plus the files that define ``account:`` or
``templates:`` (so that lists in changed files assemble as they did). When a file that
defines them changed, every list may be concerned: the caller loads everything.

Files are compared by git blob id: ``git ls-tree`` at the ref, ``git hash-object`` (with
the repository's filters, as a commit would store it) now; one git call each.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Callable

from tatango_iac.config.discover import SKIP_MARKER

# A top-level account: or templates: key, or a document in flow style (then we cannot tell cheaply: assume so).
_SHARED = re.compile(rb"^(?:account|templates)[ \t]*:|\A(?:\s*#[^\n]*\n)*\s*\{", re.MULTILINE)

Git = Callable[..., str]


@dataclass
class FileDiff:
    changed: set[str] = field(default_factory=set)  # repository paths: new, edited or deleted since the ref
    shared: set[str] = field(default_factory=set)  # unchanged files that define account: or templates:
    markers: set[str] = field(default_factory=set)  # .tatango-skip markers at the ref (the walk needs them)
    shared_changed: bool = False  # a changed file defines account: or templates: (at the ref or now)

    def base_files(self, at_ref: set[str]) -> list[str]:
        return sorted((self.changed & at_ref) | self.shared | self.markers)


def defines_shared(content: bytes) -> bool:
    return bool(_SHARED.search(content))


def walked(name: str, skipped: set[str]) -> bool:
    """Whether the configuration walk reads this file: not hidden, not under a directory with a skip marker."""
    parts = name.split("/")
    if any(part.startswith(".") for part in parts):
        return False
    return not any("/".join(parts[:i]) in skipped for i in range(1, len(parts)))


def blobs_at(git: Git, ref: str, relatives: list[str], top: str) -> dict[str, str]:
    """Repository path -> blob id of every file under the given paths at the ref."""
    out: dict[str, str] = {}
    listing = git("ls-tree", "-r", "-z", "--full-name", ref, "--", *relatives, cwd=top)
    for entry in listing.split("\0"):
        if "\t" in entry:
            meta, name = entry.split("\t", 1)
            out[name] = meta.split()[2]
    return out


def blobs_now(git: Git, files: list[str], top: str) -> dict[str, str]:
    """Repository path -> blob id of the files the walk found now."""
    names = [os.path.relpath(os.path.realpath(f), os.path.realpath(top)) for f in files]
    if not names:
        return {}
    ids = git("hash-object", "--stdin-paths", cwd=top, input="\n".join(names) + "\n").split()
    return dict(zip(names, ids, strict=True))


def diff_files(
    git: Git, ref: str, relatives: list[str], files: list[str], top: str, read_at_ref: Callable[[str], bytes]
) -> tuple[FileDiff, set[str]]:
    """What changed between the ref and now under the configuration paths; also the paths at the ref."""
    before = blobs_at(git, ref, relatives, top)
    now = blobs_now(git, files, top)
    diff = FileDiff(markers={n for n in before if os.path.basename(n) == SKIP_MARKER})
    skipped = {os.path.dirname(n) for n in diff.markers}
    yaml_before = {n for n in before if n.endswith((".yaml", ".yml")) and walked(n, skipped)}
    for name in sorted(yaml_before | set(now)):
        if before.get(name) == now.get(name):
            with open(os.path.join(top, name), "rb") as handle:
                if defines_shared(handle.read()):
                    diff.shared.add(name)
            continue
        diff.changed.add(name)
        old = read_at_ref(name) if name in before else b""
        current = b""
        if name in now:
            with open(os.path.join(top, name), "rb") as handle:
                current = handle.read()
        if defines_shared(old) or defines_shared(current):
            diff.shared_changed = True
    return diff, set(before)
