"""Export the live account as YAML that validates and plans to "No changes" (§7).

Whatever the account holds is valid configuration: legacy values the rules would refuse
for new objects are exported as they are (validate warns about them). Secrets in callback
URLs (query values, path tokens, a userinfo password) become ``${TATANGO_SECRET_...}``
placeholders. A list already defined in the target directory (by its ``id:`` pin first,
then by name) is reported, never written twice; ``--force`` rewrites the files export owns
and never a hand-written file that defines other lists (``export_targets``); lists sharing
a name get ``id:`` pins.
Everything is validated before anything is written.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from typing import Any, Mapping, Optional
from urllib.parse import unquote_plus

import yaml

from tatango_iac.api.client import TatangoClient
from tatango_iac.api.reader import read_children, read_lists
from tatango_iac.config.diagnostics import ERROR
from tatango_iac.config.loader import load
from tatango_iac.config.schema import SCHEMA_FILE, schema_text
from tatango_iac.errors import TatangoIacError
from tatango_iac.export_targets import Entry, Existing, free_file_name, scan
from tatango_iac.export_templates import TEMPLATE, TEMPLATES_FILE, factor
from tatango_iac.model import (
    CUSTOM_FIELD_ATTRS,
    LIST_FIELDS,
    OPT_IN_REQUEST_FIELDS,
    LiveCustomField,
    LiveList,
    LiveWebhook,
    known,
)
from tatango_iac.secrets import is_secret_param, looks_like_token, mask_url

REQUIRED_REQUEST_KEYS = ("collected_data", "request_message", "success_action", "follow_up")
REQUIRED_FIELD_KEYS = ("label", "content_type", "max_length")


class ExportError(TatangoIacError):
    """Nothing was written: the request cannot be met."""


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """libyaml's emitter when available (several times faster on a large account)."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Long messages read better as block scalars; the emitter falls back to quoting where a block would not round-trip.
    style = "|" if "\n" in value else (">" if len(value) > 80 else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _lit(text: str) -> str:
    """Literal text in a configuration value: ${ must not be read back as interpolation."""
    return text.replace("${", "$${")


class Placeholders:
    """Secret -> ${TATANGO_SECRET_<LIST>_<PART>}; remembers the names to tell the user."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def name(self, list_name: str, part: str, value: str) -> str:
        base = "TATANGO_SECRET_" + re.sub(r"[^A-Z0-9]+", "_", f"{list_name}_{part}".upper()).strip("_")
        name, n = base, 2
        while name in self.values and self.values[name] != value:
            name, n = f"{base}_{n}", n + 1
        self.values[name] = value
        return "${" + name + "}"

    def url(self, url: str, list_name: str) -> str:
        """The URL with its secrets replaced, every other character exactly as live."""
        scheme, sep, rest = url.partition("://")
        if not sep:
            return _lit(url)
        cut = min([i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0] or [len(rest)])
        netloc, tail = rest[:cut], rest[cut:]
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            user, colon, password = userinfo.partition(":")
            netloc = (
                _lit(user)
                + (":" + self.name(list_name, "password", password) if colon and password else colon)
                + "@"
                + _lit(host)
            )
        else:
            netloc = _lit(netloc)
        path, qmark, query = tail.partition("?")
        query, hash_, fragment = query.partition("#") if qmark else ("", "", "")
        if not qmark:
            path, hash_, fragment = tail.partition("#")
        segments = [self.name(list_name, "path", s) if looks_like_token(s) else _lit(s) for s in path.split("/")]
        params = []
        for segment in query.split("&") if qmark else []:
            key, eq, value = segment.partition("=")
            secret = eq and value and is_secret_param(unquote_plus(key))
            params.append(f"{_lit(key)}={self.name(list_name, unquote_plus(key), value)}" if secret else _lit(segment))
        return f"{_lit(scheme)}://{netloc}{'/'.join(segments)}{qmark}{'&'.join(params)}{hash_}{_lit(fragment)}"


def _value(value: Any) -> Any:
    return _lit(value) if isinstance(value, str) else value


def list_document(
    lst: LiveList, hooks: list[LiveWebhook], fields: list[LiveCustomField], pin: bool, secrets: Optional[Placeholders]
) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": _lit(lst.name)}
    if pin:
        doc["id"] = lst.id
    doc.update({key: _value(lst.fields[key]) for key in LIST_FIELDS if known(lst.fields.get(key))})
    doc["keyword_names"] = list(lst.keyword_names)
    if known(lst.opt_in_type):
        doc["opt_in_type"] = lst.opt_in_type
        if lst.opt_in_type == "double" and known(lst.opt_in_requests) and lst.opt_in_requests:
            if lst.bypass_opt_in_response is not None:
                doc["bypass_opt_in_response"] = lst.bypass_opt_in_response
            doc["opt_in_requests"] = [
                {
                    k: _value(r[k])
                    for k in OPT_IN_REQUEST_FIELDS
                    if known(r.get(k)) and (r.get(k) is not None or k in REQUIRED_REQUEST_KEYS)
                }
                for r in lst.opt_in_requests
            ]
    doc["custom_fields"] = [
        {
            "key": f.key,
            **{
                a: _value(f.attrs[a])
                for a in CUSTOM_FIELD_ATTRS
                if known(f.attrs.get(a)) and (f.attrs[a] is not None or a in REQUIRED_FIELD_KEYS)
            },
        }
        for f in fields
    ]
    exported_hooks, seen = [], set()
    for hook in sorted(hooks, key=lambda h: h.id):
        if hook.callback_url in seen:
            continue  # a duplicate: the planner would delete it; export the first only
        seen.add(hook.callback_url)
        url = secrets.url(hook.callback_url, lst.name) if secrets else _lit(hook.callback_url)
        exported_hooks.append({"callback_url": url, **{e: v for e, v in hook.events.items() if known(v)}})
    doc["webhooks"] = exported_hooks
    return doc


def render(doc: dict[str, Any]) -> str:
    return f"# yaml-language-server: $schema={SCHEMA_FILE}\n" + yaml.dump(
        {"version": 1, "lists": [doc]}, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )


def export_account(
    client: TatangoClient,
    output: str,
    names: list[str],
    include_secrets: bool,
    force: bool = False,
    env: Optional[Mapping[str, str]] = None,
    templates: bool = False,
) -> list[str]:
    unreported: set[str] = set()
    lists = read_lists(client, unreported)
    if names:
        missing = [n for n in names if n not in {lst.name for lst in lists}]
        if missing:
            raise ExportError(f"no live list named {', '.join(repr(m) for m in missing)}; nothing was written")
        lists = [lst for lst in lists if lst.name in names]
    repeated = Counter(lst.name for lst in lists)
    existing = scan(output)
    secrets = None if include_secrets else Placeholders()
    report: list[str] = []
    files: dict[str, str] = {}  # path -> text
    docs: dict[str, dict[str, Any]] = {}  # path -> the list's document, rendered once shared values are factored
    taken: set[str] = set()
    for lst in lists:
        entry = existing.defining(lst, repeated[lst.name] == 1)
        pin = repeated[lst.name] > 1 or (entry is not None and entry.id is not None)
        if entry is not None:
            path = _target_of_defined(lst, entry, existing, force, report)
            if path is None:
                continue
        else:
            path = os.path.join(output, free_file_name(output, lst, pin, taken))
        hooks, fields = read_children(client, lst, unreported)
        repeats = Counter(h.callback_url for h in hooks)
        for url, count in sorted(repeats.items()):
            if count > 1:
                report.append(
                    f"Warning: list '{lst.name}' has {count} webhooks with the URL {mask_url(url)}: "
                    f"exported once; a plan deletes the {count - 1} duplicate(s)"
                )
        docs[path] = list_document(lst, hooks, fields, pin, secrets)
    if templates:
        _templates(output, docs, files, force)
    files.update({path: render(doc) for path, doc in docs.items()})
    _validate(files, env)
    _write(output, files, force, report)
    if secrets and secrets.values:
        report.append(
            "Warning: webhook URLs carry secrets; they were written as ${...} placeholders. Set these "
            "environment variables (values from the web UI or your secret store):"
        )
        report.extend(f"Warning:   {name}" for name in sorted(secrets.values))
    elif include_secrets and files:
        report.append("Warning: --include-secrets: webhook URLs were written in clear; do not commit them")
    # Count lists, not files: templates.yaml is a file but no list (a newcomer read "3 list(s)" for 2).
    report.append(f"Exported {len(docs)} list(s)." + ("" if docs else " Nothing was written."))
    return report


def _templates(output: str, docs: dict[str, dict[str, Any]], files: dict[str, str], force: bool) -> None:
    """export --templates: values most lists share go into one template (export_templates)."""
    template = factor(list(docs.values()))
    if not template:
        return
    path = os.path.join(output, TEMPLATES_FILE)
    if os.path.exists(path) and not force:
        raise ExportError(f"{path} exists; nothing was written (rewrite it with --force, or export elsewhere)")
    files[path] = f"# yaml-language-server: $schema={SCHEMA_FILE}\n" + yaml.dump(
        {"version": 1, "templates": {TEMPLATE: template}},
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )


def _target_of_defined(
    lst: LiveList, entry: Entry, existing: Existing, force: bool, report: list[str]
) -> Optional[str]:
    """The file to rewrite for a list already defined in the directory, or None (reported why)."""
    renamed = f" (renamed in the web UI from '{entry.name}')" if entry.name != lst.name else ""
    if not force:
        hint = (
            (f"; take the new name with `tatango-iac pull --list '{entry.name}' ...` or rewrite the file with --force")
            if renamed
            else ""
        )
        report.append(
            f"Warning: list '{lst.name}' (id {lst.id}){renamed} is already defined at {entry.where}; not written{hint}"
        )
        return None
    if not existing.owned(entry):
        report.append(
            f"Warning: list '{lst.name}' (id {lst.id}){renamed} is defined at {entry.where}, a file that "
            "holds other lists or the account settings: not rewritten (take live values into it with "
            "`tatango-iac pull`)"
        )
        return None
    report.append(f"rewriting {entry.file}: list '{lst.name}' (id {lst.id}){renamed}")
    return entry.file


def _validate(files: dict[str, str], env: Optional[Mapping[str, str]]) -> None:
    """Load what would be written, exactly as validate would; refuse to write an invalid file."""
    if not files:
        return
    with tempfile.TemporaryDirectory(prefix="tatango-export-") as scratch:
        shown = {}
        for n, (path, text) in enumerate(sorted(files.items())):
            name = os.path.join(scratch, f"{n}.yaml")
            shown[name] = path
            with open(name, "w", encoding="utf-8") as handle:
                handle.write(text)
        _account, diagnostics = load([scratch], os.environ if env is None else env, missing_env="warning")
        problems = [d for d in diagnostics if d.severity == ERROR]
        if problems:
            lines = []
            for d in problems:
                text = d.text()
                for name, path in shown.items():
                    text = text.replace(name, path)
                lines.append(text)
            raise ExportError(
                "the exported files would not be valid configuration; nothing was written:\n  " + "\n  ".join(lines)
            )


def _write(output: str, files: dict[str, str], force: bool, report: list[str]) -> None:
    """New files get names no file has (export_targets); only files export owns are rewritten, with --force."""
    if not files:
        return  # nothing exported: no directory and no schema file appear (the report says nothing was written)
    os.makedirs(output, exist_ok=True)
    for path, text in files.items():
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        report.append(f"wrote {path}")
    schema_path = os.path.join(output, SCHEMA_FILE)
    if not os.path.exists(schema_path) or force:
        with open(schema_path, "w", encoding="utf-8") as handle:
            handle.write(schema_text())
    elif _read(schema_path) != schema_text():
        report.append(
            f"Warning: {schema_path} is from another version; update it with "
            f"`tatango-iac schema --output {output} --force`"
        )


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()
