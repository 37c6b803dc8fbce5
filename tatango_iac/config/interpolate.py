"""``${NAME}`` environment interpolation with ``$${`` as a literal ``${``."""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from tatango_iac.secrets import Templated

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class UnsetVariable(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def interpolate_string(text: str, env: Mapping[str, str]) -> str:
    if "$" not in text:
        return text
    used_variable = False

    def replace(match: re.Match) -> str:
        nonlocal used_variable
        if match.group(0) == "$${":
            return "${"
        name = match.group(1)
        if not _NAME.match(name):
            raise UnsetVariable(f"'${{{name}}}' is not a valid variable reference (write $${{ for a literal ${{)")
        if name not in env:
            raise UnsetVariable(f"environment variable {name} is not set (used as ${{{name}}})")
        used_variable = True
        return env[name]

    resolved = _TOKEN.sub(replace, text)
    return Templated(resolved, text) if used_variable else resolved


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
