"""Which lists a plan covers: all of them, the --target lists, or those changed since a git ref."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterable, Mapping, Optional

from tatango_iac.model import DesiredList


class Memory(Enum):
    """What the configuration's git history says of a list a plan would delete (config.history)."""

    PROTECTED = "protected"  # protected when last configured, removed without lifting: never deleted
    UNKNOWN = "unknown"  # the history cannot tell (shallow clone, no repository, past the cap): refused


@dataclass(frozen=True)
class Remembered:
    list_id: int
    name: str
    memory: Memory
    reason: str  # the sentence the plan shows: which commit protected it, or why the history cannot tell
    protected_by: str = ""  # PROTECTED: which commit protected it and where it was removed (the reason's core)

    def to_json(self) -> dict[str, Any]:
        data = {"id": self.list_id, "name": self.name, "memory": self.memory.value, "reason": self.reason}
        return {**data, "protected_by": self.protected_by} if self.protected_by else data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Remembered":
        memory = Memory(data["memory"])
        return cls(int(data["id"]), str(data["name"]), memory, str(data["reason"]), str(data.get("protected_by", "")))


@dataclass(frozen=True)
class Scope:
    kind: str = "all"  # "all" | "target" | "changed_since"
    lists: frozenset[str] = frozenset()  # list names in scope (not "all")
    removed: frozenset[str] = frozenset()  # changed_since: names that left the configuration since the ref
    ref: Optional[str] = None
    # What was protected at the ref (engine.protection): entries' names with protect: true, and the
    # account.protect patterns. Protection lifted in the same change as a delete refuses the delete.
    base_protected: frozenset[str] = frozenset()
    base_patterns: tuple[str, ...] = ()
    # --exclude: lists (by name, configured or not) left out of this plan: not read, planned, reported or pruned.
    excluded: frozenset[str] = frozenset()
    # changed_since: each list's top-level fields at the ref (list key -> field -> canonical JSON), so the
    # planner can tell the pull request's edits from reverts of changes made outside the tool
    # (engine.pr_origin). In memory only: never serialized (values may be resolved ${...} secrets).
    base_fields: Optional[Mapping[str, Mapping[str, str]]] = field(default=None, compare=False, repr=False)
    # Why this plan covers every list although --changed-since was given (the configuration at the ref does
    # not load): the plan's warnings carry it, so the pull-request comment shows it, not only the job log.
    fallback: Optional[str] = field(default=None, compare=False)
    # Protection that outlives the configuration (config.history): what the git history says of the lists
    # this plan would delete. history_check False: --no-history-check, the deletes go unchecked.
    history: tuple[Remembered, ...] = ()
    history_check: bool = True
    # changed_since: the configuration moved since the ref (config.moved) and was compared at its old
    # location; the plan's warnings say so.
    moved: Optional[str] = field(default=None, compare=False)

    def remembered(self, list_id: Any) -> Optional[Remembered]:
        return next((r for r in self.history if r.list_id == list_id), None)

    @classmethod
    def targets(cls, names: Iterable[str]) -> "Scope":
        names = frozenset(names)
        return cls("target", names) if names else cls()

    @property
    def full(self) -> bool:
        return self.kind == "all"

    def selects(self, lst: DesiredList) -> bool:
        return lst.name not in self.excluded and (self.full or lst.name in self.lists)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if not self.full:
            data["lists"] = sorted(self.lists)
        if self.kind == "changed_since":
            data.update(ref=self.ref, removed=sorted(self.removed))
        if self.excluded:
            data["excluded"] = sorted(self.excluded)
        if self.history:
            data["history"] = [r.to_json() for r in self.history]
        if not self.history_check:
            data["history_check"] = False
        if self.base_protected or self.base_patterns:
            data["protected_at_ref"] = {
                "ref": self.ref,
                "lists": sorted(self.base_protected),
                "patterns": list(self.base_patterns),
            }
        return data

    @classmethod
    def from_json(cls, data: Optional[dict[str, Any]], targets: Iterable[str] = ()) -> "Scope":
        base = (data or {}).get("protected_at_ref") or {}
        names: frozenset[str] = frozenset(base.get("lists") or ())
        patterns: tuple[str, ...] = tuple(base.get("patterns") or ())
        excluded: frozenset[str] = frozenset((data or {}).get("excluded") or ())
        history = tuple(Remembered.from_json(r) for r in (data or {}).get("history") or ())
        check = (data or {}).get("history_check", True) is not False
        if not data or data.get("kind") in (None, "all"):
            scope = cls.targets(targets)
            return cls(
                scope.kind,
                scope.lists,
                ref=base.get("ref"),
                base_protected=names,
                base_patterns=patterns,
                excluded=excluded,
                history=history,
                history_check=check,
            )
        return cls(
            data["kind"],
            frozenset(data.get("lists") or ()),
            frozenset(data.get("removed") or ()),
            data.get("ref"),
            names,
            patterns,
            excluded,
            history=history,
            history_check=check,
        )
