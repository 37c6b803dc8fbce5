"""Problems found in configuration files, each located as FILE:LINE:COL with a rule id."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Iterable

from tatango_iac.errors import TatangoIacError

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    file: str
    line: int
    col: int
    severity: str
    message: str
    rule: str

    def text(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message} [{self.rule}]"

    def github(self) -> str:
        # GitHub workflow commands: % and newlines are escaped in the message; a property value
        # (the file path, the title) also escapes "," and ":", which would end it early.
        return (
            f"::{self.severity} file={_property(self.file)},line={self.line},col={self.col},"
            f"title={_property(self.rule)}::{_data(self.message)}"
        )


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


class ConfigError(TatangoIacError):
    """Raised when configuration cannot be used; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics)
        super().__init__("\n".join(d.text() for d in self.diagnostics))

    def user_message(self) -> str:
        return f"{self}\n{len(self.diagnostics)} configuration error(s); nothing was read or changed"


def errors(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == ERROR]


def render(diagnostics: list[Diagnostic], fmt: str) -> str:
    ordered = sorted(diagnostics)
    if fmt == "json":
        n_err = len(errors(ordered))
        return json.dumps(
            {
                "format_version": "1",
                "valid": n_err == 0,
                "error_count": n_err,
                "warning_count": len(ordered) - n_err,
                "diagnostics": [asdict(d) for d in ordered],
            },
            indent=2,
        )
    if fmt == "github":
        return "\n".join(d.github() for d in ordered)
    return "\n".join(d.text() for d in ordered)
