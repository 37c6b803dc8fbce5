"""The forms record (§13): what apply sent and what the account then held, so no loop follows (pure, no I/O).

A difference the API introduces itself (a custom field's max_length 500 stored as 255, a
setting kept as another value) is reported by apply's read-back ("the API accepted X but
holds Y"). Without memory, every later plan would plan it again: an update that never
sticks, or for a custom field a destructive replace, night after night. So apply writes,
for each (list id, address, attribute) the re-read showed held differently, a keyed digest
of the value sent and of the value held. The planner then treats a difference whose
configured value digests to ``sent`` and whose live value digests to ``held`` as "the API
stores X as Y": no action, a note. A new configured value, or a live value someone changed
since (the web UI), no longer matches: planned as usual.

The mechanism knows no attribute: a difference is whatever the planner's own actions say
differs (the top-level attribute of each change, or a list's keyword set), taken by the
same function (``differences``) when recording and when planning, so the two always agree.
Digests are HMACs under the account's key (``digests.py``): a cached or uploaded record
lets nobody test guesses of a webhook token. The record's ``key_check`` says which key, so a
rotated API key (every digest then differs) is warned of rather than silently forgotten.

An entry is matched by list id and the address inside the list (``inside``), not by the
list's name, so a renamed list keeps its record.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Optional

from tatango_iac.digests import PREFIX, DigestKey
from tatango_iac.engine.diffs import plain
from tatango_iac.engine.kinds import Kind, Resource
from tatango_iac.engine.plan import Action
from tatango_iac.errors import TatangoIacError
from tatango_iac.model import LiveAccount
from tatango_iac.secrets import display

FORMAT = "tatango-iac forms record"
VERSION = 1
SOURCE = "record"  # the stored_forms entries this module adds (engine.forms adds "form" ones)
# Never recorded: the list's identity (a rename that does not stick must show) and a webhook URL (its identity,
# and a secret's new value must always be written).
_NEVER = ("name", "callback_url")

EntryKey = tuple[int, str, str]  # (list id, the address inside the list, attribute)
Place = tuple[int, str]  # (list id, the address inside the list)
_LIST_LABEL = re.compile(r'list\[("(?:[^"\\]|\\.)*")(?:, id=\d+)?\]')


def inside(address: str) -> str:
    """The address without its list's label: ``list["A"].custom_field["notes"]`` -> ``.custom_field["notes"]``.

    Entries are matched by list id and this, never by the list's name: a rename (``renamed_from``, or in the
    web UI) keeps the list id and must keep the record, or the destructive replace comes back."""
    found = _LIST_LABEL.match(address)
    return address[found.end() :] if found else address


def place(list_id: int, address: str) -> Place:
    return (list_id, inside(address))


def entry_key(list_id: int, address: str, attribute: str) -> EntryKey:
    return (list_id, inside(address), attribute)


class RecordShapeError(TatangoIacError):
    """The record's content is not what apply writes: the message names what, ``path`` where (keys and indexes,
    which the file's reader turns into line:column)."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()):
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class Entry:
    list_id: int
    address: str
    attribute: str
    sent: str  # keyed digest of the value apply sent (the configured value)
    held: str  # keyed digest of the value the account then held
    at: str  # when apply saw it (UTC, ISO 8601)

    @property
    def key(self) -> EntryKey:
        return entry_key(self.list_id, self.address, self.attribute)

    def to_json(self) -> dict[str, Any]:
        return {
            "list_id": self.list_id,
            "address": self.address,
            "attribute": self.attribute,
            "sent": self.sent,
            "held": self.held,
            "at": self.at,
        }


@dataclass
class FormsRecord:
    entries: dict[EntryKey, Entry] = field(default_factory=dict)
    # key_check(key) of the credentials the entries were digested under ("" in a file from before it existed):
    # after an API key rotation every digest differs, and this is how a plan can say so instead of silently
    # planning the recorded differences again.
    key_check: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            **({"key_check": self.key_check} if self.key_check else {}),
            "entries": [self.entries[k].to_json() for k in sorted(self.entries)],
        }


_KEY_CHECK = "tatango-iac forms record key check"  # a public constant: its keyed digest reveals nothing of the key


