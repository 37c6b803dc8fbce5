"""Say it once: ``account.defaults`` and named ``templates:`` fill what a list leaves out.

A list's field comes from the first layer that sets it: the list itself, then the
template it ``extends`` (and that template's own ``extends``, up to ``MAX_CHAIN``
levels), then ``account.defaults``. A field is taken whole (a list's ``webhooks:``
replaces the template's, as a Terraform module argument would); ``vars`` merge key by
key. An explicit ``null`` is a value, so it still clears. Every assembled field keeps
its ``Origin``: the file and path it was written at and the layer's label, so rules,
lint and the plan can name the template line and the list that uses it.

Texts may use ``${list.name}`` and ``${var.NAME}``; they are resolved here, per list,
with the environment references of the same string (``config.interpolate``).

Work is linear in the output: a template's chain is flattened once (memoised), a list
costs its own fields plus the values it takes, and the characters and values that
expansion produces are counted against ``MAX_EXPANDED_CHARS`` / ``MAX_EXPANDED_VALUES``.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from tatango_iac.config.diagnostics import ERROR, Diagnostic
from tatango_iac.config.interpolate import UnsetVariable, has_list_reference, interpolate_string
from tatango_iac.config.yamlsafe import Located
from tatango_iac.secrets import display

MAX_CHAIN = 8  # templates a list may reach through extends (itself excluded)
MAX_EXPANDED_CHARS = 64 * 1024 * 1024  # characters of strings produced by expansion, whole configuration
MAX_EXPANDED_VALUES = 2_000_000  # values (scalars and containers) lists take from templates and defaults
# Keys of a template or account.defaults that are not list fields.
META_KEYS = ("extends", "vars")
# Keys a list cannot take from a template: its identity.
IDENTITY_KEYS = ("name", "renamed_from", "id", "delete")
DEFAULTS_LABEL = "account.defaults"


@dataclass(frozen=True)
class Origin:
    """Where an assembled field was written: file, path in it, and the layer ('' = the list itself)."""

    located: Located
    path: tuple
    label: str = ""


@dataclass
class Layer:
    """A template or account.defaults, as written."""

    label: str
    located: Located
    path: tuple
    data: dict[str, Any]
    name: str = ""

    def origin(self, key: str) -> Origin:
        return Origin(self.located, self.path + (key,), self.label)


@dataclass
class Assembled:
    """One list entry after templates and defaults: its data and, per field, where it came from."""

    data: dict[str, Any]
    origins: dict[str, Origin] = field(default_factory=dict)  # fields not written on the list itself
    template_names: tuple[str, ...] = ()  # the chain it extends, nearest first


class _Budget:
    def __init__(self) -> None:
        self.chars = 0
        self.values = 0

    def spend(self, chars: int, values: int) -> bool:
        self.chars += chars
        self.values += values
        return self.chars <= MAX_EXPANDED_CHARS and self.values <= MAX_EXPANDED_VALUES


def _size(value: Any) -> tuple[int, int]:
    """(characters, values) of a value, iteratively."""
    chars = values = 0
    stack = [value]
    while stack:
        item = stack.pop()
        values += 1
        if isinstance(item, str):
            chars += len(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return chars, values


def _needs_expansion(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and has_list_reference(item):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _diag(origin: Origin, message: str, rule: str, key: bool = False, severity: str = ERROR) -> Diagnostic:
    line, col = origin.located.key_where(origin.path) if key else origin.located.where(origin.path)
    return Diagnostic(origin.located.file, line, col, severity, message, rule)


class UnknownReference(UnsetVariable):
    """A ${list.*} or ${var.*} the list does not define (an unset ${ENV} stays an UnsetVariable)."""


def _where(origin: Origin) -> str:
    line, col = origin.located.where(origin.path)
    return f"{origin.located.file}:{line}:{col}"


class Assembler:
    """Templates and defaults of one configuration; ``assemble`` applies them to a list entry."""

    def __init__(self, env: Mapping[str, str], missing_env: str = ERROR):
        self.env = env
        self.missing_env = missing_env  # "warning" for validate --allow-missing-env (pre-commit)
        self.templates: dict[str, Layer] = {}
        self.defaults: Optional[Layer] = None
        self.diagnostics: list[Diagnostic] = []
        self._flat: dict[str, Optional[tuple[dict[str, tuple[Any, Origin]], tuple[str, ...]]]] = {}
        self._budget = _Budget()
        self.refused = False  # an expansion limit was hit: nothing more is expanded
        self.uses: dict[str, int] = {}  # template name -> lists that reach it
        self._references: dict[tuple[str, tuple[int, int], str, str, str], list[Any]] = {}

    # ------------------------------------------------------------ collecting
    def add_file(self, located: Located) -> None:
        for name, data in (located.data.get("templates") or {}).items():
            layer = Layer(f'template "{name}"', located, ("templates", name), data or {}, name)
            if name in self.templates:
                first = self.templates[name]
                self.diagnostics.append(
                    _diag(
                        Origin(located, ("templates", name)),
                        f"template '{name}' is already defined at {_where(Origin(first.located, first.path))}",
                        "template-duplicate",
                        key=True,
                    )
                )
                continue
            self.templates[name] = layer

    def set_defaults(self, located: Located) -> None:
        data = (located.data.get("account") or {}).get("defaults")
        if data is not None:
            self.defaults = Layer(DEFAULTS_LABEL, located, ("account", "defaults"), data)

    # ------------------------------------------------------------ chains
    def check_templates(self) -> None:
        """Resolve every template once, so that an unused broken template is reported too."""
        for name in self.templates:
            self._flatten(name)

    def _flatten(self, name: str) -> Optional[tuple[dict[str, tuple[Any, Origin]], tuple[str, ...]]]:
        """A template with its chain applied: field -> (value, origin), and the chain's names."""
        if name in self._flat:
            return self._flat[name]
        chain: list[str] = []
        current: Optional[str] = name
        while current is not None:
            if current in chain:
                self._cycle(chain[chain.index(current) :])
                for member in chain:
                    self._flat[member] = None
                return None
            if current in self._flat:  # the rest of the chain is known
                break
            chain.append(current)
            parent = self.templates[current].data.get("extends")
            if parent is not None and parent not in self.templates:
                self._unknown(self.templates[current].origin("extends"), parent)
                parent = None
            current = parent
        # Build from the far end of the chain back to name: each level over its parent.
        base = self._flat.get(current) if current is not None else None
        if current is not None and base is None:
            for member in chain:
                self._flat[member] = None  # it extends a broken template: reported there
            return None
        fields, names = (dict(base[0]), base[1]) if base else ({}, ())
        for member in reversed(chain):
            layer = self.templates[member]
            names = (member,) + names
            if len(names) > MAX_CHAIN:
                self.diagnostics.append(
                    _diag(
                        layer.origin("extends"),
                        f"template '{member}' reaches {len(names)} "
                        f"templates through extends ({' -> '.join(names[: MAX_CHAIN + 1])}...); "
                        f"at most {MAX_CHAIN} are allowed",
                        "template-depth",
                        key=True,
                    )
                )
                for other in chain:
                    self._flat[other] = None
                return None
            fields = {**fields, **{k: (v, layer.origin(k)) for k, v in layer.data.items() if k not in META_KEYS}}
            if "vars" in layer.data:
                fields["vars"] = (self._merged_vars(layer, fields.get("vars")), layer.origin("vars"))
            self._flat[member] = (fields, names)
        return self._flat[name]

    @staticmethod
    def _merged_vars(layer: Layer, inherited: Optional[tuple[Any, Origin]]) -> dict[str, Any]:
        return {**(inherited[0] if inherited else {}), **(layer.data.get("vars") or {})}

    def _cycle(self, members: list[str]) -> None:
        for i, member in enumerate(members):
            turn = members[i:] + members[:i]
            ring = " -> ".join(turn + [member])
            nxt = members[(i + 1) % len(members)]
            there = _where(self.templates[nxt].origin("extends"))
            self.diagnostics.append(
                _diag(
                    self.templates[member].origin("extends"),
                    f"templates extend each other in a cycle: {ring} (template '{nxt}' extends at {there})",
                    "template-cycle",
                )
            )

    def _unknown(self, origin: Origin, name: Any) -> None:
        hint = difflib.get_close_matches(str(name), list(self.templates), n=1, cutoff=0.6)
        suggestion = (
            f"; did you mean '{hint[0]}'?"
            if hint
            else (
                f"; defined: {', '.join(sorted(self.templates)[:10])}" if self.templates else "; no template is defined"
            )
        )
        self.diagnostics.append(
            _diag(origin, f"extends: template '{display(name)}' is not defined{suggestion}", "template-unknown")
        )

    # ------------------------------------------------------------ lists
    def assemble(self, located: Located, path: tuple, own: dict[str, Any]) -> Optional[Assembled]:
        """The list entry at path with templates and defaults applied; None if it cannot be (reported)."""
        if own.get("delete"):
            return Assembled(own)  # a list to delete takes nothing
        layers: dict[str, tuple[Any, Origin]] = {}
        names: tuple[str, ...] = ()
        if self.defaults is not None:
            layers = {k: (v, self.defaults.origin(k)) for k, v in self.defaults.data.items()}
        parent = own.get("extends")
        if parent is not None:
            if parent not in self.templates:
                self._unknown(Origin(located, path + ("extends",)), parent)
                return None
            flat = self._flatten(parent)
            if flat is None:
                return None  # the chain is broken: reported at the templates
            fields, names = flat
            inherited_vars = layers.get("vars")
            layers = {**layers, **fields}
            if inherited_vars and "vars" in fields:
                layers["vars"] = ({**inherited_vars[0], **fields["vars"][0]}, fields["vars"][1])
            for name in names:
                self.uses[name] = self.uses.get(name, 0) + 1
        data: dict[str, Any] = {}
        origins: dict[str, Origin] = {}
        for key, (value, origin) in layers.items():
            if key not in own:
                data[key], origins[key] = value, origin
        data.update(own)
        if "vars" in own and "vars" in layers:
            data["vars"] = {**layers["vars"][0], **(own["vars"] or {})}
        assembled = Assembled(data, origins, names)
        if not self._expand(located, path, assembled):
            return None
        return assembled

    def _expand(self, located: Located, path: tuple, assembled: Assembled) -> bool:
        """Resolve ${list.name} / ${var.NAME} in every field, and count what the list takes."""
        data = assembled.data
        variables = data.get("vars") or {}
        name = data.get("name")

        def own(reference: str) -> str:
            kind, _, key = reference.partition(".")
            if kind == "list" and key == "name" and isinstance(name, str):
                return name  # a Templated name (from ${ENV}) keeps its template for display
            if kind == "var" and isinstance(variables.get(key), str):
                return str(variables[key])
            where = "vars of the list, its templates or account.defaults" if kind == "var" else "list.name only"
            raise UnknownReference(
                f"'${{{reference}}}' is not defined (from the {where}; write $${{ for a literal ${{)"
            )

        for key in list(data):
            if key in IDENTITY_KEYS + META_KEYS:
                continue
            origin = assembled.origins.get(key, Origin(located, path + (key,)))
            if key in assembled.origins and not self._spend(origin, _size(data[key]), data):
                return False
            if not _needs_expansion(data[key]):
                continue
            ok, data[key] = self._resolve_value(data[key], own, origin, data)
            if not ok:
                return False
        return True

    def _resolve_value(self, value: Any, own: Any, origin: Origin, data: dict[str, Any]) -> tuple[bool, Any]:
        """A copy of value with its strings resolved (iterative: nesting is bounded by the reader)."""
        ok = True

        def walk(item: Any, sub: tuple) -> Any:
            nonlocal ok
            if isinstance(item, dict):
                return {k: walk(v, sub + (k,)) for k, v in item.items()}
            if isinstance(item, list):
                return [walk(v, sub + (i,)) for i, v in enumerate(item)]
            if not (isinstance(item, str) and has_list_reference(item)) or not ok:
                return item
            at = Origin(origin.located, origin.path + sub, origin.label)
            try:
                result = interpolate_string(item, self.env, own)
            except UnknownReference as exc:
                self._reference_error(at, exc.message, data, "template-reference", ERROR)
                ok = False
                return item
            except UnsetVariable as exc:  # an unset ${ENV}: like anywhere else (a warning with --allow-missing-env)
                self._reference_error(at, exc.message, data, "env-unset", self.missing_env)
                ok = self.missing_env != ERROR
                return item
            if not self._spend(at, (len(result), 0), data):
                ok = False
            return result

        resolved = walk(value, ())
        return ok, resolved

    def _reference_error(self, at: Origin, message: str, data: dict[str, Any], rule: str, severity: str) -> None:
        """One diagnostic per place and message, counting the lists (a template reaches hundreds)."""
        key = (at.located.file, at.located.where(at.path), message, rule, severity)
        found = self._references.setdefault(key, [at, json.dumps(display(data.get("name")), ensure_ascii=False), 0])
        found[2] += 1

    def finish(self) -> list[Diagnostic]:
        for (_file, _where, message, rule, severity), (at, first, count) in self._references.items():
            reach = f"in list {first}" if count == 1 else f"in {count} lists, first list {first}"
            self.diagnostics.append(
                _diag(
                    at, f"{message} ({'from ' + at.label + '; ' if at.label else ''}{reach})", rule, severity=severity
                )
            )
        self._references.clear()
        return self.diagnostics

    def _spend(self, origin: Origin, size: tuple[int, int], data: dict[str, Any]) -> bool:
        if self.refused:
            return False
        if self._budget.spend(*size):
            return True
        self.refused = True
        self.diagnostics.append(
            _diag(
                origin,
                f"expanding templates exceeds the size limit ({MAX_EXPANDED_CHARS} "
                f"characters, {MAX_EXPANDED_VALUES} values over all lists){_in_list(data, origin)}",
                "template-too-large",
            )
        )
        return False


def _in_list(data: dict[str, Any], origin: Origin) -> str:
    name = json.dumps(display(data.get("name")), ensure_ascii=False)
    return f" (in list {name}{', from ' + origin.label if origin.label else ''})"
