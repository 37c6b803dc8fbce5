"""Semantic rules over the desired model: errors, and rules for values written new.

Every rule has an id. Rules the API reference backs are errors. Rules it does not back
(keyword characters and length beyond 2, list name length, the follow-up hour range,
success_action on legacy requests, a field without max_length) are warnings here and
become errors in the plan only for a value the plan writes new (``NewValueRule``), so an
account made in the web UI can always be adopted. Lint warnings are in ``lint``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterator
from urllib.parse import urlsplit

from tatango_iac.config.clear_secrets import check_clear_secrets
from tatango_iac.config.diagnostics import ERROR, WARNING, Diagnostic
from tatango_iac.config.lint import lint_account, lint_list
from tatango_iac.config.patterns import check_patterns
from tatango_iac.model import (
    LIST_MESSAGE_FIELDS,
    OPT_IN_MESSAGE_FIELDS,
    RESERVED_KEYWORDS,
    DesiredAccount,
    DesiredList,
    NewValueRule,
    Source,
    Via,
    normalize_keyword,
)
from tatango_iac.secret_urls import url_problem
from tatango_iac.secrets import display
from tatango_iac.terminal import BIDI_CONTROLS, first_unsafe

NEW_LIST_NAME_MAX = 25
KEYWORD_MIN, KEYWORD_MAX = 2, 15
FOLLOW_UP_HOURS = (1, 720)
LIST_DELETE_KEYS = {"name", "id", "delete"}


class Checker:
    def __init__(self, account: DesiredAccount):
        self.account = account
        self.out: list[Diagnostic] = []
        self.new_value_rules: list[NewValueRule] = []
        self.pattern_seconds = 0.0  # time spent matching custom-field patterns (bounded: config.patterns)
        # Findings on values from a template or defaults, by place and rule: reported once, with the lists.
        self.inherited: dict[tuple[str, int, int, str, str], list[tuple[str, Via]]] = {}

    def error(self, where: Source, message: str, rule: str) -> None:
        self._emit(where, ERROR, message, rule)

    def warn(self, where: Source, message: str, rule: str) -> None:
        self._emit(where, WARNING, message, rule)

    def _emit(self, where: Source, severity: str, message: str, rule: str) -> None:
        if where.via is None:
            self.out.append(Diagnostic(where.file, where.line, where.col, severity, message, rule))
        else:
            key = (where.file, where.line, where.col, severity, rule)
            self.inherited.setdefault(key, []).append((message, where.via))

    def finish(self) -> list[Diagnostic]:
        """Each finding on a template's line once, naming the first list it reaches and how many."""
        for (file, line, col, severity, rule), found in self.inherited.items():
            message, via = found[0]
            lists = len({v.list_label for _m, v in found})
            reach = (
                f"in list {via.list_label} at {via.list_source}"
                if lists == 1
                else f"in {lists} lists, first list {via.list_label} at {via.list_source}"
            )
            self.out.append(Diagnostic(file, line, col, severity, f"{message} (from {via.origin}; {reach})", rule))
        self.inherited.clear()
        return self.out

    def new_value(self, lst: DesiredList, kind: str, detail: Any, where: Source, message: str, rule: str) -> None:
        """A warning now; an error in the plan if the plan writes the value new."""
        self.warn(where, f"{message} (refused if the plan writes it new; kept if the account already has it)", rule)
        self.new_value_rules.append(NewValueRule(kind, lst.key, detail, where, message, rule))


def at(lst: DesiredList, *path: Any) -> Source:
    """Where the value at path is written: on the list, or in the template or defaults it came from."""
    origin = lst.origins.get(path[0]) if path else None
    if origin is None:
        line, col = lst.located.where(lst.path + path)
        return Source(lst.located.file, line, col)
    line, col = origin.located.where(origin.path + path[1:])
    return Source(origin.located.file, line, col, via=Via(origin.label, lst.label or lst.name, lst.source))


def key_at(lst: DesiredList, *path: Any) -> Source:
    """Where a key itself is written (for rules about a whole block, e.g. opt_in_requests)."""
    origin = lst.origins.get(path[0]) if path else None
    if origin is None:
        line, col = lst.located.key_where(lst.path + path)
        return Source(lst.located.file, line, col)
    line, col = origin.located.key_where(origin.path + path[1:])
    return Source(origin.located.file, line, col, via=Via(origin.label, lst.label or lst.name, lst.source))


def check_account(account: DesiredAccount) -> tuple[list[Diagnostic], list[NewValueRule]]:
    checker = Checker(account)
    _check_names(checker)
    _check_pins(checker)
    _check_keywords(checker)
    policy = lint_account(checker)
    for lst in account.lists:
        _check_delete(checker, lst)
        _check_opt_in(checker, lst)
        _check_custom_fields(checker, lst)
        _check_webhooks(checker, lst)
        _check_characters(checker, lst)
        lint_list(checker, lst, policy)
    return checker.finish(), checker.new_value_rules


