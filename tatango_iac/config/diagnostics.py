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
        # GitHub workflow commands: newlines and % must be escaped in the message.
        message = self.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return (
            f"::{self.severity} file={self.file},line={self.line},col={self.col},"
            f"title={self.rule}::{message}"
        )


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
