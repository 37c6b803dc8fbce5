"""``${NAME}`` environment interpolation.

- ``${NAME}``: the variable's value; unset *or empty* is an error at the value's
  location (a CI secret that is missing expands to "" and would silently replace a
  production webhook URL);
- ``${NAME:-default}``: the default when the variable is unset or empty (a deliberate
  choice, ``${NAME:-}`` included);
- ``$${`` is a literal ``${``.

The scan is linear in the text: an unterminated ``${`` is reported once.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from tatango_iac.errors import TatangoIacError
from tatango_iac.secrets import Templated, register_secrets

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class UnsetVariable(TatangoIacError):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _resolve(reference: str, env: Mapping[str, str]) -> str:
    name, sep, default = reference.partition(":-")
    if not _NAME.match(name):
        raise UnsetVariable(f"'${{{reference}}}' is not a valid variable reference (write $${{ for a literal ${{)")
    value = env.get(name)
    if value:
        return value
    if sep:
        return default
    if value is None:
        raise UnsetVariable(f"environment variable {name} is not set (used as ${{{name}}})")
    raise UnsetVariable(f"environment variable {name} is set but empty (used as ${{{name}}}; write "
                        f"${{{name}:-}} if empty is deliberate)")


def interpolate_string(text: str, env: Mapping[str, str]) -> str:
    if "$" not in text:
        return text
    out: list[str] = []
    values: list[str] = []
    position = 0
    while True:
        start = text.find("$", position)
        if start < 0:
            out.append(text[position:])
            break
        if text.startswith("$${", start):
            out.append(text[position:start] + "${")
            position = start + 3
            continue
        if not text.startswith("${", start):
            out.append(text[position:start + 1])
            position = start + 1
            continue
        end = text.find("}", start + 2)
        if end < 0:
            raise UnsetVariable("'${' is not closed by '}' (write $${ for a literal ${)")
        values.append(_resolve(text[start + 2:end], env))
        out.append(text[position:start] + values[-1])
        position = end + 1
    resolved = "".join(out)
    if not values:
        return resolved
    register_secrets(values)  # whatever else prints a value (an API error echoing it) masks it too
    return Templated(resolved, text)


def interpolate(data: Any, env: Mapping[str, str], on_error: Callable[[tuple, str], None],
                path: tuple = ()) -> Any:
    """Resolve every string in data; report unset variables through on_error(path, message)."""
    if isinstance(data, str):
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
