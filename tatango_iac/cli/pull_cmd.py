"""``tatango-iac pull``: the web UI is an author too."""

from __future__ import annotations

import os

import click

from tatango_iac.cli import options, output
from tatango_iac.cli.common import check_targets, client_for
from tatango_iac.cli.main import Failure, cli


@cli.command(
    **options.help_with_env(
        "Take the live value of each drifted managed attribute back into the YAML files, where it is written "
        "(the account wins). Comments, key order, quoting and untouched lines stay as they are."
    )
)
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--list", "names", multiple=True, metavar="NAME", help="Pull this list of the configuration (repeatable)."
)
@click.option("--all", "all_lists", is_flag=True, help="Pull every list of the configuration.")
@click.option("--dry-run", is_flag=True, help="Show the edits as a unified diff; write nothing.")
@options.api
def pull(
    paths: tuple[str, ...],
    names: tuple[str, ...],
    all_lists: bool,
    dry_run: bool,
    sandbox: bool,
    sandbox_profile: str | None,
    rate: float | None,
    max_wait: float | None,
) -> None:
    from tatango_iac.config.loader import load_or_raise
    from tatango_iac.pull import pull as run_pull

    if bool(names) == all_lists:
        raise Failure("Error: say which lists to pull: --list NAME (repeatable) or --all. Nothing was read or changed.")
    check_targets(load_or_raise(paths)[0], names)  # a typo fails before any call, with a did-you-mean
    with client_for(sandbox, sandbox_profile, rate, max_wait) as client:  # a PullError: message, exit 1
        report = run_pull(client, list(paths), list(names), os.environ, dry_run, output.progress_for(client))
    for line in report.lines:
        output.out(f"{'would take' if dry_run else 'took'} {line}")
    for diff in report.diffs if dry_run else []:
        output.out(diff.rstrip("\n"))
    for warning in report.warnings:
        output.err(f"Warning: {warning}")
    for left in report.remaining:
        output.err(f"Warning: still planned after the pull (needs the variable set): {left}")
    files = len(report.edited)
    if dry_run:
        output.out(f"Dry run: {files} file(s) would change; nothing was written.")
    elif files:
        output.out(
            f"Pulled into {files} file(s); the plan for these lists now has nothing to apply"
            f"{' but what the warnings name' if report.remaining else ''}."
        )
    else:
        output.out("Nothing to pull: the files already hold the live values.")
