"""Where export writes each live list, given what the output directory already holds.

- A live list already defined there is found by its ``id:`` pin first, then (when its name
  is unique in the account) by an unpinned entry of that name: a pinned list renamed in
  the web UI is still the same list, never written a second time.
- Export owns a file that defines exactly that one list and no ``account:``: ``--force``
  rewrites it. A hand-written file that defines other lists too is never overwritten.
- A new list gets a file name no other file has, on disk or in this run: two names that
  give the same file name both get a file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from tatango_iac.config.discover import discover
from tatango_iac.config.yamlsafe import YamlProblem, load_file
from tatango_iac.model import LiveList


@dataclass(frozen=True)
class Entry:
    """One list entry of a file in the output directory."""

    name: Any
    id: Optional[int]
    file: str  # as found (the output directory joined with its relative path)
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Existing:
    entries: list[Entry] = field(default_factory=list)
    per_file: dict[str, list[Entry]] = field(default_factory=dict)
    account_files: set[str] = field(default_factory=set)

    def defining(self, lst: LiveList, name_is_unique: bool) -> Optional[Entry]:
        """The entry that manages this live list: its id pin first, then its name (unpinned, unique)."""
        pinned = next((e for e in self.entries if e.id == lst.id), None)
        if pinned is not None:
            return pinned
        if not name_is_unique:
            return None
        return next((e for e in self.entries if e.id is None and e.name == lst.name), None)

    def owned(self, entry: Entry) -> bool:
        """Export may rewrite this file: it holds only this list's entry (what export writes)."""
        return len(self.per_file.get(entry.file, [])) == 1 and entry.file not in self.account_files


def scan(directory: str) -> Existing:
    """Every list entry written in the directory, read leniently (an unreadable file defines nothing)."""
    existing = Existing()
    if not os.path.isdir(directory):
        return existing
    files, _problems = discover([directory])
    for real, shown in files:
        try:
            documents, _raw = load_file(real, shown)
        except YamlProblem:
            continue
        for located in documents:
            data = located.data if isinstance(located.data, dict) else {}
            if "account" in data:
                existing.account_files.add(shown)
            lists = data.get("lists")
            for index, item in enumerate(lists if isinstance(lists, list) else []):
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    pin = item.get("id") if isinstance(item.get("id"), int) else None
                    entry = Entry(item["name"], pin, shown, located.where(("lists", index))[0])
                    existing.entries.append(entry)
                    existing.per_file.setdefault(shown, []).append(entry)
    return existing


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "list"


def free_file_name(directory: str, lst: LiveList, pinned: bool, taken: set[str]) -> str:
    """A name in ``directory`` that no file has and no other list of this run takes (compared case-blind:
    two names that differ in case only are one file on macOS and Windows)."""
    base = slug(lst.name)
    candidates = ([] if pinned else [f"{base}.yaml"]) + [f"{base}-{lst.id}.yaml"]
    candidates += [f"{base}-{lst.id}-{n}.yaml" for n in range(2, len(taken) + 3)]
    for name in candidates:
        if name.lower() not in taken and not os.path.lexists(os.path.join(directory, name)):
            taken.add(name.lower())
            return name
    raise AssertionError("unreachable: more candidates than names taken")