def key_check(key: DigestKey) -> str:
    return key.digest(_KEY_CHECK)


def unmatched_by_key(record: Optional[FormsRecord], key: DigestKey) -> int:
    """How many entries can match nothing because they were digested under other credentials (a rotated key)."""
    if record is None or not record.key_check or record.key_check == key_check(key):
        return 0
    return len(record.entries)


def rotation_warning(count: int) -> list[str]:
    if not count:
        return []
    return [
        f"the forms record holds {count} entr{'y' if count == 1 else 'ies'} digested under other API credentials "
        "(the API key was rotated since they were recorded): they match nothing now, so the differences they "
        "record are planned again (a custom field as a destructive replace). Write the held values in the "
        "configuration, or run the apply that records them again under the new key (a destructive replace needs "
        "--allow-destroy: only if losing the stored values is acceptable); the next apply drops the old entries"
    ]


@dataclass(frozen=True)
class Difference:
    attribute: str
    sent: Any  # the configured value, as the action would send it
    held: Any  # the live value


# ------------------------------------------------------------------ shape


_DIGEST_LENGTH = len(PREFIX) + 32


def _digest(value: Any) -> bool:
    return isinstance(value, str) and len(value) == _DIGEST_LENGTH and value.startswith(PREFIX)


def _text(limit: int) -> Any:
    return lambda v: isinstance(v, str) and 0 < len(v) <= limit


# Each field apply writes: how to check it, and what it must be (for the message).
_FIELDS: dict[str, tuple[Any, str]] = {
    "list_id": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0, "a list id (a whole number > 0)"),
    "address": (_text(2000), "an address (text, at most 2000 characters)"),
    "attribute": (_text(200), "an attribute name (text, at most 200 characters)"),
    "sent": (_digest, "a keyed digest (hmac-sha256:...)"),
    "held": (_digest, "a keyed digest (hmac-sha256:...)"),
    "at": (lambda v: _time(v) is not None, "a UTC time as apply writes it (2026-12-01T02:14:30Z)"),
}
_TOP = ("format", "version", "key_check", "entries")


def _time(value: Any) -> Optional[datetime]:
    if not isinstance(value, str) or len(value) != 20:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None


def record_from_json(data: Any) -> FormsRecord:
    """The record a file holds (already parsed); RecordShapeError names the first thing that is not as written."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecordShapeError(f'not a {FORMAT} file (no "format": "{FORMAT}")')
    if data.get("version") != VERSION:
        raise RecordShapeError(f"version {json.dumps(data.get('version'))}, expected {VERSION}", ("version",))
    unknown_top = [k for k in data if k not in _TOP]
    if unknown_top:
        raise RecordShapeError(
            f"unknown key {json.dumps(unknown_top[0])} (apply writes only {', '.join(_TOP)})", (unknown_top[0],)
        )
    check = data.get("key_check", "")
    if check != "" and not _digest(check):
        raise RecordShapeError("key_check: not a keyed digest (hmac-sha256:...)", ("key_check",))
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise RecordShapeError('"entries" is not a list', ("entries",))
    record = FormsRecord(key_check=check)
    for index, raw in enumerate(entries):
        where = f"entries[{index}]"
        if not isinstance(raw, dict):
            raise RecordShapeError(f"{where}: not an object", ("entries", index))
        unknown = sorted(set(raw) - set(_FIELDS))
        if unknown:
            raise RecordShapeError(f"{where}: unknown key {json.dumps(unknown[0])}", ("entries", index, unknown[0]))
        for name, (valid, what) in _FIELDS.items():
            if not valid(raw.get(name)):
                raise RecordShapeError(f"{where}.{name}: missing or not {what}", ("entries", index, name))
        entry = Entry(**raw)
        if entry.key in record.entries:
            raise RecordShapeError(f"{where}: a second entry for {entry.address} {entry.attribute}", ("entries", index))
        record.entries[entry.key] = entry
    return record


# ------------------------------------------------------------ differences


def _top(path: str) -> str:
    return path.split("[", 1)[0].split(".", 1)[0]


class Keywords:
    """Each live list's keyword set, by list id (built once: a plan may hold an action per list)."""

    def __init__(self, live: LiveAccount):
        self._by_id = {lst.id: sorted(lst.keywords) for lst in live.lists}

    def of(self, list_id: int) -> Optional[list[str]]:
        return self._by_id.get(list_id)


