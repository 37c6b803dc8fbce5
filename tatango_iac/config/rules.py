"""Semantic rules (errors) and lint rules (warnings) over the desired model.

Every rule has an id; lint ids can be switched off in ``account.lint``.
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterator
from urllib.parse import urlsplit

from tatango_iac.config.diagnostics import ERROR, WARNING, Diagnostic
from tatango_iac.model import (
    LIST_MESSAGE_FIELDS,
    OPT_IN_MESSAGE_FIELDS,
    RESERVED_KEYWORDS,
    DesiredAccount,
    DesiredList,
    Source,
    normalize_keyword,
)
from tatango_iac.secrets import display

LINT_RULES = ("sms-length", "gsm7", "optin-disclosure", "help-content", "stop-confirmation")

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")  # each counts as two characters
KEYWORD_SHAPE = re.compile(r"^[A-Za-z0-9]+$")
_RATES = re.compile(r"msg\s*(&|and)\s*data\s+rates\s+may\s+apply", re.IGNORECASE)
_STOP = re.compile(r"\bSTOP\b", re.IGNORECASE)
_HELP = re.compile(r"\bHELP\b", re.IGNORECASE)
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|https?://|\b[\w-]+\.(com|net|org|io|co|us|info)\b|\d{3}[\s.-]?\d{3}[\s.-]?\d{4}|\b\d{5,6}\b",
                      re.IGNORECASE)
_STOP_CONFIRMATION = re.compile(
    r"unsubscribed|opted[\s-]out|no (more|further) (messages|msgs)|will not receive|won't receive|"
    r"not receive any more|removed", re.IGNORECASE)


def sms_parts(text: str) -> tuple[int, int, bool]:
    """(length in encoding units, number of SMS parts, is GSM-7)."""
    gsm = all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)
    if gsm:
        length = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        return length, 1 if length <= 160 else math.ceil(length / 153), True
    length = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    return length, 1 if length <= 70 else math.ceil(length / 67), False


class _Checker:
    def __init__(self, account: DesiredAccount):
        self.account = account
        self.out: list[Diagnostic] = []
        self.lint_on = {rule: account.account.lint.get(rule, True) for rule in LINT_RULES}

    def error(self, where: Source, message: str, rule: str) -> None:
        self.out.append(Diagnostic(where.file, where.line, where.col, ERROR, message, rule))

    def warn(self, where: Source, message: str, rule: str) -> None:
        if self.lint_on.get(rule, True):
            self.out.append(Diagnostic(where.file, where.line, where.col, WARNING, message, rule))


def _at(lst: DesiredList, *path: Any) -> Source:
    line, col = lst.located.where(lst.path + path)
    located = lst.located
    return Source(located.file, line, col)


def _key_at(lst: DesiredList, *path: Any) -> Source:
    """Where a key itself is written (for rules about a whole block, e.g. opt_in_requests)."""
    line, col = lst.located.key_where(lst.path + path)
    located = lst.located
    return Source(located.file, line, col)


def check_account(account: DesiredAccount) -> list[Diagnostic]:
    checker = _Checker(account)
    _check_names(checker)
    _check_keywords(checker)
    for lst in account.lists:
        _check_opt_in(checker, lst)
        _check_custom_fields(checker, lst)
        _check_webhooks(checker, lst)
        _lint_list(checker, lst)
    return checker.out


def _check_names(c: _Checker) -> None:
    seen: dict[str, DesiredList] = {}
    names = {lst.name for lst in c.account.lists}
    renamed: dict[str, DesiredList] = {}
    for lst in c.account.lists:
        if lst.name in seen:
            c.error(lst.source, f"list name '{lst.name}' is already used at {seen[lst.name].source}",
                    "list-name-duplicate")
        seen.setdefault(lst.name, lst)
        if lst.renamed_from is not None:
            where = _at(lst, "renamed_from")
            if lst.renamed_from == lst.name:
                c.error(where, "renamed_from is the list's own name", "renamed-from")
            elif lst.renamed_from in names:
                c.error(where, f"renamed_from '{lst.renamed_from}' is the name of another list in the configuration",
                        "renamed-from")
            elif lst.renamed_from in renamed:
                c.error(where, f"'{lst.renamed_from}' is already renamed by list '{renamed[lst.renamed_from].name}'",
                        "renamed-from")
            renamed.setdefault(lst.renamed_from, lst)


def _check_keywords(c: _Checker) -> None:
    owner: dict[str, tuple[DesiredList, Source]] = {}
    for lst in c.account.lists:
        for j, keyword in enumerate(lst.keyword_names or []):
            where = _at(lst, "keyword_names", j)
            upper = normalize_keyword(keyword)
            if not 2 <= len(keyword) <= 15:
                c.error(where, f"keyword '{keyword}' must be 2-15 characters (has {len(keyword)})", "keyword-length")
            elif not KEYWORD_SHAPE.match(keyword):
                c.error(where, f"keyword '{keyword}' may contain only letters and digits", "keyword-shape")
            if upper in RESERVED_KEYWORDS:
                c.error(where, f"'{keyword}' is a carrier-reserved word and cannot be a keyword", "keyword-reserved")
            if upper in owner:
                other, first = owner[upper]
                same = "this list" if other is lst else f"list '{other.name}'"
                c.error(where, f"keyword '{upper}' is already used by {same} at {first} (keywords are case-insensitive)",
                        "keyword-duplicate")
            else:
                owner[upper] = (lst, where)


def _check_opt_in(c: _Checker, lst: DesiredList) -> None:
    requests_ = lst.opt_in_requests
    if lst.opt_in_type == "double" and not requests_:
        c.error(_at(lst, "opt_in_type"), "opt_in_type: double needs at least one opt_in_requests entry",
                "opt-in-requests")
    if requests_ and lst.opt_in_type != "double":
        c.error(_key_at(lst, "opt_in_requests"), "opt_in_requests are only used with opt_in_type: double",
                "opt-in-requests")
    for i, request in enumerate(requests_ or []):
        last = i == len(requests_) - 1
        wanted = "optinsubscriber" if last else "nextrequest"
        if request.get("success_action") != wanted:
            which = "the last request" if last else "every request but the last"
            c.error(_at(lst, "opt_in_requests", i, "success_action"),
                    f"success_action must be '{wanted}' on {which}", "opt-in-success-action")
        if request.get("follow_up") and request.get("follow_up_hour") is None:
            c.error(_at(lst, "opt_in_requests", i), "follow_up: true needs follow_up_hour", "opt-in-follow-up")


def _check_custom_fields(c: _Checker, lst: DesiredList) -> None:
    keys: dict[str, Source] = {}
    labels: dict[str, Source] = {}
    for j, cf in enumerate(lst.custom_fields or []):
        if cf.key in keys:
            c.error(cf.source, f"custom field key '{cf.key}' is already used at {keys[cf.key]}", "custom-field-duplicate")
        keys.setdefault(cf.key, cf.source)
        label = str(cf.attrs.get("label", "")).strip().lower()
        if label in labels:
            c.error(_at(lst, "custom_fields", j, "label"),
                    f"custom field label '{cf.attrs.get('label')}' is already used at {labels[label]}",
                    "custom-field-duplicate")
        labels.setdefault(label, _at(lst, "custom_fields", j, "label"))
        pattern = cf.attrs.get("pattern")
        if pattern is None:
            continue
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            c.error(_at(lst, "custom_fields", j, "pattern"), f"pattern does not compile: {exc}", "custom-field-pattern")
            continue
        default = cf.attrs.get("default_value")
        if default is not None and not compiled.search(default):
            c.error(_at(lst, "custom_fields", j, "default_value"),
                    f"default_value '{default}' does not match pattern '{pattern}'", "custom-field-default")


def _check_webhooks(c: _Checker, lst: DesiredList) -> None:
    seen: dict[str, Source] = {}
    for hook in lst.webhooks or []:
        shown = display(hook.callback_url, url=True)
        try:
            parts = urlsplit(hook.callback_url)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            valid = False
        if not valid:
            c.error(hook.source, f"callback_url '{shown}' is not an http(s) URL with a host", "webhook-url")
        if hook.callback_url in seen:
            c.error(hook.source, f"webhook '{shown}' is already defined at {seen[hook.callback_url]}",
                    "webhook-duplicate")
        seen.setdefault(hook.callback_url, hook.source)


def _messages(lst: DesiredList) -> Iterator[tuple[str, str, Source]]:
    for name in LIST_MESSAGE_FIELDS:
        value = lst.fields.get(name)
        if isinstance(value, str) and value:
            yield name, value, _at(lst, name)
    for i, request in enumerate(lst.opt_in_requests or []):
        for name in OPT_IN_MESSAGE_FIELDS:
            value = request.get(name)
            if isinstance(value, str) and value:
                yield name, value, _at(lst, "opt_in_requests", i, name)


_CONFIRMATIONS = {"first_optin_message", "second_optin_message", "opt_in_message", "second_opt_in_message"}


def _lint_list(c: _Checker, lst: DesiredList) -> None:
    for name, text, where in _messages(lst):
        length, parts, gsm = sms_parts(text)
        if not gsm:
            odd = "".join(sorted({ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION}))
            c.warn(where, f"{name} has characters outside GSM-7 ({odd!r}): each SMS part shrinks to 70 characters",
                   "gsm7")
        if parts > 1:
            c.warn(where, f"{name} is {length} characters: sent as {parts} SMS parts", "sms-length")
        if name in _CONFIRMATIONS:
            missing = [label for label, rx in (("'Msg&data rates may apply'", _RATES), ("STOP", _STOP),
                                               ("HELP", _HELP)) if not rx.search(text)]
            if missing:
                c.warn(where, f"opt-in confirmation {name} lacks {', '.join(missing)}", "optin-disclosure")
        if name == "message_help" and not (_CONTACT.search(text) and _STOP.search(text)):
            c.warn(where, "HELP response should give contact details and STOP instructions", "help-content")
        if name == "message_stop" and not _STOP_CONFIRMATION.search(text):
            c.warn(where, "STOP response should confirm the opt-out (e.g. 'You have been unsubscribed')",
                   "stop-confirmation")
