"""``tatango-iac doctor``: read-only checks of the account, and an optional write probe."""

from __future__ import annotations

import sys
from typing import Optional

import click

from tatango_iac.cli import options, output
from tatango_iac.cli.common import client_for
from tatango_iac.cli.main import EXIT_ERROR, EXIT_OK, Failure, cli
from tatango_iac.doctor import Recorder, run_doctor
from tatango_iac.doctor.report import render_json, render_text


@cli.command(**options.help_with_env("Check, on your account, that the API behaves the way the tool assumes."))
@click.option(
    "--write-probe",
    is_flag=True,
    help="Also test the write assumptions on a scratch list it creates and always removes.",
)
@click.option(
    "--record",
    "record_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Write the answers seen as a scrubbed cassette into this directory (for a bug report).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: a table of assumption / observed / verdict; json: machine-readable.",
)
@options.api
def doctor(
    write_probe: bool,
    record_dir: Optional[str],
    fmt: str,
    sandbox: bool,
    sandbox_profile: Optional[str],
    rate: Optional[float],
    max_wait: Optional[float],
) -> None:
    recorder = Recorder() if record_dir else None
    with client_for(sandbox, sandbox_profile, rate, max_wait) as client:
        report, interrupted = run_doctor(client, write_probe, recorder, on_event=output.err)
    output.out(render_json(report) if fmt == "json" else render_text(report))
    if recorder is not None and record_dir:
        output.err(f"Recorded {len(recorder.exchanges)} answers (scrubbed) in {recorder.write(record_dir)}")
    if interrupted:
        raise Failure(
            "Error: the write probe was interrupted; "
            + ("the scratch list was removed (see above)" if not report.left_behind else "see above for what is left")
        )
    sys.exit(EXIT_ERROR if report.failed else EXIT_OK)
