"""A secret written in clear in a callback URL: a warning that names the part, never its value.

The parts are those the tool masks in output (``secret_urls``): a query value under a
secret-looking name (token, key, sig, hmac, code...) or that looks like a token, a token-like
fragment, a long random-looking path segment or where a known provider (Slack, Discord,
Teams, Zapier) keeps its hook token, a password in the user info. Written through ``${VAR}`` they come
from the environment (a CI secret) and never enter git; written literally they are in
the repository for anyone who can read it. The warning suggests a variable name in the
form ``export`` uses.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from tatango_iac.model import DesiredList
from tatango_iac.secret_urls import secret_parts

RULE = "webhook-secret-in-clear"


def clear_parts(template: str) -> Iterator[tuple[str, str]]:
    """(what the part is, a suffix for the variable name) for each secret written literally.

    The parts are exactly those output masks (``secret_urls.secret_parts``); a part that holds a
    ${VAR} reference comes from the environment and is left out.
    """
    try:
        parts = secret_parts(template)
    except ValueError:
        return  # not a URL: the schema reports it
    for part in parts:
        if "${" not in part.value:
            yield part.label, part.suffix


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
