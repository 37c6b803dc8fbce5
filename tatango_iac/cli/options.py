"""Options shared by several commands; each has its help text and names its environment variable."""

from __future__ import annotations

from typing import Any, Callable, Optional

import click

ENV_HELP = (
    "Environment: TATANGO_EMAIL and TATANGO_API_KEY (credentials, never flags), TATANGO_API_URL "
    "(default https://app.tatango.com/api/v2), TATANGO_RATE_LIMIT (calls per hour), TATANGO_MAX_WAIT "
    "(seconds), TATANGO_SANDBOX_STATE and TATANGO_SANDBOX_PROFILE (with --sandbox), TATANGO_DEBUG=1 "
    "(a traceback for an internal error), NO_COLOR."
)


class ProfileName(click.ParamType):
    """A sandbox behaviour profile's name, checked only when the option is given: a command that does
    not run the sandbox never imports it (not even for --help; an unknown name lists the known ones)."""

    name = "profile"

    @staticmethod
    def names() -> list[str]:
        from tatango_iac.sandbox.profiles import PROFILES

        return sorted(PROFILES)

    def get_metavar(self, param: click.Parameter, ctx: Optional[click.Context] = None) -> str:
        return "PROFILE"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> str:
        names = self.names()
        if value not in names:
            self.fail(f"{value!r} is not one of {', '.join(map(repr, names))}.", param, ctx)
        return str(value)


def rate(f: Callable) -> Callable:
    return click.option(
        "--rate",
        type=click.FloatRange(min=0),
        default=None,
        metavar="CALLS_PER_HOUR",
        help="Pace API calls (default $TATANGO_RATE_LIMIT or 1200, i.e. one call every 3.1 s; 0 = unpaced).",
    )(f)


def max_wait(f: Callable) -> Callable:
    return click.option(
        "--max-wait",
        type=click.FloatRange(min=0),
        default=None,
        metavar="SECONDS",
        help="Fail instead of waiting when the API asks to wait longer than this before a retry "
        "(Retry-After; default $TATANGO_MAX_WAIT or 300).",
    )(f)


def sandbox(f: Callable) -> Callable:
    f = click.option(
        "--sandbox-profile",
        "sandbox_profile",
        type=ProfileName(),
        default=None,
        help="With --sandbox (implied): a behaviour profile that flips one point the API reference "
        "leaves open (default $TATANGO_SANDBOX_PROFILE or faithful; the README lists them).",
    )(f)
    return click.option(
        "--sandbox",
        is_flag=True,
        help="Run against an embedded emulator whose state lives in .tatango-sandbox.json "
        "(or $TATANGO_SANDBOX_STATE), unpaced.",
    )(f)


def target(f: Callable) -> Callable:
    return click.option(
        "--target",
        "targets",
        multiple=True,
        metavar="LIST_NAME",
        help="Restrict reads and actions to this list (repeatable).",
    )(f)


def exclude(f: Callable) -> Callable:
    return click.option(
        "--exclude",
        "excludes",
        multiple=True,
        metavar="LIST_NAME",
        help="Leave this list out: not read, planned, reported as unmanaged, pruned or checked for "
        "drift (repeatable; a configured or a live list's name).",
    )(f)


def changed_since(f: Callable) -> Callable:
    return click.option(
        "--changed-since",
        "changed_since",
        metavar="GIT_REF",
        default=None,
        help="Refresh and plan only the lists whose definitions differ from GIT_REF (plus the lists "
        "their keyword changes touch); the list index is still read in full.",
    )(f)


def no_history_check(f: Callable) -> Callable:
    return click.option(
        "--no-history-check",
        "no_history_check",
        is_flag=True,
        default=False,
        help="Delete lists without asking the configuration's git history whether they were protected "
        "when last configured (needed outside a git repository; saved with the plan).",
    )(f)


class Duration(click.ParamType):
    name = "DURATION"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        from tatango_iac.engine.budget import parse_duration

        if isinstance(value, float):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def apply_budget(f: Callable) -> Callable:
    f = click.option(
        "--max-time",
        "max_time",
        type=Duration(),
        default=None,
        metavar="DURATION",
        help="Stop at an action boundary before this much time has passed (5h30m, 90m, 45s), reads "
        "included; exit 3 = partial, run again to apply the rest.",
    )(f)
    return click.option(
        "--max-calls",
        "max_calls",
        type=click.IntRange(min=1),
        default=None,
        metavar="N",
        help="Stop at an action boundary before N API calls have been made, reads included; "
        "exit 3 = partial, run again to apply the rest.",
    )(f)


def api(f: Callable) -> Callable:
    """The options of every command that talks to the API."""
    for option in (max_wait, rate, sandbox):
        f = option(f)
    return f


def help_with_env(doc: str) -> dict[str, Any]:
    return {"help": f"{doc}\n\n{ENV_HELP}", "epilog": None}
