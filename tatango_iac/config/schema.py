"""The JSON Schema and its errors, each located at FILE:LINE:COL and naming the offending key."""

from __future__ import annotations

import difflib
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Optional

import jsonschema

from tatango_iac.config.diagnostics import ERROR, Diagnostic
from tatango_iac.config.yamlsafe import Located
from tatango_iac.secrets import display

SCHEMA_FILE = "tatango.schema.json"


def schema_text() -> str:
    return resources.files("tatango_iac").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    return json.loads(schema_text())


@lru_cache(maxsize=1)
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(load_schema())


def dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def resolve_ref(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (templates and defaults reuse the list fields' schemas)."""
    root = load_schema()
    while "$ref" in node:
        target: Any = root
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def schema_at(path: Iterable) -> dict[str, Any]:
    """The sub-schema governing the instance at a path (no combinators: only local refs)."""
    node = load_schema()
    for part in path:
        if isinstance(part, int):
            node = node["items"]
        elif part in node.get("properties", {}):
            node = node["properties"][part]
        else:  # a template's name or a var's name: the one pattern property applies
            node = next(iter(node.get("patternProperties", {}).values()), {})
        node = resolve_ref(node)
    return node


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "a list", dict: "a mapping"}.get(
        type(value), "string" if isinstance(value, str) else type(value).__name__
    )


def _shown(value: Any) -> str:
    """A value as a message may show it: ${...} values as their template, never resolved."""
    return json.dumps(display(value), ensure_ascii=False)[:80]


def _diag(file: str, where: tuple[int, int], message: str, rule: str) -> Diagnostic:
    return Diagnostic(file, where[0], where[1], ERROR, message, rule)


def _message(error: jsonschema.ValidationError, path: tuple, located: Located) -> str:
    name = dotted(path)
    kind = error.validator
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        message = f"{name}: expected {expected}, got {type_name(error.instance)}"
        if path in located.yaml11_bools:
            message += " (YAML reads unquoted yes/no/on/off as booleans: quote it)"
        return message
    if kind == "const":
        return f"{name}: must be {json.dumps(error.validator_value)} (is {_shown(error.instance)})"
    if kind == "enum":
        options = ", ".join(json.dumps(v) for v in error.validator_value)
        return f"{name}: {_shown(error.instance)} is not one of {options}"
    if kind in ("minLength", "maxLength") and isinstance(error.instance, str):
        bounds = schema_at(path)
        span = (
            f"{bounds.get('minLength', 0)}-{bounds['maxLength']}"
            if "maxLength" in bounds
            else (f"at least {bounds['minLength']}")
        )
        return f"{name}: must be {span} characters (has {len(error.instance)})"
    if kind == "pattern":
        return f"{name}: {_shown(error.instance)} does not match {error.validator_value}"
    if kind in ("minimum", "maximum"):
        word = "at least" if kind == "minimum" else "at most"
        return f"{name}: must be {word} {error.validator_value} (is {_shown(error.instance)})"
    # jsonschema's own message may quote the value: never show a resolved ${...} value.
    return f"{name}: {error.message.replace(repr(str(error.instance)), _shown(error.instance))}"


def _name_diagnostics(
    located: Located, path: tuple, instance: dict[str, Any], node: dict[str, Any], out: list[Diagnostic]
) -> None:
    """Keys of a name-keyed mapping (templates, vars) that do not match its name pattern."""
    pattern = next(iter(node["patternProperties"]))
    for key in sorted(k for k in instance if not re.search(pattern, k)):
        out.append(
            _diag(
                located.file,
                located.key_where(path + (key,)),
                f"{dotted(path)}: name '{key[:100]}' must match {pattern}",
                "unknown-key",
            )
        )


def schema_diagnostics(located: Located, data: Any) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for error in validator().iter_errors(data):
        path = tuple(error.absolute_path)
        where = located.where(path)
        if error.validator == "additionalProperties":
            node = schema_at(path)
            allowed = sorted(node.get("properties", {}))
            if node.get("patternProperties"):
                _name_diagnostics(located, path, error.instance, node, out)
                continue
            for key in sorted(set(error.instance) - set(allowed)):
                hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6) if len(key) <= 100 else []
                suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; allowed: {', '.join(allowed)}"
                out.append(
                    _diag(
                        located.file,
                        located.key_where(path + (key,)),
                        f"unknown key '{key[:100]}' in {dotted(path)}{suggestion}",
                        "unknown-key",
                    )
                )
        elif error.validator == "required":
            for key in [k for k in error.validator_value if k not in error.instance]:
                out.append(_diag(located.file, where, f"{dotted(path)}: missing required key '{key}'", "schema"))
        else:
            out.append(_diag(located.file, where, _message(error, path, located), "schema"))
    # jsonschema reports a "required" error per missing key, each naming the whole required list: with
    # two keys missing, each was said twice. One diagnostic per location and message, in order.
    return list({(d.file, d.line, d.col, d.message, d.rule): d for d in out}.values())


def invalid_parts(data: Any) -> Optional[tuple[frozenset[int], bool]]:
    """Where a file's schema errors lie: the list entries (by index) and whether the account block.

    None when an error lies anywhere else (the version, an unknown top-level key, templates, the
    lists key itself): the file as a whole cannot be read then. Otherwise validate still checks
    the file's valid lists with every rule, and cross-file rules see them (README: validate).
    """
    lists: set[int] = set()
    account = False
    for error in validator().iter_errors(data):
        path = tuple(error.absolute_path)
        if len(path) >= 2 and path[0] == "lists" and isinstance(path[1], int):
            lists.add(path[1])
        elif path[:1] == ("account",):
            account = True
        else:
            return None
    return frozenset(lists), account
