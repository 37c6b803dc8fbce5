"""A safe YAML reader that remembers where every value came from.

Values are built from libyaml's *events* with an explicit stack, never by recursion
(libyaml's own composer recurses in C: 30,000 nested ``[`` crash it), so that we can:
- bound nesting depth before anything recurses, and refuse it with a location,
- refuse duplicate mapping keys (PyYAML silently keeps the last one),
- refuse every tag that is not plain YAML data (``!!python/object`` and friends),
- bound alias expansion (billion laughs) and file size,
- record the position of each value and each key by its path, so a schema error
  at ``lists/0/webhooks/1/callback_url`` points at a line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

import yaml

from tatango_iac.config.diagnostics import ERROR, Diagnostic
from tatango_iac.errors import TatangoIacError

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000  # constructed values per file, aliases expanded
MAX_DEPTH = 64  # nesting of mappings and sequences; the schema needs 5

Path = tuple  # tuple of str | int

_SAFE_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"
_UNCLOSED = re.compile(r"quoted scalar|flow sequence|flow mapping")
_YAML11_BOOL_WORDS = {"yes", "no", "on", "off", "y", "n"}
# libyaml's parser (shipped in PyYAML's wheels) is ~10x faster and keeps the same marks.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Located:
    """A parsed document plus where each of its values and keys stands (1-based)."""

    file: str
    data: Any
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    yaml11_bools: set[Path] = field(default_factory=set)

    def where(self, path: Path) -> tuple[int, int]:
        """Position of the value at path, or of its nearest located ancestor."""
        path = tuple(path)
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, (1, 1))

    def key_where(self, path: Path) -> tuple[int, int]:
        return self.key_positions.get(tuple(path)) or self.where(path)


class YamlProblem(TatangoIacError):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.text())


def _problem(file: str, line: int, col: int, message: str, rule: str) -> YamlProblem:
    return YamlProblem(Diagnostic(file, line, col, ERROR, message, rule))


def _mark(event: Any) -> tuple[int, int]:
    return event.start_mark.line + 1, event.start_mark.column + 1


@dataclass
class _Frame:
    container: Any  # dict or list
    path: Path
    anchor: Optional[str]
    first_record: int  # index into the builder's records where this subtree's positions start
    count_at_start: int
    key: Optional[str] = None  # a mapping frame waiting for the value of this key
    seen: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class _Anchor:
    value: Any
    count: int
    records: list[tuple[str, Path, Any]]  # (kind, path relative to the anchor, position)


class _Builder:
    """Turns one document's events into plain values plus positions, iteratively."""

    def __init__(self, located: Located, loader: Any):
        self.located = located
        self.loader = loader
        self.scalar_loader = yaml.SafeLoader("")
        self.count = 0
        self.stack: list[_Frame] = []
        self.anchors: dict[str, _Anchor] = {}
        self.records: list[tuple[str, Path, Any]] = []  # ("pos" | "key" | "bool", path, position)
        self.done = False

    def fail(self, event: Any, message: str, rule: str) -> YamlProblem:
        line, col = _mark(event)
        return _problem(self.located.file, line, col, message, rule)

    def _record(self, kind: str, path: Path, position: Any) -> None:
        self.records.append((kind, path, position))
        if kind == "pos":
            self.located.positions[path] = position
        elif kind == "key":
            self.located.key_positions[path] = position
        else:
            self.located.yaml11_bools.add(path)

    def _count(self, event: Any, amount: int = 1) -> None:
        self.count += amount
        if self.count > MAX_NODES:
            raise self.fail(
                event,
                f"document expands to more than {MAX_NODES} values (alias expansion bomb?); refused",
                "yaml-too-large",
            )

    def _slot(self, event: Any) -> Path:
        """The path of the value this event starts, after checking it may stand there."""
        if not self.stack:
            return ()
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            return frame.path + (len(frame.container),)
        if frame.key is None:
            raise self.fail(
                event,
                "mapping keys must be plain strings (merge keys `<<` and complex keys are not supported)",
                "yaml-key",
            )
        return frame.path + (frame.key,)

    def _deliver(self, value: Any) -> None:
        if not self.stack:
            self.located.data, self.done = value, True
            return
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            frame.container.append(value)
        else:
            frame.container[frame.key] = value
            frame.key = None

    def _check_tag(self, event: Any, allowed: set[str], tag: Optional[str]) -> None:
        if tag is not None and tag not in allowed:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise self.fail(event, f"YAML tag {shown} is not allowed: only plain data is", "yaml-tag")

    def feed(self, event: Any) -> None:
        if isinstance(event, yaml.ScalarEvent):
            self._scalar(event)
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            self._start(event)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            self._end()
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event)

    def _key(self, event: yaml.ScalarEvent, frame: _Frame) -> None:
        tag = (
            event.tag
            if event.tag and event.tag != "!"
            else self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        )
        if tag == _MERGE:
            raise self.fail(
                event,
                "mapping keys must be plain strings (merge keys `<<` and complex keys are not supported)",
                "yaml-key",
            )
        key = str(event.value)
        position = _mark(event)
        if key in frame.seen:
            raise self.fail(event, f"duplicate key '{key}' (first at line {frame.seen[key][0]})", "duplicate-key")
        frame.seen[key] = position
        frame.key = key
        self._record("key", frame.path + (key,), position)

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        frame = self.stack[-1] if self.stack else None
        if frame is not None and isinstance(frame.container, dict) and frame.key is None:
            self._key(event, frame)
            return
        path = self._slot(event)
        self._count(event)
        self._record("pos", path, _mark(event))
        tag = event.tag if event.tag and event.tag != "!" and not (event.implicit[0] and event.tag is None) else None
        resolved = tag or self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if resolved == _TIMESTAMP:
            value: Any = event.value  # keep dates as the text written: no field of ours is a date
        else:
            self._check_tag(event, _SAFE_SCALAR_TAGS, resolved)
            start: Any = event.start_mark  # libyaml's Mark or the pure parser's: the stubs know only the latter
            end: Any = event.end_mark
            node = yaml.ScalarNode(resolved, event.value, start, end, event.style)
            value = self.scalar_loader.construct_object(node, deep=True)
            if isinstance(value, bool) and not event.style and event.value.lower() in _YAML11_BOOL_WORDS:
                self._record("bool", path, None)
        if event.anchor:
            self.anchors[event.anchor] = _Anchor(value, 1, [("pos", (), _mark(event))])
        self._deliver(value)

    def _start(self, event: Any) -> None:
        path = self._slot(event)
        if len(self.stack) >= MAX_DEPTH:
            raise self.fail(event, f"YAML nesting deeper than {MAX_DEPTH} levels; refused", "yaml-too-large")
        is_map = isinstance(event, yaml.MappingStartEvent)
        if not event.implicit:
            self._check_tag(event, {_MAP if is_map else _SEQ}, event.tag)
        self._count(event)
        self._record("pos", path, _mark(event))
        self.stack.append(_Frame({} if is_map else [], path, event.anchor, len(self.records) - 1, self.count - 1))

    def _end(self) -> None:
        frame = self.stack.pop()
        if frame.anchor:
            prefix = len(frame.path)
            self.anchors[frame.anchor] = _Anchor(
                frame.container,
                self.count - frame.count_at_start,
                [(kind, path[prefix:], pos) for kind, path, pos in self.records[frame.first_record :]],
            )
        self._deliver(frame.container)

    def _alias(self, event: yaml.AliasEvent) -> None:
        anchor = self.anchors.get(event.anchor or "")  # an alias event always names its anchor
        if anchor is None:
            raise self.fail(event, f"found undefined alias '{event.anchor}'", "yaml-syntax")
        path = self._slot(event)
        self._count(event, anchor.count)
        for kind, relative, position in anchor.records:
            self._record(kind, path + relative, position)
        self._deliver(anchor.value)


