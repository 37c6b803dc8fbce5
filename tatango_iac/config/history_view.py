"""The history check's pure parts (config.history): what one YAML file says of list identity and protection,
and how ``git log --raw`` and git's rename detection are read. No git is run here."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional

from tatango_iac.config.yamlsafe import MAX_FILE_BYTES, YamlProblem, load_text


@dataclass(frozen=True)
class Candidate:
    """A list the plan would delete: its live id and the names it may have been configured under."""

    list_id: int
    name: str
    names: frozenset[str]


@dataclass
class FileView:
    """What one YAML file says of list identity (raw: no template or default sets these) and protect patterns."""

    ids: set[int] = field(default_factory=set)  # pinned entries that do not delete their list
    names: set[str] = field(default_factory=set)  # unpinned entries' names and renamed_from, likewise
    patterns: list[str] = field(default_factory=list)
    protected: set[int | str] = field(default_factory=set)  # ids and names of entries with protect: true

    def protects(self, candidate: Candidate) -> bool:
        """Protected in so many words (the entry's own protect: true, or a pattern): no template can undo it."""
        return bool(self.protected & ({candidate.list_id} | candidate.names)) or (
            pattern_for(self.patterns, candidate) is not None
        )

    def holds(self, candidate: Candidate) -> bool:
        return (
            candidate.list_id in self.ids
            or bool(self.names & candidate.names)
            or pattern_for(self.patterns, candidate) is not None
        )


def file_view(text: str, name: str) -> FileView:
    view = FileView()
    if len(text) > MAX_FILE_BYTES:  # refused by the loader then as now: that state was never applied
        return view
    try:
        documents = load_text(text, name)
    except YamlProblem:
        return view  # a broken state (never applied either): the newest readable one decides
    for document in documents:
        data = document.data if isinstance(document.data, dict) else {}
        account = data.get("account")
        if isinstance(account, dict) and isinstance(account.get("protect"), list):
            view.patterns += [str(p) for p in account["protect"]]
        lists = data.get("lists")
        for entry in lists if isinstance(lists, list) else []:
            if not isinstance(entry, dict) or entry.get("delete") is True:
                continue
            pinned = entry.get("id")
            keys: set[int | str]
            if isinstance(pinned, int) and not isinstance(pinned, bool):
                view.ids.add(pinned)
                keys = {pinned}
            else:
                names = {str(entry.get("name"))} | renamed_from(entry)
                view.names |= names
                keys = set(names)
            if entry.get("protect") is True:
                view.protected |= keys
    return view


def renamed_from(entry: Mapping[str, Any]) -> set[str]:
    value = entry.get("renamed_from")
    values = value if isinstance(value, list) else [value]
    return {str(v) for v in values if v is not None}


def pattern_for(patterns: Iterable[str], candidate: Candidate) -> Optional[str]:
    return next((p for p in patterns if any(fnmatch.fnmatchcase(n, p) for n in candidate.names)), None)


def parse_raw(raw: str) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """``git log --raw -z --format=%x01%H`` -> newest first: (commit, [(status, path, source, blob before)]).

    ``source`` is the path a rename or copy came from (else ``path``)."""
    commits: list[tuple[str, list[tuple[str, str, str, str]]]] = []
    for chunk in raw.split("\x01")[1:]:
        fields = [f.strip("\n") for f in chunk.split("\0")]
        sha, rest, changes = fields[0].split("\n", 1)[0].strip(), fields[1:], []
        i = 0
        while i < len(rest):
            meta = rest[i]
            if not meta.startswith(":"):
                i += 1
                continue
            status = meta.split()[4][:1]
            if status in "RC" and i + 2 < len(rest):
                changes.append((status, rest[i + 2], rest[i + 1], meta.split()[2]))
                i += 3
            elif i + 1 < len(rest):
                changes.append((status, rest[i + 1], rest[i + 1], meta.split()[2]))
                i += 2
            else:
                break
        commits.append((sha, changes))
    return commits


def under(path: str, roots: Iterable[str]) -> Optional[str]:
    """The tracked root the path is under (or is), else None."""
    return next((r for r in roots if r in (".", "") or path == r or path.startswith(r.rstrip("/") + "/")), None)


def renamed_roots(moves: list[tuple[str, str]], added: list[str], roots: list[str]) -> list[str]:
    """The paths the configuration had before a commit that moved files into it: a moved directory maps to its
    old directory, a moved file to its old path. Like ``git log --follow``, for a set of paths."""
    wanted, out = set(added), list[str]()
    for source, path in moves:
        if path not in wanted or under(source, roots) is not None:
            continue
        root = under(path, roots) or path
        rest = path if root in (".", "") else path[len(root.rstrip("/")) + 1 :]
        old = source[: -len(rest) - 1] if rest and source.endswith("/" + rest) else source
        if old and old not in out and under(old, roots + out) is None:
            out.append(old)
    return out