def _check_names(c: Checker) -> None:
    by_name: dict[str, list[DesiredList]] = defaultdict(list)
    for lst in c.account.lists:
        by_name[lst.name].append(lst)
        if len(lst.name) > NEW_LIST_NAME_MAX:
            c.new_value(
                lst,
                "list-name",
                None,
                at(lst, "name"),
                f"list name '{display(lst.name)}' is "
                f"{len(lst.name)} characters: the API takes at most {NEW_LIST_NAME_MAX} for a new name",
                "list-name-length",
            )
    for name, entries in by_name.items():
        ids = [e.id for e in entries]
        if len(entries) > 1 and (None in ids or len(set(ids)) < len(ids)):
            first = entries[0]
            for lst in entries[1:]:
                c.error(
                    lst.source,
                    f"list name '{display(name)}' is already used at {first.source} (entries may "
                    "share a name only when each pins its live list with a distinct `id:`)",
                    "list-name-duplicate",
                )
    _check_renames(c, set(by_name))


def _check_renames(c: Checker, names: set[str]) -> None:
    renamed: dict[str, DesiredList] = {}
    for lst in c.account.lists:
        if lst.renamed_from is None:
            continue
        where = at(lst, "renamed_from")
        if lst.renamed_from == lst.name:
            c.error(where, "renamed_from is the list's own name", "renamed-from")
        elif lst.renamed_from in names:
            c.error(
                where,
                f"renamed_from '{lst.renamed_from}' is the name of another list in the configuration",
                "renamed-from",
            )
        elif lst.renamed_from in renamed:
            c.error(
                where,
                f"'{lst.renamed_from}' is already renamed by list '{renamed[lst.renamed_from].name}'",
                "renamed-from",
            )
        renamed.setdefault(lst.renamed_from, lst)


def _check_pins(c: Checker) -> None:
    """One live list, one entry: two entries pinning one id would manage (or delete) it twice."""
    first: dict[int, DesiredList] = {}
    for lst in c.account.lists:
        if lst.id is None:
            continue
        other = first.get(lst.id)
        if other is not None and other.name != lst.name:  # same name too: list-name-duplicate says it
            c.error(
                at(lst, "id"),
                f"list '{display(lst.name)}' pins id {lst.id}, which list '{display(other.name)}' "
                f"already pins at {at(other, 'id')}: one entry per live list",
                "list-id-duplicate",
            )
        first.setdefault(lst.id, lst)


def _check_delete(c: Checker, lst: DesiredList) -> None:
    if not lst.delete:
        return
    data = lst.located.data
    for part in lst.path:
        data = data[part]
    if data.get("protect"):
        c.error(
            key_at(lst, "protect"),
            f"list '{display(lst.name)}' has protect: true and delete: true: a protected "
            "list is never deleted; lift protection in a change of its own first",
            "list-protected",
        )
    for key in sorted(set(data) - LIST_DELETE_KEYS - {"protect"}):
        c.error(
            key_at(lst, key),
            f"list '{display(lst.name)}' has delete: true, so '{key}' has no effect: a list "
            "to delete carries only name (and id)",
            "list-delete",
        )


def _check_keywords(c: Checker) -> None:
    owner: dict[str, tuple[DesiredList, Source]] = {}
    for lst in c.account.lists:
        if lst.delete:
            continue
        for j, keyword in enumerate(lst.keyword_names or []):
            where = at(lst, "keyword_names", j)
            upper = normalize_keyword(keyword)
            shown = display(keyword)
            if len(keyword.strip()) < KEYWORD_MIN:
                c.error(where, f"keyword '{shown}' must be at least {KEYWORD_MIN} characters", "keyword-length")
            elif len(keyword.strip()) > KEYWORD_MAX:
                c.new_value(
                    lst,
                    "keyword",
                    upper,
                    where,
                    f"keyword '{shown}' is {len(keyword.strip())} characters: "
                    f"the API takes {KEYWORD_MIN}-{KEYWORD_MAX} for a new keyword",
                    "keyword-length",
                )
            if not upper.isascii() or not upper.isalnum():
                c.new_value(
                    lst,
                    "keyword",
                    upper,
                    where,
                    f"keyword '{shown}' has characters other than letters and digits",
                    "keyword-shape",
                )
            if upper in RESERVED_KEYWORDS:
                c.error(where, f"'{shown}' is a carrier-reserved word and cannot be a keyword", "keyword-reserved")
            if upper in owner:
                other, first = owner[upper]
                same = "this list" if other is lst else f"list '{display(other.name)}'"
                c.error(
                    where,
                    f"keyword '{display(upper)}' is already used by {same} at {first} (keywords are case-insensitive)",
                    "keyword-duplicate",
                )
            else:
                owner[upper] = (lst, where)