def load_text(text: str, file: str) -> list[Located]:
    """Parse YAML text into located documents, raising YamlProblem for anything unsafe."""
    documents: list[Located] = []
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # control characters are refused before parsing starts
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise _problem(
            file, line, col, f"YAML error: character {exc.character!r} is not allowed in YAML", "yaml-syntax"
        ) from None
    try:
        builder: Optional[_Builder] = None
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.DocumentStartEvent):
                builder = _Builder(Located(file=file, data=None), loader)
            elif isinstance(event, yaml.DocumentEndEvent) and builder is not None:
                documents.append(builder.located)
                builder = None
            elif builder is not None:
                builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or str(exc)
        if "nesting depth" in problem:
            # PyYAML >= 6.0.4 has a nesting limit of its own, which its scanner may hit
            # before our events reach MAX_DEPTH: the same refusal, under the same rule.
            raise _problem(
                file, line, col, f"YAML nesting deeper than {MAX_DEPTH} levels; refused", "yaml-too-large"
            ) from None
        if exc.context:
            problem = f"{exc.context}: {problem}"
        opened = exc.context_mark
        if opened is not None and opened.line + 1 < line and _UNCLOSED.search(exc.context or ""):
            # An unclosed quote or bracket is noticed only lines later (often at the end of
            # the file): point at where it was opened, which is where the author has to look.
            problem = f"{problem} at line {line}: opened here and never closed"
            line, col = opened.line + 1, opened.column + 1
        raise _problem(file, line, col, f"YAML syntax error: {problem}", "yaml-syntax") from None
    except yaml.YAMLError as exc:  # unmarked reader errors (control characters...)
        raise _problem(file, 1, 1, f"YAML error: {exc}", "yaml-syntax") from None
    finally:
        loader.dispose()
    return documents


def read_regular_file(path: str, display: str) -> bytes:
    """Read at most MAX_FILE_BYTES + 1 bytes of a regular file; never open a FIFO, socket or device."""
    import os
    import stat

    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then tells what we opened.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _problem(display, 1, 1, f"cannot read file: {exc.strerror}", "file") from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _problem(display, 1, 1, "not a regular file (a FIFO, socket or device); refused", "file")
        try:
            return handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise _problem(display, 1, 1, f"cannot read file: {exc.strerror}", "file") from None


def decode(raw: bytes, display: str) -> str:
    if len(raw) > MAX_FILE_BYTES:
        raise _problem(
            display, 1, 1, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; refused", "file-too-large"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _problem(display, line, col, f"file is not UTF-8 (byte 0x{raw[exc.start]:02x})", "encoding") from None
    return text[1:] if text.startswith("\ufeff") else text


def load_file(path: str, display: str) -> tuple[list[Located], bytes]:
    """Read a file with type, size and encoding checks, then parse it; also return its bytes."""
    raw = read_regular_file(path, display)
    return load_text(decode(raw, display), display), raw
