"""Edit values inside a YAML file's text, leaving every other byte as it was.

ruamel.yaml composes the file into nodes that carry their exact start and end in the text
(PyYAML's nodes do too, but ruamel keeps comments, anchors and styles, and its composer is
the round-trip one). Rather than dumping the whole document again, which would re-indent,
re-wrap and re-quote lines nobody touched, each change replaces only the span of the value
it changes: a scalar, a key inserted after its siblings, a sequence item removed or
appended at the sequence's own indentation. Comments, key order, quoting and blank lines of
untouched lines stay byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ruamel.yaml
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tatango_iac.errors import TatangoIacError
from tatango_iac.pull.scalars import Style, block, inline

Path = tuple


class EditError(TatangoIacError):
    """The file cannot be edited safely at this place (the message names FILE:LINE:COL)."""


@dataclass(frozen=True)
class Keep:
    """A sequence item kept exactly as written (its text is copied)."""

    index: int


@dataclass
class _Splice:
    start: int
    end: int
    text: str


@dataclass
class Document:
    file: str
    text: str
    root: Node = field(init=False)
    splices: list[_Splice] = field(default_factory=list)

    def __post_init__(self) -> None:
        try:
            self.root = ruamel.yaml.YAML(typ="rt").compose(self.text)
        except ruamel.yaml.YAMLError as exc:
            raise EditError(f"{self.file}: cannot be read for editing: {exc}") from None

    # ------------------------------------------------------------ navigation

    def _where(self, node: Node) -> str:
        return f"{self.file}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"

    def _find(self, path: Path) -> tuple[Node | None, Node | None]:
        """(key node, value node) at path; the key node is None for a sequence item."""
        node: Node | None = self.root
        key: Node | None = None
        for part in path:
            if node is not None and getattr(node, "anchor", None):
                raise EditError(
                    f"{self._where(node)}: the value is shared through the anchor &{node.anchor}; edit it by hand"
                )
            if isinstance(node, MappingNode) and isinstance(part, str):
                pair = next(((k, v) for k, v in node.value if k.value == part), None)
                key, node = pair if pair else (None, None)
            elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
                key, node = None, node.value[part]
            else:
                return None, None
        if node is not None and getattr(node, "anchor", None):
            raise EditError(
                f"{self._where(node)}: the value is shared through the anchor &{node.anchor}; edit it by hand"
            )
        return key, node

    def node(self, path: Path) -> Node | None:
        return self._find(path)[1]

    def style_of(self, path: Path) -> Style | None:
        node = self.node(path)
        return Style.of(node.style) if isinstance(node, ScalarNode) else None

    # ------------------------------------------------------------ positions

    def _end(self, node: Node) -> int:
        """Where the node's own text ends (a block scalar's trailing line breaks are not its own)."""
        if isinstance(node, ScalarNode):
            end = node.end_mark.index
            if node.style in ("|", ">"):
                while end > node.start_mark.index and self.text[end - 1] in " \t\r\n":
                    end -= 1
            return end
        if getattr(node, "flow_style", False) or not node.value:
            return node.end_mark.index
        last = node.value[-1]
        return self._end(last[1] if isinstance(node, MappingNode) else last)

    def _line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def _line_end(self, index: int) -> int:
        """Just after the line break that ends the line holding index (or the end of the text)."""
        found = self.text.find("\n", index)
        return len(self.text) if found < 0 else found + 1

    def _column(self, node: Node) -> int:
        return node.start_mark.column

    # ------------------------------------------------------------ edits

    def set_scalar(self, path: Path, value: Any) -> None:
        """Replace the scalar at path, in its own style; insert the key after its siblings if absent."""
        key, node = self._find(path)
        if node is None:
            self._insert_key(path, value)
            return
        if not isinstance(node, ScalarNode):
            raise EditError(f"{self._where(node)}: expected a single value here, found a collection")
        style = Style.of(node.style)
        text = None
        if isinstance(value, str) and style in (Style.LITERAL, Style.FOLDED):
            text = block(value, style, self._block_indent(node, key))
        if text is None:
            text = inline(value, style)
        self.splices.append(_Splice(node.start_mark.index, self._end(node), text))

    def _block_indent(self, node: ScalarNode, key: Node | None) -> int:
        first = self.text.find("\n", node.start_mark.index) + 1
        line = self.text[first : self.text.find("\n", first) if "\n" in self.text[first:] else len(self.text)]
        found = len(line) - len(line.lstrip(" "))
        return found if found else (key.start_mark.column if key is not None else 0) + 2

    def _insert_key(self, path: Path, value: Any) -> None:
        parent = self.node(path[:-1])
        if not isinstance(parent, MappingNode) or not parent.value:
            raise EditError(f"{self.file}: cannot add {'.'.join(map(str, path))}: its mapping is not in the file")
        style = self._sibling_style(path[:-1], path[-1])
        if parent.flow_style:
            close = parent.end_mark.index - 1
            self.splices.append(_Splice(close, close, f", {path[-1]}: {inline(value, style)}"))
            return
        at = self._line_end(self._end(parent))
        pad = " " * self._column(parent.value[0][0])
        text = f"{pad}{path[-1]}: {inline(value, style)}\n"
        self.splices.append(_Splice(at, at, text if self.text[at - 1 : at] in ("\n", "") and at > 0 else "\n" + text))

    def _sibling_style(self, mapping_path: Path, key: str) -> Style:
        """The file's habit: the style of the same key in a sibling mapping of the same sequence, else the
        style most of the mapping's own values have (plain on a tie)."""
        mappings = [self.node(mapping_path)]
        if mapping_path and isinstance(mapping_path[-1], int):
            sequence = self.node(mapping_path[:-1])
            mappings += list(sequence.value) if isinstance(sequence, SequenceNode) else []
        for item in mappings:
            for k, v in item.value if isinstance(item, MappingNode) else []:
                if k.value == key and isinstance(v, ScalarNode):
                    return Style.of(v.style)
        own = mappings[0]
        styles = [v.style for _k, v in own.value if isinstance(v, ScalarNode)] if isinstance(own, MappingNode) else []
        quoted = max(("'", '"'), key=styles.count)
        return Style.of(quoted) if styles.count(quoted) * 2 > len(styles) else Style.PLAIN

    def set_scalar_sequence(self, path: Path, items: list[Keep | Any]) -> None:
        """Replace a sequence of scalars (keywords) as a whole: kept items keep their text, new ones match them."""
        key, node = self._find(path)
        if not isinstance(node, SequenceNode) or key is None:
            raise EditError(f"{self.file}: {'.'.join(map(str, path))} is not a sequence in the file")
        written = [self.text[n.start_mark.index : self._end(n)] for n in node.value]
        quoted = [n.style for n in node.value if isinstance(n, ScalarNode) and n.style in ("'", '"')]
        style = Style.of(quoted[0]) if quoted else Style.PLAIN
        texts = [written[i.index] if isinstance(i, Keep) else inline(i, style) for i in items]
        if node.flow_style:
            self.splices.append(_Splice(node.start_mark.index, node.end_mark.index, "[" + ", ".join(texts) + "]"))
        elif not texts:
            self.splices.append(_Splice(key.end_mark.index, self._end(node), ": []"))
        else:
            pad = "\n" + " " * self._column(node)
            self.splices.append(_Splice(node.start_mark.index, self._end(node), pad.join("- " + t for t in texts)))

    def edit_mapping_sequence(self, path: Path, removed: set[int], appended: list[dict[str, Any]]) -> None:
        """Remove items (with the comment lines just above them) and append mappings after the last item."""
        key, node = self._find(path)
        if not isinstance(node, SequenceNode) or key is None:
            raise EditError(f"{self.file}: {'.'.join(map(str, path))} is not a sequence in the file")
        kept = [i for i in range(len(node.value)) if i not in removed]
        if not kept and not appended:
            self.splices.append(_Splice(key.end_mark.index, self._end(node), ": []"))
            return
        if node.flow_style and not node.value:  # [] gets its first items as a block under its key
            indent = self._column(key) + 2
            items = "".join(self._render_item(item, indent, path, None) for item in appended)
            self.splices.append(_Splice(key.end_mark.index, node.end_mark.index, ":\n" + items.rstrip("\n")))
            return
        if node.flow_style:  # a one-line list stays one line
            texts = [self.text[node.value[i].start_mark.index : self._end(node.value[i])] for i in kept]
            texts += ["{" + ", ".join(f"{k}: {inline(v)}" for k, v in item.items()) + "}" for item in appended]
            self.splices.append(_Splice(node.start_mark.index, node.end_mark.index, "[" + ", ".join(texts) + "]"))
            return
        for index in sorted(removed):
            start, end = self._item_span(node, index)
            self.splices.append(_Splice(start, end, ""))
        if appended:
            dash = self._column(node)
            at = self._line_end(self._end(node))
            text = "".join(self._render_item(item, dash, path, node) for item in appended)
            self.splices.append(_Splice(at, at, text if at == 0 or self.text[at - 1] == "\n" else "\n" + text))

    def _item_span(self, sequence: SequenceNode, index: int) -> tuple[int, int]:
        item = sequence.value[index]
        start = self._line_start(item.start_mark.index)
        if self.text[start : item.start_mark.index].strip() not in ("-", ""):
            raise EditError(f"{self._where(item)}: cannot remove this item: it does not start its own line")
        while start > 0:  # the comment lines right above the item belong to it
            above = self._line_start(start - 1)
            line = self.text[above:start]
            if not line.strip().startswith("#") or len(line) - len(line.lstrip()) < self._column(sequence):
                break
            start = above
        return start, self._line_end(self._end(item))

    def _render_item(self, item: dict[str, Any], dash: int, path: Path, sequence: SequenceNode | None) -> str:
        offset = 2
        if (
            sequence is not None
            and sequence.value
            and isinstance(sequence.value[0], MappingNode)
            and sequence.value[0].value
        ):
            offset = max(2, self._column(sequence.value[0].value[0][0]) - dash)
        lines = []
        for n, (name, value) in enumerate(item.items()):
            style = self._sibling_style(path + (0,), name)
            lead = " " * dash + "-" + " " * (offset - 1) if n == 0 else " " * (dash + offset)
            lines.append(f"{lead}{name}: {inline(value, style)}\n")
        return "".join(lines)

    # ------------------------------------------------------------ result

    def result(self) -> str:
        """The text with every splice applied, in one pass (linear in the file, however many changes)."""
        # In text order; of two insertions at one place, the first added comes first.
        ordered = [s for _n, s in sorted(enumerate(self.splices), key=lambda p: (p[1].start, p[1].end, p[0]))]
        pieces, position = [], 0
        for splice in ordered:
            if splice.start < position:
                raise EditError(
                    f"{self.file}: two changes overlap near line "
                    f"{self.text.count(chr(10), 0, splice.start) + 1}; nothing was written"
                )
            pieces += [self.text[position : splice.start], splice.text]
            position = splice.end
        pieces.append(self.text[position:])
        return "".join(pieces)
