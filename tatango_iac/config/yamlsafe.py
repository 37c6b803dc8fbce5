"""A safe YAML reader that remembers where every value came from.

PyYAML composes the document into nodes that carry marks (line, column); we build
plain Python values from those nodes ourselves so that we can:
- refuse duplicate mapping keys (PyYAML silently keeps the last one),
- refuse every tag that is not plain YAML data (``!!python/object`` and friends),
- bound alias expansion (billion laughs) and file size,
- record the position of each value and each key by its path, so a schema error
  at ``lists/0/webhooks/1/callback_url`` points at a line and column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from tatango_iac.config.diagnostics import ERROR, Diagnostic

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000  # constructed values per file, aliases expanded

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


class YamlProblem(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.text())


def _problem(file: str, line: int, col: int, message: str, rule: str) -> YamlProblem:
    return YamlProblem(Diagnostic(file, line, col, ERROR, message, rule))


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self, located: Located):
        self.located = located
        self.count = 0
        self.scalar_loader = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            line, col = _mark(node)
            raise _problem(
                self.located.file, line, col,
                f"document expands to more than {MAX_NODES} values (alias expansion bomb?); refused",
                "yaml-too-large",
            )
        self.located.positions[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            self._require_tag(node, {_SEQ})
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _require_tag(self, node: yaml.Node, allowed: set[str]) -> None:
        if node.tag not in allowed:
            line, col = _mark(node)
            raise _problem(
                self.located.file, line, col,
                f"YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed: only plain data is",
                "yaml-tag",
            )

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        self._require_tag(node, {_MAP})
        result: dict[str, Any] = {}
        first_seen: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            line, col = _mark(key_node)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise _problem(self.located.file, line, col,
                               "mapping keys must be plain strings (merge keys `<<` and complex keys are not supported)",
                               "yaml-key")
            key = str(key_node.value)
            if key in first_seen:
                raise _problem(
                    self.located.file, line, col,
                    f"duplicate key '{key}' (first at line {first_seen[key][0]})", "duplicate-key",
                )
            first_seen[key] = (line, col)
            self.located.key_positions[path + (key,)] = (line, col)
            result[key] = self.build(value_node, path + (key,))
        return result

    def _scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        if node.tag == _TIMESTAMP:
            return node.value  # keep dates as the text written: no field of ours is a date
        self._require_tag(node, _SAFE_SCALAR_TAGS)
        value = self.scalar_loader.construct_object(node, deep=True)
        if isinstance(value, bool) and not node.style and node.value.lower() in _YAML11_BOOL_WORDS:
            self.located.yaml11_bools.add(path)
        return value


def load_text(text: str, file: str) -> list[Located]:
    """Parse YAML text into located documents, raising YamlProblem for anything unsafe."""
    documents: list[Located] = []
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # control characters are refused before parsing starts
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise _problem(file, line, col, f"YAML error: character {exc.character!r} is not allowed in YAML",
                       "yaml-syntax") from None
    try:
        while loader.check_node():
            node = loader.get_node()
            located = Located(file=file, data=None)
            if node is not None:
                located.data = _Builder(located).build(node, ())
            documents.append(located)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or str(exc)
        if exc.context:
            problem = f"{exc.context}: {problem}"
        raise _problem(file, line, col, f"YAML syntax error: {problem}", "yaml-syntax") from None
    except yaml.YAMLError as exc:  # unmarked reader errors (control characters...)
        raise _problem(file, 1, 1, f"YAML error: {exc}", "yaml-syntax") from None
    except RecursionError:
        raise _problem(file, 1, 1, "YAML nesting too deep; refused", "yaml-too-large") from None
    finally:
        loader.dispose()
    return documents


def load_file(path: str, display: str) -> list[Located]:
    """Read a file with size and encoding checks, then parse it."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _problem(display, 1, 1, f"cannot read file: {exc.strerror}", "file") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _problem(display, 1, 1,
                       f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; refused", "file-too-large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _problem(display, line, col, f"file is not UTF-8 (byte 0x{raw[exc.start]:02x})", "encoding") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return load_text(text, display)
