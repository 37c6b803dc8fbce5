"""``tatango-iac doctor``: find out, on the user's own account, which assumptions of the tool hold."""

from __future__ import annotations

from typing import Callable, Optional

from tatango_iac.api.client import TatangoClient
from tatango_iac.doctor.checks import Checks
from tatango_iac.doctor.probe import Probe
from tatango_iac.doctor.record import Recorder
from tatango_iac.doctor.report import Report


def run_doctor(
    client: TatangoClient,
    write_probe: bool = False,
    recorder: Optional[Recorder] = None,
    on_event: Callable[[str], None] = lambda message: None,
) -> tuple[Report, bool]:
    """The report, and whether a write probe was interrupted (it cleaned up anyway)."""
    if recorder is not None:
        client.observers.append(recorder)
    checks = Checks(client)
    verdicts = checks.run()
    interrupted = False
    credentials_ok = bool(verdicts) and verdicts[0].verdict == "ok"
    if write_probe and credentials_ok:
        probed, interrupted = Probe(client, on_event=on_event).run(checks.lists_seen)
        verdicts += probed
    return Report(client.base_url, verdicts, calls=client.calls, probe=write_probe), interrupted


__all__ = ["Recorder", "Report", "run_doctor"]