def differences(action: Action, keywords: Keywords) -> list[Difference]:
    """What an update or replace of an existing object changes, attribute by attribute (top-level).

    Used on the planner's steps (before ordering) and on the read-back's fresh plan alike."""
    if action.action not in (Kind.UPDATE, Kind.REPLACE) or action.list_id is None:
        return []
    if action.resource is Resource.KEYWORDS:  # a set: sent is what the list should hold, held what it holds
        held = keywords.of(action.list_id)
        return [Difference("keyword_names", sorted(action.payload.get("keyword_names") or []), held)]
    before, after = action.before or {}, action.after or {}
    tops = list(dict.fromkeys(_top(str(c.get("path", ""))) for c in action.changes))
    if not tops or any(top in _NEVER or top not in after for top in tops):
        return []
    return [Difference(top, plain(after[top]), plain(before.get(top))) for top in tops]


def _matches(record: FormsRecord, action: Action, diff: Difference, key: DigestKey) -> Optional[Entry]:
    assert action.list_id is not None
    entry = record.entries.get(entry_key(action.list_id, action.address, diff.attribute))
    if entry is None or entry.sent != key.digest(diff.sent) or entry.held != key.digest(diff.held):
        return None
    return entry


def _note_entry(action: Action, diff: Difference, entry: Entry) -> dict[str, Any]:
    return {
        "address": action.address,
        "attribute": diff.attribute,
        "configured": display(diff.sent),
        "held": display(diff.held),
        "source": SOURCE,
        "list_id": action.list_id,
        "recorded_at": entry.at,
        "detail": detail(action, diff.attribute),
    }


def recorded_forms(actions: Iterable[Action], record: FormsRecord, live: LiveAccount, key: DigestKey) -> RecordedForms:
    """Which actions the record explains away (every difference recorded, both digests matching), and the notes.

    An action with one recorded difference and one real one stays (the real change is applied; the
    recorded value is sent with it and held as before): its recorded differences are still noted."""
    out, keywords = RecordedForms(), Keywords(live)
    for action in actions:
        diffs = differences(action, keywords)
        matched = [(d, e) for d in diffs if (e := _matches(record, action, d, key)) is not None]
        notes = [_note_entry(action, d, e) for d, e in matched]
        out.used += [e for _d, e in matched]
        if diffs and len(matched) == len(diffs):
            out.dropped.append(action)
        elif matched:
            _unshow(action, notes)
        out.forms += notes
    return out


def _unshow(action: Action, notes: list[dict[str, Any]]) -> None:
    """An action kept for another attribute: a recorded one is no change of its own, so the diff does not show it
    as one (``255 -> 500`` under a replace would contradict the note); it is named for what it is instead."""
    recorded = {n["attribute"] for n in notes}
    action.changes = [c for c in action.changes if _top(str(c.get("path", ""))) not in recorded]
    for note in notes:
        note["sent_with"] = action.action.value
        action.notes.append(
            f"{note['attribute']}: {_shown(note['configured'])} (the API stores it as {_shown(note['held'])}; "
            f"recorded by apply at {note['recorded_at']}): sent again with this {action.action.value}, "
            "and expected to be held that way again"
        )


@dataclass
class RecordedForms:
    dropped: list[Action] = field(default_factory=list)  # planned for nothing: the API stores these so
    forms: list[dict[str, Any]] = field(default_factory=list)  # stored_forms entries, source "record"
    used: list[Entry] = field(default_factory=list)  # the entries that matched (dropped or noted)

    def summary(self, key: DigestKey) -> dict[str, Any]:
        """What a saved plan keeps of the record it was made with: how many entries it used and their keyed
        digest (never the entries: a plan file is an artifact), so apply can tell "made with another record"."""
        used = sorted({e.key: e.to_json() for e in self.used}.items())
        return {"entries": len(used), "digest": key.digest([entry for _key, entry in used])}


