"""``tatango-iac sandbox serve``: the emulator on 127.0.0.1, for demos, tests and bug reports."""

from __future__ import annotations

import signal
import sys
from typing import Optional

import click

from tatango_iac.cli import output
from tatango_iac.cli.main import Failure, cli
from tatango_iac.cli.options import ProfileName


@cli.group()
def sandbox() -> None:
    """The Tatango API emulator."""


@sandbox.command("serve")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port; the first line printed names it).",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False),
    default=".tatango-sandbox.json",
    show_default=True,
    help="JSON file holding the account state (created if missing).",
)
@click.option(
    "--profile",
    type=ProfileName(),
    default="faithful",
    show_default=True,
    help="Behaviour profile: flip one point the API reference leaves open (see the README).",
)
@click.option("--fault-rate", type=click.FloatRange(0, 1), default=0.0, help="Probability of a random fault per call.")
@click.option(
    "--fault-kinds",
    default="429,500,502,503,html403,drop_before,drop_after",
    show_default=True,
    help="Comma-separated fault kinds drawn at random.",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(min=1),
    default=None,
    help="Calls allowed per hour for the whole account (429 beyond).",
)
@click.option(
    "--burst",
    type=click.IntRange(min=1),
    default=None,
    help="With --rate-limit: calls allowed at once (a token bucket; 1 = strictly one call per interval).",
)
@click.option("--no-retry-after", is_flag=True, help="Answer 429 without a Retry-After header.")
@click.option("--latency-ms", type=click.IntRange(min=0), default=0, help="Delay every answer by this much.")
@click.option("--seed", type=int, default=0, help="Seed of the fault generator (runs are repeatable).")
def sandbox_serve(
    port: int,
    state_file: str,
    profile: str,
    fault_rate: float,
    fault_kinds: str,
    rate_limit: Optional[int],
    burst: Optional[int],
    no_retry_after: bool,
    latency_ms: int,
    seed: int,
) -> None:
    """Serve the emulator on 127.0.0.1 until Ctrl-C or SIGTERM."""
    from tatango_iac.sandbox import SANDBOX_EMAIL, SandboxServer
    from tatango_iac.sandbox.profiles import profile_named
    from tatango_iac.sandbox.server import Faults
    from tatango_iac.sandbox.storage import locked

    try:
        faults = Faults.from_dict(
            {
                "rate": fault_rate,
                "kinds": [k.strip() for k in fault_kinds.split(",") if k.strip()],
                "rate_limit": rate_limit,
                "burst": burst,
                "retry_after": not no_retry_after,
                "latency_ms": latency_ms,
                "seed": seed,
            }
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    with locked(state_file):
        try:
            server = SandboxServer(state_file, port=port, faults=faults, profile=profile_named(profile))
        except OSError as exc:
            raise Failure(f"Error: cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
        click.echo(f"Tatango sandbox on {server.url} (state: {state_file}, profile: {profile})")
        click.echo(f"  export TATANGO_API_URL={server.url} TATANGO_EMAIL={SANDBOX_EMAIL} TATANGO_API_KEY=<sandbox key>")
        click.echo(
            f"  the sandbox key is the state file's api_key (sandbox-api-key unless seeded otherwise); "
            f"control API: {server.control_url}"
        )
        sys.stdout.flush()  # scripts wait for the first line to learn the port
        signal.signal(signal.SIGTERM, lambda signum, frame: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            server.httpd.serve_forever()
        except KeyboardInterrupt:
            output.err("\nstopped")
        finally:
            server.httpd.server_close()
            server.state.flush()
