"""``tatango-iac validate`` and ``tatango-iac schema``: no API involved."""

from __future__ import annotations

import os
import sys

import click

from tatango_iac.cli import output
from tatango_iac.cli.main import EXIT_ERROR, EXIT_OK, Failure, cli
from tatango_iac.config.diagnostics import errors, render
from tatango_iac.config.loader import load
from tatango_iac.config.schema import SCHEMA_FILE, schema_text


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text: FILE:LINE:COL lines; json: machine-readable; github: workflow annotations.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option(
    "--allow-missing-env",
    is_flag=True,
    help="Report unset ${VARS} as warnings (for pre-commit hooks where secrets are not set).",
)
def validate(paths: tuple[str, ...], fmt: str, strict: bool, allow_missing_env: bool) -> None:
    """Check configuration files: YAML, schema, semantic rules and lint. Touches no API."""
    _account, diagnostics = load(paths, missing_env="warning" if allow_missing_env else "error")
    rendered = render(diagnostics, fmt)
    if rendered:
        output.out(rendered)
    failed = bool(errors(diagnostics)) or (strict and bool(diagnostics))
    if fmt == "text":
        n_err = len(errors(diagnostics))
        n_warn = len(diagnostics) - n_err
        summary = f"{n_err} error(s), {n_warn} warning(s)." if diagnostics else "Configuration is valid."
        if rendered:
            output.err("\n" + summary)
        else:
            output.out(summary)
    sys.exit(EXIT_ERROR if failed else EXIT_OK)


@cli.command("schema")
@click.option(
    "--output",
    "directory",
    type=click.Path(file_okay=False),
    default=None,
    help=f"Write {SCHEMA_FILE} into this directory (for editors' $schema modeline) instead of printing it.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing schema file that differs.")
def schema(directory: str | None, force: bool) -> None:
    """Print the configuration's JSON Schema, or write it next to your YAML files."""
    text = schema_text()
    if directory is None:
        click.echo(text, nl=False)
        return
    path = os.path.join(directory, SCHEMA_FILE)
    if os.path.exists(path) and not force:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                output.out(f"{path} is up to date.")
                return
        raise Failure(f"Error: {path} exists and differs; pass --force to overwrite it")
    os.makedirs(directory, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    output.out(f"wrote {path}")
