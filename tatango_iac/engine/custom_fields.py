"""Custom-field actions. The API cannot update a field: any change is a replace (delete, then create).

Labels are unique within a list, and the API refuses a create whose label another field
still holds ("Label has already been taken"). So, like keywords, labels are released
first: a field whose label another create wants is deleted early, and when that field
is itself being replaced, its replace is split into the delete (early) and the create
(later). Any desired set of fields is then reachable in one apply, swaps included.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from tatango_iac.engine.diffs import field_changes
from tatango_iac.engine.kinds import Kind, Reason, Resource
from tatango_iac.engine.normalize import differs, norm_cf_attr
from tatango_iac.engine.plan import Action
from tatango_iac.engine.steps import (
    PHASE_LAST,
    PHASE_MAIN,
    SUB_CF,
    SUB_CF_DELETE_EARLY,
    ChildEmitter,
    Context,
    list_address,
    shown_name,
)
from tatango_iac.model import CUSTOM_FIELD_ATTRS, DesiredCustomField, DesiredList, LiveCustomField, LiveList, known

REPLACE_REASON = "the API cannot update a custom field: delete, then create (stored values are lost)"


def _label(value: Any) -> str:
    return str(value or "").strip().lower()


def _verdict(wanted: DesiredCustomField, current: Optional[LiveCustomField]) -> str:
    if current is None:
        return "create"
    for attr, value in wanted.attrs.items():
        if differs(norm_cf_attr(attr, current.attrs.get(attr)), norm_cf_attr(attr, value)):
            return "replace"
    return "keep"


def custom_field_steps(ctx: Context, index: int, d: DesiredList, live: Optional[LiveList], deps: set[int]) -> None:
    if d.custom_fields is None:
        return
    live_fields = {f.key: f for f in ctx.live.custom_fields.get(live.id, [])} if live else {}
    verdicts = {f.key: _verdict(f, live_fields.get(f.key)) for f in d.custom_fields}
    verdicts.update({key: "delete" for key in live_fields if key not in verdicts})
    label_holder = {_label(f.attrs.get("label")): key for key, f in live_fields.items() if known(f.attrs.get("label"))}
    frees: dict[str, tuple[str, str]] = {}  # live key -> (the key that wants its label, the label)
    for f in d.custom_fields:
        wanted_label = _label(f.attrs.get("label"))
        holder = label_holder.get(wanted_label)
        if (
            verdicts[f.key] in ("create", "replace")
            and holder not in (None, f.key)
            and verdicts.get(holder) in ("delete", "replace")
        ):
            frees[holder] = (f.key, f.attrs.get("label", ""))
    emit = _Emitter(ctx, index, d, live, deps)
    for key, live_field in live_fields.items():
        if verdicts[key] == "delete":
            emit.delete(live_field, early=frees.get(key))
    for f in d.custom_fields:
        verdict, current = verdicts[f.key], live_fields.get(f.key)
        if verdict == "create":
            emit.create(f)
        elif verdict == "replace" and f.key in frees:
            emit.delete(current, early=frees[f.key], half_of_replace=True)
            emit.create(f, current=current)
        elif verdict == "replace":
            emit.replace(f, current)


class _Emitter(ChildEmitter):
    def _address(self, key: str) -> str:
        return f"{list_address(self.d)}.custom_field[{json.dumps(key)}]"

    def delete(
        self, current: Optional[LiveCustomField], early: Optional[tuple[str, str]], half_of_replace: bool = False
    ) -> None:
        assert current is not None
        reason, code = "", Reason.DELETE_BECAUSE_NO_CONFIGURATION
        if early:
            reason = f"frees the label {early[1]!r} for custom_field[{json.dumps(early[0])}] first"
            code = Reason.DELETE_TO_RELEASE_LABEL
        if half_of_replace:
            reason = f"replace, step 1 of 2 ({REPLACE_REASON}); {reason}"
            code = Reason.DELETE_BECAUSE_CANNOT_UPDATE
        action = Action(
            Kind.DELETE,
            Resource.CUSTOM_FIELD,
            self._address(current.key),
            shown_name(self.d),
            before={"key": current.key, **_known(current.attrs)},
            destructive=True,
            payload={"key": current.key},
            reason=reason,
            reason_code=code,
        )
        order = (PHASE_MAIN, self.index, SUB_CF_DELETE_EARLY) if early else (PHASE_LAST, self.index, SUB_CF)
        self.add(action, order)

    def create(self, wanted: DesiredCustomField, current: Optional[LiveCustomField] = None) -> None:
        payload = {"key": wanted.key, **wanted.attrs}
        split = current is not None  # the second half of a replace split around a label
        action = Action(
            Kind.CREATE,
            Resource.CUSTOM_FIELD,
            self._address(wanted.key),
            shown_name(self.d),
            after=payload,
            payload=payload,
            reason=f"replace, step 2 of 2 ({REPLACE_REASON})" if split else "",
            reason_code=Reason.CREATE_BECAUSE_CANNOT_UPDATE if split else Reason.CREATE_BECAUSE_MISSING,
        )
        self.add(action, (PHASE_MAIN, self.index, SUB_CF))

    def replace(self, wanted: DesiredCustomField, current: Optional[LiveCustomField]) -> None:
        assert current is not None
        live_attrs = _known(current.attrs)
        before = {"key": wanted.key, **live_attrs}
        after = {"key": wanted.key, **{a: wanted.attrs.get(a, live_attrs.get(a)) for a in CUSTOM_FIELD_ATTRS}}
        changed_before = {
            a: live_attrs.get(a)
            for a in wanted.attrs
            if differs(norm_cf_attr(a, current.attrs.get(a)), norm_cf_attr(a, wanted.attrs[a]))
        }
        changed_after = {a: wanted.attrs[a] for a in changed_before}
        payload = {"key": wanted.key, **{a: v for a, v in after.items() if a != "key" and v is not None}}
        action = Action(
            Kind.REPLACE,
            Resource.CUSTOM_FIELD,
            self._address(wanted.key),
            shown_name(self.d),
            before=before,
            after=after,
            destructive=True,
            payload=payload,
            reason=REPLACE_REASON,
            reason_code=Reason.REPLACE_BECAUSE_CANNOT_UPDATE,
            changes=field_changes(changed_before, changed_after),
        )
        self.add(action, (PHASE_MAIN, self.index, SUB_CF))


def _known(attrs: dict[str, Any]) -> dict[str, Any]:
    return {a: v for a, v in attrs.items() if known(v)}
