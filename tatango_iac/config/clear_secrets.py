"""A secret written in clear in a callback URL: a warning that names the part, never its value.

The parts are those the tool masks in output (``secrets``): a query value under a
secret-looking name (token, key, sig...), a long random-looking path segment
(Slack-style hooks), a password in the user info. Written through ``${VAR}`` they come
from the environment (a CI secret) and never enter git; written literally they are in
the repository for anyone who can read it. The warning suggests a variable name in the
form ``export`` uses.
"""

from __future__ import annotations

import re
from typing import Any, Iterator
from urllib.parse import unquote_plus, urlsplit

from tatango_iac.model import DesiredList
from tatango_iac.secrets import is_secret_param, looks_like_token

RULE = "webhook-secret-in-clear"
_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}")


def _literal(text: str) -> bool:
    """A part holds literal text when it is not (only) a ${VAR} reference."""
    return bool(text) and not _REFERENCE.fullmatch(text)


def clear_parts(template: str) -> Iterator[tuple[str, str]]:
    """(what the part is, a suffix for the variable name) for each secret written literally."""
    try:
        parts = urlsplit(template)
    except ValueError:
        return
    userinfo = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""
    if ":" in userinfo and _literal(userinfo.split(":", 1)[1]):
        yield "the password in its user info", "PASSWORD"
    for index, segment in enumerate(parts.path.split("/")):
        if looks_like_token(segment) and "${" not in segment:
            yield f"path segment {index} (a token-like value)", f"PATH_{index}"
    for segment in parts.query.split("&") if parts.query else []:
        key, eq, value = segment.partition("=")
        name = unquote_plus(key)
        if eq and _literal(value) and is_secret_param(name):
            yield f"query parameter '{name[:40]}'", name


def variable(list_name: str, part: str) -> str:
    return "TATANGO_SECRET_" + re.sub(r"[^A-Z0-9]+", "_", f"{list_name}_{part}".upper()).strip("_")


def check_clear_secrets(c: Any, lst: DesiredList) -> None:
    for hook in lst.webhooks or []:
        template = getattr(hook.callback_url, "template", hook.callback_url)  # what the file says
        for what, suffix in clear_parts(str(template)):
            name = variable(str(getattr(lst.name, "template", lst.name)), suffix)
            c.warn(
                hook.source,
                f"callback_url has a secret written in clear: {what} (value not shown); it is in "
                f"git for anyone who reads the repository: write it as ${{{name}}} and set {name} in the "
                "environment (a CI secret)",
                RULE,
            )