def _planned(form: dict[str, Any]) -> str:
    kind = form.get("sent_with")
    if kind:  # the object changes anyway (another attribute): saying "no change" would be false
        return f"the {kind} planned for another attribute sends it again, and the API is expected to store it so again"
    return "no change is planned for it"


def record_notes(forms: list[dict[str, Any]]) -> list[str]:
    return [
        f"{f['address']}: the API stores {f.get('detail') or _pair(f['attribute'], f['configured'], f['held'])} "
        f"(recorded by apply at {f['recorded_at']}; {_planned(f)}): write "
        f"{'the held values' if f.get('detail') else _shown(f['held'])} in the configuration, or report it with "
        "`tatango-iac doctor --record`"
        for f in forms
        if f.get("source") == SOURCE
    ]


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 200 else text[:197] + "..."


# ------------------------------------------------------------- recording


@dataclass(frozen=True)
class Observation:
    """One value the read-back found held in another form than sent: its entry, and how to show it."""

    entry: Entry
    sent: Any  # display-safe
    held: Any  # display-safe
    detail: str = ""  # the leaves that differ inside a collection ("opt_in_requests[0].follow_up_hour 3 as 4")

    def line(self) -> str:
        return (
            f"{self.entry.address}: the API stored {self.detail or _pair(self.entry.attribute, self.sent, self.held)}; "
            f"write {'the held values' if self.detail else _shown(self.held)} in the configuration, or report it "
            "with `tatango-iac doctor --record`"
        )


def _pair(attribute: str, sent: Any, held: Any) -> str:
    return f"{attribute} {_shown(sent)} as {_shown(held)}"


def detail(action: Action, attribute: str) -> str:
    """Inside a collection (opt-in requests), the leaves that differ, from the planner's own changes ("" if none)."""
    leaves = [
        c
        for c in action.changes
        if _top(str(c.get("path", ""))) == attribute and c.get("path") != attribute and "op" not in c
    ]
    return ", ".join(_pair(str(c["path"]), c.get("after"), c.get("before")) for c in leaves)


def written(applied: Iterable[Action]) -> dict[str, set[str]]:
    """The attributes each address was sent by the applied actions (a keyword set is sent as keyword_names)."""
    out: dict[str, set[str]] = {}
    for action in applied:
        out.setdefault(action.address, set()).update(action.after or {}, action.payload or {})
    return out


def observed(
    actions: Iterable[Action], live: LiveAccount, key: DigestKey, at: str, sent: dict[str, set[str]]
) -> list[Observation]:
    """For the read-back's fresh actions that show a value the API accepted but holds otherwise: their entries.

    Only attributes this apply sent (``sent``, from ``written``): a difference beside them that someone else
    made meanwhile is not the API's form of our value, and stays a change to plan."""
    out, keywords = [], Keywords(live)
    for action in actions:
        for diff in differences(action, keywords):
            if diff.attribute not in sent.get(action.address, set()):
                continue
            assert action.list_id is not None  # differences() returns none without it
            entry = Entry(
                action.list_id, action.address, diff.attribute, key.digest(diff.sent), key.digest(diff.held), at
            )
            out.append(Observation(entry, display(diff.sent), display(diff.held), detail(action, diff.attribute)))
    return out


def merged(
    old: FormsRecord,
    new: list[Entry],
    touched: set[Place],
    still_recorded: set[EntryKey],
    live_ids: set[int],
    check: str,
) -> FormsRecord:
    """The record after an apply.

    - an entry of a list that no longer exists goes (the file stays bounded by the account);
    - at an address this apply wrote, only what the re-read confirmed stays: old entries the fresh plan
      still matched, and the new ones (a value now held as sent, or held otherwise, replaces its entry);
    - everything else is kept as it was (this apply did not write it, so the re-read says nothing of it);
    - but entries digested under other credentials (``check``: the current key_check) can never match again:
      they go, and the file says which key its entries are under."""
    out = FormsRecord(key_check=check)
    rotated = bool(old.key_check) and old.key_check != check
    for key, entry in old.entries.items():
        if rotated or entry.list_id not in live_ids:
            continue
        if place(entry.list_id, entry.address) in touched and key not in still_recorded:
            continue
        out.entries[key] = entry
    for entry in new:
        out.entries[entry.key] = entry
    return out
