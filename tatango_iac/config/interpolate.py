"""``${NAME}`` environment interpolation.

- ``${NAME}``: the variable's value; unset *or empty* is an error at the value's
  location (a CI secret that is missing expands to "" and would silently replace a
  production webhook URL);
- ``${NAME:-default}``: the default when the variable is unset or empty (a deliberate
  choice, ``${NAME:-}`` included);
- ``$${`` is a literal ``${``;
- ``${list.name}`` and ``${var.NAME}`` take the list's own values (``config.templates``):
  a string holding one is left whole when its file is read and resolved, env references
  and escapes included, in one scan once the list is assembled, so that a ``$${list.name}``
  stays literal and an environment value is never read as a reference.

The scan is linear in the text: an unterminated ``${`` is reported once.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping, Optional

from tatango_iac.errors import TatangoIacError
from tatango_iac.secrets import Templated, register_secrets

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LIST_REFERENCES = ("${list.", "${var.")  # resolved per list, after templates are applied
# Where a string may use the list's own values: list entries, templates and account.defaults.
_LIST_SCOPED = ("lists", "templates")


def has_list_reference(text: str) -> bool:
    return any(marker in text for marker in LIST_REFERENCES)


def _list_scoped(path: tuple) -> bool:
    return bool(path) and (path[0] in _LIST_SCOPED or path[:2] == ("account", "defaults"))


class UnsetVariable(TatangoIacError):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _resolve(reference: str, env: Mapping[str, str]) -> str:
    name, sep, default = reference.partition(":-")
    if name.startswith(("list.", "var.")):
        raise UnsetVariable(
            f"'${{{reference}}}' takes a list's own value: it can be used only in a list, a template "
            "or account.defaults (write $${ for a literal ${)"
        )
    if not _NAME.match(name):
        raise UnsetVariable(f"'${{{reference}}}' is not a valid variable reference (write $${{ for a literal ${{)")
    value = env.get(name)
    if value:
        return value
    if sep:
        return default
    if value is None:
        raise UnsetVariable(f"environment variable {name} is not set (used as ${{{name}}})")
    raise UnsetVariable(
        f"environment variable {name} is set but empty (used as ${{{name}}}; write "
        f"${{{name}:-}} if empty is deliberate)"
    )


def interpolate_string(text: str, env: Mapping[str, str], own: Optional[Callable[[str], str]] = None) -> str:
    """Resolve ``${...}`` in text. ``own`` resolves ``list.name`` / ``var.NAME`` (raises UnsetVariable):
    their values are the configuration's own, so the display template shows them resolved."""
    if "$" not in text:
        return text
    out: list[str] = []
    shown: list[str] = []  # the display template: env references kept, the list's own values resolved
    values: list[str] = []
    position = 0
    while True:
        start = text.find("$", position)
        if start < 0:
            out.append(text[position:])
            break
        if text.startswith("$${", start):
            out.append(text[position:start] + "${")
            shown.append(text[position : start + 3])
            position = start + 3
            continue
        if not text.startswith("${", start):
            out.append(text[position : start + 1])
            shown.append(text[position : start + 1])
            position = start + 1
            continue
        end = text.find("}", start + 2)
        if end < 0:
            raise UnsetVariable("'${' is not closed by '}' (write $${ for a literal ${)")
        reference = text[start + 2 : end]
        if own is not None and reference.startswith(("list.", "var.")):
            value = own(reference)
            if isinstance(value, Templated):  # a list name from ${ENV}: shown as its template, masked
                values.append(value)
            shown.append(text[position:start] + getattr(value, "template", value.replace("${", "$${")))
        else:
            value = _resolve(reference, env)
            values.append(value)
            shown.append(text[position : end + 1])
        out.append(text[position:start] + value)
        position = end + 1
    resolved = "".join(out)
    if not values:
        return resolved
    register_secrets(values)  # whatever else prints a value (an API error echoing it) masks it too
    return Templated(resolved, "".join(shown) + text[position:] if own is not None else text)


def interpolate(data: Any, env: Mapping[str, str], on_error: Callable[[tuple, str], None], path: tuple = ()) -> Any:
    """Resolve every string in data; report unset variables through on_error(path, message)."""
    if isinstance(data, str):
        if _list_scoped(path) and has_list_reference(data):
            return data  # resolved whole once the list is assembled (config.templates)
        try:
            return interpolate_string(data, env)
        except UnsetVariable as exc:
            on_error(path, exc.message)
            return data
    if isinstance(data, dict):
        return {k: interpolate(v, env, on_error, path + (k,)) for k, v in data.items()}
    if isinstance(data, list):
        return [interpolate(v, env, on_error, path + (i,)) for i, v in enumerate(data)]
    return data
