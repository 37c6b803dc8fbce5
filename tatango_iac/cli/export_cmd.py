"""``tatango-iac export``: adopt an existing account."""

from __future__ import annotations

import os
from typing import Optional

import click

from tatango_iac.cli import options, output
from tatango_iac.cli.common import client_for
from tatango_iac.cli.main import Failure, cli


@cli.command(**options.help_with_env("Write YAML for the live account (adoption of an existing account)."))
@click.option(
    "--output",
    "directory",
    type=click.Path(file_okay=False),
    default="exported",
    show_default=True,
    help="Directory to write one YAML file per list into (and tatango.schema.json, for editors).",
)
@click.option("--list", "names", multiple=True, metavar="NAME", help="Export only this list (repeatable).")
@click.option(
    "--force",
    is_flag=True,
    help="Rewrite the files export owns (one file per list it already defined there); never a hand-written file that defines other lists.",
)
@click.option("--include-secrets", is_flag=True, help="Write webhook URLs with their secrets instead of ${...}.")
@click.option(
    "--templates",
    "templates",
    is_flag=True,
    help="Write values most lists share once, in templates.yaml (template 'exported'); lists extend it.",
)
@options.api
def export(
    directory: str,
    names: tuple[str, ...],
    force: bool,
    include_secrets: bool,
    templates: bool,
    sandbox: bool,
    sandbox_profile: Optional[str],
    rate: Optional[float],
    max_wait: Optional[float],
) -> None:
    from tatango_iac.exporter import ExportError, export_account

    try:
        with client_for(sandbox, sandbox_profile, rate, max_wait) as client:
            report = export_account(client, directory, list(names), include_secrets, force, os.environ, templates)
    except ExportError as exc:
        raise Failure(f"Error: {exc}") from None
    for line in report:
        if line.startswith("Warning"):
            output.err(line)
        else:
            output.out(line)
