"""Which lists a plan covers: all of them, the --target lists, or those changed since a git ref."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional

from tatango_iac.model import DesiredList


@dataclass(frozen=True)
class Scope:
    kind: str = "all"  # "all" | "target" | "changed_since"
    lists: frozenset[str] = frozenset()  # list names in scope (not "all")
    removed: frozenset[str] = frozenset()  # changed_since: names that left the configuration since the ref
    ref: Optional[str] = None

    @classmethod
    def targets(cls, names: Iterable[str]) -> "Scope":
        names = frozenset(names)
        return cls("target", names) if names else cls()

    @property
    def full(self) -> bool:
        return self.kind == "all"

    def selects(self, lst: DesiredList) -> bool:
        return self.full or lst.name in self.lists

    def to_json(self) -> dict[str, Any]:
        if self.full:
            return {"kind": "all"}
        data: dict[str, Any] = {"kind": self.kind, "lists": sorted(self.lists)}
        if self.kind == "changed_since":
            data.update(ref=self.ref, removed=sorted(self.removed))
        return data

    @classmethod
    def from_json(cls, data: Optional[dict[str, Any]], targets: Iterable[str] = ()) -> "Scope":
        if not data or data.get("kind") in (None, "all"):
            return cls.targets(targets)
        return cls(data["kind"], frozenset(data.get("lists") or ()), frozenset(data.get("removed") or ()),
                   data.get("ref"))
