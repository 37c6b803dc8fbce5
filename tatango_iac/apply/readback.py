"""Apply's read-back (§13): "complete" only when a re-read shows the account holds the configuration.

After the last write, the index pages and the webhooks / custom fields of the lists the
apply touched are read again, and planned again with the planner's own comparison
(``engine.recheck`` says what the fresh plan means for each applied action). A write not
visible yet (the account still shows what the plan saw before it: reads that lag
writes) is read again with a bounded, announced wait, so the next run never acts on a
view older than this apply's own writes. Whatever the writes' answers said, only this
re-read decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Optional

from tatango_iac.api.client import TatangoClient
from tatango_iac.api.reader import read_live
from tatango_iac.engine.plan import Action
from tatango_iac.engine.planner import managed_fields
from tatango_iac.engine.planner import plan as compute_plan
from tatango_iac.engine.reads import reads_for
from tatango_iac.engine.recheck import WAITING, Finding, Kind, compare, readback_scope, touched_lists
from tatango_iac.engine.records import Entry, FormsRecord, Observation, entry_key, key_check, observed, written
from tatango_iac.errors import PlanError
from tatango_iac.model import DesiredAccount, LiveList, Reads, ReadsFor

DEFAULT_WAIT = 60.0  # seconds: how long a write may take to become visible before apply says it is not
FIRST_DELAY = 1.0


@dataclass
class ReadbackResult:
    findings: list[Finding] = field(default_factory=list)
    waited: float = 0.0
    calls: int = 0
    error: Optional[str] = None  # the re-read could not be compared with the configuration
    # Managed attributes the API's answers do not report: "matches" cannot cover them.
    unchecked: list[str] = field(default_factory=list)
    # What the API holds in another form than sent (engine.records): for the forms record, and for the user.
    observed: list[Observation] = field(default_factory=list)
    still_recorded: set[tuple[int, str, str]] = field(default_factory=set)  # old entries the re-read confirmed
    live_ids: set[int] = field(default_factory=set)
    key_check: str = ""  # engine.records.key_check of the credentials the new entries are digested under

    @property
    def entries(self) -> list[Entry]:
        return [o.entry for o in self.observed]

    @property
    def ok(self) -> bool:
        return not self.findings and self.error is None

    def lines(self) -> list[str]:
        if self.error:
            return [self.error]
        return [finding.line(self.waited if finding.kind in WAITING else 0.0) for finding in self.findings]


def read_back(
    client: TatangoClient,
    desired: DesiredAccount,
    applied: list[Action],
    *,
    max_wait: float = DEFAULT_WAIT,
    on_event: Callable[[str], None] = lambda message: None,
    record: Optional[FormsRecord] = None,
    at: str = "",
) -> ReadbackResult:
    """Re-read what the applied actions touched until it shows them, or the wait is over.

    ``record``: the forms record the plan was made with (the fresh plan reads it too, so a recorded form
    re-sent with a real change is no finding); ``at``: the time new entries carry."""
    scope = readback_scope(touched_lists(desired, applied))
    clock, first_call, start = client.clock, client.calls, client.clock.monotonic()
    delay = FIRST_DELAY
    while True:
        live = read_live(client, _without_keyword_tests(reads_for(desired, scope)))
        waited = clock.monotonic() - start
        try:
            fresh = compute_plan(desired, live, scope, key=client.digest_key(), record=record)
        except PlanError as exc:
            return ReadbackResult(
                [],
                waited,
                client.calls - first_call,
                error="the re-read could not be compared with the configuration: " + "; ".join(exc.messages),
            )
        findings = compare(applied, fresh, {lst.id for lst in live.lists})
        pending = [f for f in findings if f.kind in WAITING]
        remaining = max_wait - waited
        if not pending or remaining <= 0:
            unchecked = sorted(live.unreported & managed_fields(desired.lists))
            # After the whole wait, a write still not visible is held as the old value, as far as anyone can
            # tell (an API that keeps 255 for a sent 300, or ignores the write): recorded like one held otherwise,
            # so it is not planned again (a replace) night after night. Should the reads only lag, the next plan
            # sees the value as sent and the entry no longer matches anything.
            held = {f.address for f in findings if f.kind in (Kind.HELD, Kind.NOT_VISIBLE)}
            return ReadbackResult(
                findings,
                waited,
                client.calls - first_call,
                unchecked=unchecked,
                observed=observed(
                    [a for a in fresh.actions if a.address in held], live, client.digest_key(), at, written(applied)
                ),
                still_recorded={
                    entry_key(f["list_id"], f["address"], f["attribute"])
                    for f in fresh.stored_forms
                    if f.get("source") == "record"
                },
                live_ids={lst.id for lst in live.lists},
                key_check=key_check(client.digest_key()),
            )
        delay = min(delay, remaining)
        shown = ", ".join(f.address for f in pending[:3]) + (" ..." if len(pending) > 3 else "")
        on_event(
            f"read-back: {len(pending)} write(s) not visible yet ({shown}); reading again in {delay:.0f} s "
            f"(waiting at most {max_wait:.0f} s in all, --verify-wait)"
        )
        clock.sleep(delay)
        delay *= 2


def _without_keyword_tests(decide: ReadsFor) -> ReadsFor:
    """The plan's own reads, minus the availability tests: the writes are done, the account is what counts."""

    def reads(index: list[LiveList]) -> Reads:
        return replace(decide(index), keywords=())

    return reads