def _check_opt_in(c: Checker, lst: DesiredList) -> None:
    requests_ = lst.opt_in_requests or []
    if lst.opt_in_type == "double" and not requests_:
        c.error(
            at(lst, "opt_in_type"), "opt_in_type: double needs at least one opt_in_requests entry", "opt-in-requests"
        )
    if requests_ and lst.opt_in_type != "double":
        c.error(
            key_at(lst, "opt_in_requests"), "opt_in_requests are only used with opt_in_type: double", "opt-in-requests"
        )
    for i, request in enumerate(requests_):
        last = i == len(requests_) - 1
        wanted = "optinsubscriber" if last else "nextrequest"
        if request.get("success_action") != wanted:
            which = "the last request" if last else "every request but the last"
            c.new_value(
                lst,
                "request-field",
                (i, "success_action"),
                at(lst, "opt_in_requests", i, "success_action"),
                f"success_action must be '{wanted}' on {which}",
                "opt-in-success-action",
            )
        hour = request.get("follow_up_hour")
        if request.get("follow_up") and hour is None:
            c.error(at(lst, "opt_in_requests", i), "follow_up: true needs follow_up_hour", "opt-in-follow-up")
        elif hour is not None and not FOLLOW_UP_HOURS[0] <= hour <= FOLLOW_UP_HOURS[1]:
            c.new_value(
                lst,
                "request-field",
                (i, "follow_up_hour"),
                at(lst, "opt_in_requests", i, "follow_up_hour"),
                f"follow_up_hour {hour} is outside {FOLLOW_UP_HOURS[0]}-{FOLLOW_UP_HOURS[1]}",
                "opt-in-follow-up",
            )


def _check_custom_fields(c: Checker, lst: DesiredList) -> None:
    keys: dict[str, Source] = {}
    labels: dict[str, Source] = {}
    for j, cf in enumerate(lst.custom_fields or []):
        if cf.key in keys:
            c.error(
                cf.source, f"custom field key '{cf.key}' is already used at {keys[cf.key]}", "custom-field-duplicate"
            )
        keys.setdefault(cf.key, cf.source)
        label = str(cf.attrs.get("label", "")).strip().lower()
        if label in labels:
            c.error(
                at(lst, "custom_fields", j, "label"),
                f"custom field label '{display(cf.attrs.get('label'))}' is already used at {labels[label]}",
                "custom-field-duplicate",
            )
        labels.setdefault(label, at(lst, "custom_fields", j, "label"))
        if cf.attrs.get("max_length", 0) is None:
            c.new_value(
                lst,
                "custom-field",
                cf.key,
                at(lst, "custom_fields", j, "max_length"),
                f"custom field '{cf.key}' has no max_length: the API refuses to create a field without it",
                "custom-field-max-length",
            )
    check_patterns(c, lst)


def _check_webhooks(c: Checker, lst: DesiredList) -> None:
    seen: dict[str, Source] = {}
    for hook in lst.webhooks or []:
        shown = display(hook.callback_url, url=True)
        if problem := url_problem(hook.callback_url):  # say what is wrong, as masking hides the text
            c.error(hook.source, f"callback_url '{shown}' is not a valid URL: {problem}", "webhook-url")
        elif urlsplit(hook.callback_url).scheme not in ("http", "https") or not urlsplit(hook.callback_url).hostname:
            c.error(hook.source, f"callback_url '{shown}' is not an http(s) URL with a host", "webhook-url")
        if hook.callback_url in seen:
            c.error(
                hook.source, f"webhook '{shown}' is already defined at {seen[hook.callback_url]}", "webhook-duplicate"
            )
        seen.setdefault(hook.callback_url, hook.source)
    check_clear_secrets(c, lst)


def _texts(lst: DesiredList) -> Iterator[tuple[tuple, Any, bool]]:
    """(path, value, is a message) for every string that can reach a terminal or a phone."""
    yield ("name",), lst.name, False
    for j, keyword in enumerate(lst.keyword_names or []):
        yield ("keyword_names", j), keyword, False
    for name in LIST_MESSAGE_FIELDS + ("email_digest",):
        yield (name,), lst.fields.get(name), name != "email_digest"
    for i, request in enumerate(lst.opt_in_requests or []):
        for name in OPT_IN_MESSAGE_FIELDS:
            yield ("opt_in_requests", i, name), request.get(name), True
    for j, cf in enumerate(lst.custom_fields or []):
        yield ("custom_fields", j, "label"), cf.attrs.get("label"), False
    for j, hook in enumerate(lst.webhooks or []):
        yield ("webhooks", j, "callback_url"), hook.callback_url, False


def _check_characters(c: Checker, lst: DesiredList) -> None:
    """Control characters (NUL, ESC, BEL...) and bidi overrides reach terminals, reviewers and phones."""
    for path, value, is_message in _texts(lst):
        if not isinstance(value, str):
            continue
        index = first_unsafe(value.replace("\r\n", "\n") if is_message else value)
        if index < 0:
            continue
        char = value.replace("\r\n", "\n")[index] if is_message else value[index]
        what = f"U+{ord(char):04X}"
        where = at(lst, *path)
        if is_message and ord(char) in BIDI_CONTROLS:
            c.warn(
                where,
                f"{path[-1]} has a bidi control character ({what}) at position {index + 1}: the text may "
                "show in another order than it is sent",
                "bidi-control",
            )
        else:
            c.error(
                where,
                f"{path[-1]} has a control character ({what}) at position {index + 1}; refused",
                "control-character",
            )
