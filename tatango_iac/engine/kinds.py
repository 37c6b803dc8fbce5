"""What an action is, as types: its kind, its resource, and why it is planned (a reason code).

The codes are Terraform's idea (``replace_because_cannot_update``): a stable word a
program can branch on, next to the prose a person reads. No logic reads the prose.
Kinds and resources are ``str`` enums, so they compare equal to, and serialize as, the
words the plan JSON has always used.
"""

from __future__ import annotations

from enum import Enum
from typing import Iterable


class _Word(str, Enum):
    def __str__(self) -> str:  # the word itself in f-strings, on every Python version
        return str(self.value)


class Kind(_Word):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"


class Resource(_Word):
    LIST = "list"
    KEYWORDS = "keywords"
    OPT_IN_SETTINGS = "opt_in_settings"
    CUSTOM_FIELD = "custom_field"
    WEBHOOK = "webhook"


class Reason(_Word):
    CREATE_BECAUSE_MISSING = "create_because_missing"  # configured, not in the account
    CREATE_BECAUSE_CANNOT_UPDATE = "create_because_cannot_update"  # second half of a split replace
    UPDATE_BECAUSE_DIFFERS = "update_because_differs"
    UPDATE_BECAUSE_RENAMED = "update_because_renamed"  # renamed_from, or a pinned list's new name
    UPDATE_BECAUSE_SECRET_CHANGED = "update_because_secret_changed"  # a ${VAR} in the URL has a new value
    UPDATE_TO_RELEASE_KEYWORDS = "update_to_release_keywords"  # frees keywords another list claims first
    REPLACE_BECAUSE_CANNOT_UPDATE = "replace_because_cannot_update"  # the API has no update for it
    DELETE_BY_REQUEST = "delete_by_request"  # delete: true
    DELETE_BECAUSE_PRUNED = "delete_because_pruned"  # a list no file manages, with account.prune
    DELETE_BECAUSE_NO_CONFIGURATION = "delete_because_no_configuration"  # not in its managed collection
    DELETE_BECAUSE_DUPLICATE = "delete_because_duplicate"  # a second live object with the same identity
    DELETE_BECAUSE_CANNOT_UPDATE = "delete_because_cannot_update"  # first half of a split replace
    DELETE_TO_RELEASE_LABEL = "delete_to_release_label"  # frees a label another field is created with


# Every (kind, resource) the planner may produce: the applier's handler table and the renderers must
# cover exactly these (checked when they are imported).
POSSIBLE: frozenset[tuple[Kind, Resource]] = frozenset(
    {
        (Kind.CREATE, Resource.LIST),
        (Kind.UPDATE, Resource.LIST),
        (Kind.DELETE, Resource.LIST),
        (Kind.UPDATE, Resource.KEYWORDS),
        (Kind.CREATE, Resource.OPT_IN_SETTINGS),
        (Kind.UPDATE, Resource.OPT_IN_SETTINGS),
        (Kind.CREATE, Resource.CUSTOM_FIELD),
        (Kind.REPLACE, Resource.CUSTOM_FIELD),
        (Kind.DELETE, Resource.CUSTOM_FIELD),
        (Kind.CREATE, Resource.WEBHOOK),
        (Kind.UPDATE, Resource.WEBHOOK),
        (Kind.DELETE, Resource.WEBHOOK),
    }
)

# The reasons each kind may carry; the first is the kind's plain reason.
REASONS: dict[Kind, tuple[Reason, ...]] = {
    Kind.CREATE: (Reason.CREATE_BECAUSE_MISSING, Reason.CREATE_BECAUSE_CANNOT_UPDATE),
    Kind.UPDATE: (
        Reason.UPDATE_BECAUSE_DIFFERS,
        Reason.UPDATE_BECAUSE_RENAMED,
        Reason.UPDATE_BECAUSE_SECRET_CHANGED,
        Reason.UPDATE_TO_RELEASE_KEYWORDS,
    ),
    Kind.REPLACE: (Reason.REPLACE_BECAUSE_CANNOT_UPDATE,),
    Kind.DELETE: (
        Reason.DELETE_BECAUSE_NO_CONFIGURATION,
        Reason.DELETE_BY_REQUEST,
        Reason.DELETE_BECAUSE_PRUNED,
        Reason.DELETE_BECAUSE_DUPLICATE,
        Reason.DELETE_BECAUSE_CANNOT_UPDATE,
        Reason.DELETE_TO_RELEASE_LABEL,
    ),
}


def check_complete(table: Iterable[tuple[Kind, Resource]], what: str) -> None:
    """Refuse (at import) a table keyed by (kind, resource) that misses or adds a combination."""
    keys = set(table)
    missing, extra = POSSIBLE - keys, keys - POSSIBLE
    if missing or extra:

        def shown(pairs: Iterable[tuple[Kind, Resource]]) -> str:
            return ", ".join(sorted(f"{kind} {resource}" for kind, resource in pairs)) or "none"

        raise RuntimeError(
            f"{what} does not cover exactly the possible actions: missing {shown(missing)}; unexpected {shown(extra)}"
        )


def _check_reasons() -> None:
    every = [r for reasons in REASONS.values() for r in reasons]
    if sorted(every) != sorted(Reason) or set(REASONS) != set(Kind):
        raise RuntimeError("every reason code belongs to exactly one kind")


_check_reasons()
