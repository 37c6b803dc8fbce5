"""Export the live account as YAML that validates and plans to "No changes" (§7)."""
from __future__ import annotations

import os
import re
from importlib import resources
from typing import Any
from urllib.parse import unquote_plus

import yaml

from tatango_iac.api.client import TatangoClient
from tatango_iac.model import CUSTOM_FIELD_ATTRS, LIST_FIELDS, OPT_IN_REQUEST_FIELDS, WEBHOOK_EVENTS
from tatango_iac.secrets import is_secret_param, url_has_secret


class ExportError(Exception):
    """Nothing was written: the request cannot be met (e.g. an unknown --list)."""


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Long messages read better as block scalars; PyYAML falls back to quoting where a block would not round-trip.
    style = "|" if "\n" in value else (">" if len(value) > 80 else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "list"


def _env_name(list_name: str, param: str, used: set[str]) -> str:
    base = "TATANGO_SECRET_" + re.sub(r"[^A-Z0-9]+", "_", f"{list_name}_{param}".upper()).strip("_")
    name, n = base, 2
    while name in used:
        name, n = f"{base}_{n}", n + 1
    used.add(name)
    return name


def placeholder_url(url: str, list_name: str, used: set[str], secrets: dict[str, str]) -> str:
    """Replace secret query values by ${NAME}; record NAME -> value to tell the user.

    Works on the raw query text so that the URL read back is byte-for-byte the live one.
    """
    base, sep, rest = url.partition("?")
    if not sep:
        return url.replace("${", "$${")
    query, hash_, fragment = rest.partition("#")
    parts = []
    for segment in query.split("&"):
        key, eq, value = segment.partition("=")
        if eq and is_secret_param(unquote_plus(key)):
            name = _env_name(list_name, unquote_plus(key), used)
            secrets[name] = value
            parts.append(f"{key.replace('${', '$${')}=${{{name}}}")
        else:
            parts.append(segment.replace("${", "$${"))
    tail = f"{hash_}{fragment}".replace("${", "$${")
    return f"{base.replace('${', '$${')}?{'&'.join(parts)}{tail}"


def _escape(value: Any) -> Any:
    """Literal ${ in live text must not be read back as interpolation."""
    return value.replace("${", "$${") if isinstance(value, str) else value


def list_document(raw: dict[str, Any], hooks: list[dict[str, Any]], fields: list[dict[str, Any]],
                  include_secrets: bool, used: set[str], secrets: dict[str, str]) -> dict[str, Any]:
    name = raw["name"]
    doc: dict[str, Any] = {"name": _escape(name)}
    for key in LIST_FIELDS:
        doc[key] = _escape(raw.get(key))
    doc["keyword_names"] = list(raw.get("keyword_names") or [])
    doc["opt_in_type"] = raw.get("opt_in_type") or "single"
    requests_ = raw.get("opt_in_requests") or []
    if doc["opt_in_type"] == "double" and requests_:
        doc["bypass_opt_in_response"] = bool(requests_[0].get("bypass_opt_in_response"))
        doc["opt_in_requests"] = [
            {k: _escape(r.get(k)) for k in OPT_IN_REQUEST_FIELDS if r.get(k) is not None or k == "follow_up"}
            for r in requests_]
    doc["custom_fields"] = [
        {"key": f["key"], **{a: _escape(f.get(a)) for a in CUSTOM_FIELD_ATTRS if f.get(a) is not None}}
        for f in fields]
    exported_hooks = []
    seen: set[str] = set()
    for hook in sorted(hooks, key=lambda h: h["id"]):
        if hook["callback_url"] in seen:
            continue  # a duplicate: the planner would delete it; export the first only
        seen.add(hook["callback_url"])
        url = hook["callback_url"].replace("${", "$${") if include_secrets else placeholder_url(
            hook["callback_url"], name, used, secrets)
        exported_hooks.append({"callback_url": url, **{e: bool(hook.get(e)) for e in WEBHOOK_EVENTS}})
    doc["webhooks"] = exported_hooks
    return doc


def export_account(client: TatangoClient, output: str, names: list[str], include_secrets: bool) -> list[str]:
    lists = client.list_lists()
    if names:
        missing = [n for n in names if n not in {lst["name"] for lst in lists}]
        if missing:
            raise ExportError(f"no live list named {', '.join(repr(m) for m in missing)}; nothing was written")
        lists = [lst for lst in lists if lst["name"] in names]
    os.makedirs(output, exist_ok=True)
    schema_path = os.path.realpath(str(resources.files("tatango_iac").joinpath("tatango.schema.json")))
    modeline = f"# yaml-language-server: $schema={os.path.relpath(schema_path, os.path.abspath(output))}\n"
    used: set[str] = set()
    secrets: dict[str, str] = {}
    report: list[str] = []
    names_seen: dict[str, int] = {}
    files_used: set[str] = set()
    urls: list[str] = []
    for raw in lists:
        if raw["name"] in names_seen:
            report.append(f"Warning: lists {names_seen[raw['name']]} and {raw['id']} share the name "
                          f"'{raw['name']}'; rename one in the web UI before managing them")
        names_seen.setdefault(raw["name"], raw["id"])
        hooks = client.list_webhooks(raw["id"])
        urls.extend(h["callback_url"] for h in hooks)
        doc = list_document(raw, hooks, client.list_custom_fields(raw["id"]), include_secrets, used, secrets)
        filename = f"{_slug(raw['name'])}.yaml"
        if filename in files_used:
            filename = f"{_slug(raw['name'])}-{raw['id']}.yaml"
        files_used.add(filename)
        text = modeline + yaml.dump({"version": 1, "lists": [doc]}, Dumper=_Dumper, sort_keys=False,
                                    allow_unicode=True, width=100)
        with open(os.path.join(output, filename), "w", encoding="utf-8") as handle:
            handle.write(text)
        report.append(f"wrote {os.path.join(output, filename)}")
    if secrets:
        report.append("Warning: webhook URLs carry secrets; they were written as ${...} placeholders. "
                      "Set these environment variables (values from the web UI or your secret store):")
        report.extend(f"Warning:   {name}" for name in sorted(secrets))
    elif include_secrets and any(url_has_secret(u) for u in urls):
        report.append("Warning: the exported files contain webhook secrets in clear (--include-secrets); "
                      "do not commit them")
    report.append(f"Exported {len(lists)} list(s).")
    return report
