"""Load YAML files into the desired model: discover, parse, interpolate, validate, build."""
from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import dataclass
from importlib import resources
from typing import Any, Iterable, Mapping

import jsonschema

from tatango_iac.config.diagnostics import ERROR, ConfigError, Diagnostic, errors
from tatango_iac.config.interpolate import interpolate
from tatango_iac.model import (
    LIST_FIELDS,
    AccountSettings,
    DesiredAccount,
    DesiredCustomField,
    DesiredList,
    DesiredWebhook,
    Source,
    normalize_keyword,
)
from tatango_iac.config.yamlsafe import Located, YamlProblem, load_file

YAML_SUFFIXES = (".yaml", ".yml")
SKIP_MARKER = ".tatango-skip"


def load_schema() -> dict[str, Any]:
    text = resources.files("tatango_iac").joinpath("tatango.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


_VALIDATOR: jsonschema.Draft202012Validator | None = None


def validator() -> jsonschema.Draft202012Validator:
    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = jsonschema.Draft202012Validator(load_schema())
    return _VALIDATOR


@dataclass
class LoadedFile:
    located: Located
    raw: bytes


def _diag(file: str, where: tuple[int, int], message: str, rule: str, severity: str = ERROR) -> Diagnostic:
    return Diagnostic(file, where[0], where[1], severity, message, rule)


def discover(paths: Iterable[str]) -> tuple[list[tuple[str, str]], list[Diagnostic]]:
    """Files to read as (real path, display path), sorted within each directory."""
    found: list[tuple[str, str]] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if os.path.isdir(path):
            matches = []
            for root, dirs, files in os.walk(path):
                # A sub-directory holding SKIP_MARKER is not part of the configuration (examples/invalid).
                dirs[:] = sorted(d for d in dirs if not os.path.exists(os.path.join(root, d, SKIP_MARKER)))
                for name in files:
                    if name.endswith(YAML_SUFFIXES):
                        matches.append(os.path.join(root, name))
            if not matches:
                problems.append(Diagnostic(path, 1, 1, ERROR, "directory contains no *.yaml or *.yml file", "no-files"))
            found.extend((m, os.path.normpath(m)) for m in sorted(matches))
        elif os.path.isfile(path):
            found.append((path, os.path.normpath(path)))
        else:
            problems.append(Diagnostic(path, 1, 1, ERROR, "no such file or directory", "no-files"))
    unique: dict[str, tuple[str, str]] = {}
    for real, shown in found:
        unique.setdefault(os.path.realpath(real), (real, shown))
    return list(unique.values()), problems


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _schema_at(path: Iterable) -> dict[str, Any]:
    """The sub-schema governing the instance at a path (our schema has no combinators)."""
    node = load_schema()
    for part in path:
        node = node["items"] if isinstance(part, int) else node.get("properties", {}).get(part, {})
    return node


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "a list", dict: "a mapping"}.get(
        type(value), type(value).__name__)


def schema_diagnostics(located: Located, data: Any) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for error in validator().iter_errors(data):
        path = tuple(error.absolute_path)
        where = located.where(path)
        if error.validator == "additionalProperties":
            allowed = sorted(_schema_at(path).get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed)):
                hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; allowed: {', '.join(allowed)}"
                out.append(_diag(located.file, located.key_where(path + (key,)),
                                 f"unknown key '{key}' in {_dotted(path)}{suggestion}", "unknown-key"))
            continue
        if error.validator == "required":
            missing = [k for k in error.validator_value if k not in error.instance]
            for key in missing:
                out.append(_diag(located.file, where, f"{_dotted(path)}: missing required key '{key}'", "schema"))
            continue
        if error.validator == "type":
            expected = error.validator_value
            expected = " or ".join(expected) if isinstance(expected, list) else expected
            message = f"{_dotted(path)}: expected {expected}, got {_type_name(error.instance)}"
            if path in located.yaml11_bools:
                message += " (YAML reads unquoted yes/no/on/off as booleans: quote it)"
            out.append(_diag(located.file, where, message, "schema"))
            continue
        if error.validator == "enum":
            options = ", ".join(json.dumps(v) for v in error.validator_value)
            out.append(_diag(located.file, where,
                             f"{_dotted(path)}: {json.dumps(error.instance)} is not one of {options}", "schema"))
            continue
        if error.validator in ("minLength", "maxLength") and isinstance(error.instance, str):
            bounds = _schema_at(path)
            span = f"{bounds.get('minLength', 0)}-{bounds['maxLength']}" if "maxLength" in bounds else (
                f"at least {bounds['minLength']}")
            out.append(_diag(located.file, where,
                             f"{_dotted(path)}: must be {span} characters (has {len(error.instance)})", "schema"))
            continue
        out.append(_diag(located.file, where, f"{_dotted(path)}: {error.message}", "schema"))
    return out


def _read(real: str, shown: str, env: Mapping[str, str],
          missing_env: str = ERROR) -> tuple[Located | None, bytes, list[Diagnostic]]:
    try:
        documents = load_file(real, shown)
    except YamlProblem as problem:
        return None, b"", [problem.diagnostic]
    with open(real, "rb") as handle:
        raw = handle.read()
    if not documents or all(d.data is None for d in documents):
        return None, raw, [Diagnostic(shown, 1, 1, ERROR, "file is empty: expected a mapping with 'version: 1'", "empty-file")]
    if len(documents) > 1:
        return None, raw, [Diagnostic(shown, 1, 1, ERROR, "file holds several YAML documents ('---'); use one per file", "multi-document")]
    located = documents[0]
    if not isinstance(located.data, dict):
        return None, raw, [_diag(shown, located.where(()),
                                 f"top level must be a mapping with 'version: 1', got {_type_name(located.data)}", "schema")]
    problems: list[Diagnostic] = []

    def unset(path: tuple, message: str) -> None:
        problems.append(_diag(shown, located.where(path), message, "env-unset", severity=missing_env))

    located.data = interpolate(located.data, env, unset)
    problems.extend(schema_diagnostics(located, located.data))
    return located, raw, problems


def _source(located: Located, path: tuple) -> Source:
    line, col = located.where(path)
    return Source(located.file, line, col)


def _build_list(located: Located, index: int, data: dict[str, Any]) -> DesiredList:
    base = ("lists", index)
    lst = DesiredList(name=data["name"], source=_source(located, base + ("name",)), located=located, path=base)
    lst.fields = {k: data[k] for k in LIST_FIELDS if k in data}
    lst.renamed_from = data.get("renamed_from")
    if "keyword_names" in data:
        lst.keyword_names = list(data["keyword_names"])
        for j, keyword in enumerate(lst.keyword_names):
            lst.keyword_sources.setdefault(normalize_keyword(keyword), _source(located, base + ("keyword_names", j)))
    lst.opt_in_type = data.get("opt_in_type")
    lst.bypass_opt_in_response = data.get("bypass_opt_in_response")
    if "opt_in_requests" in data:
        lst.opt_in_requests = [dict(r) for r in data["opt_in_requests"]]
    if "custom_fields" in data:
        lst.custom_fields = [
            DesiredCustomField(key=f["key"], attrs={k: v for k, v in f.items() if k != "key"},
                               source=_source(located, base + ("custom_fields", j)))
            for j, f in enumerate(data["custom_fields"])
        ]
    if "webhooks" in data:
        lst.webhooks = [
            DesiredWebhook(callback_url=w["callback_url"], events={k: v for k, v in w.items() if k != "callback_url"},
                           source=_source(located, base + ("webhooks", j, "callback_url")))
            for j, w in enumerate(data["webhooks"])
        ]
    return lst


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, str):
        return str(value)  # the resolved value: a changed secret must make a saved plan stale
    return value


def config_digest(files: list[LoadedFile]) -> str:
    digest = hashlib.sha256()
    for loaded in files:
        digest.update(loaded.located.file.encode() + b"\0" + hashlib.sha256(loaded.raw).digest())
        resolved = json.dumps(_canonical(loaded.located.data), sort_keys=True).encode()
        digest.update(hashlib.sha256(resolved).digest())
    return "sha256:" + digest.hexdigest()


def load(paths: Iterable[str], env: Mapping[str, str] | None = None,
         missing_env: str = ERROR) -> tuple[DesiredAccount | None, list[Diagnostic]]:
    """Load every file; return the desired model (None if any error) and all diagnostics.

    missing_env="warning" lets validate run where secrets are not available (pre-commit):
    an unset variable is then reported as a warning and its ${...} text is kept.
    """
    from tatango_iac.config.rules import check_account  # late import: rules depend on the model built here

    env = os.environ if env is None else env
    files, diagnostics = discover(paths)
    loaded: list[LoadedFile] = []
    for real, shown in files:
        located, raw, problems = _read(real, shown, env, missing_env)
        diagnostics.extend(problems)
        # An unset variable leaves the structure intact: keep checking the rest of the file.
        if located is not None and not [e for e in errors(problems) if e.rule != "env-unset"]:
            loaded.append(LoadedFile(located, raw))
    settings = AccountSettings()
    account_file: Located | None = None
    lists: list[DesiredList] = []
    for item in loaded:
        data = item.located.data
        if "account" in data:
            if account_file is not None:
                first = account_file.where(("account",))
                diagnostics.append(_diag(item.located.file, item.located.key_where(("account",)),
                                         f"'account' is already set in {account_file.file}:{first[0]}; "
                                         "set it in one file only", "account-duplicate"))
            else:
                account_file = item.located
                acc = data["account"] or {}
                settings = AccountSettings(shortcode=acc.get("shortcode"), prune=bool(acc.get("prune", False)),
                                           lint=dict(acc.get("lint") or {}),
                                           source=_source(item.located, ("account",)))
        for index, raw_list in enumerate(data.get("lists") or []):
            lists.append(_build_list(item.located, index, raw_list))
    if not files or (errors(diagnostics) and not loaded):
        return None, sorted(diagnostics)
    account = DesiredAccount(lists=lists, account=settings, files=[f.located.file for f in loaded],
                             digest=config_digest(loaded))
    diagnostics.extend(check_account(account))
    if errors(diagnostics):
        return None, sorted(diagnostics)
    return account, sorted(diagnostics)


def load_or_raise(paths: Iterable[str], env: Mapping[str, str] | None = None) -> tuple[DesiredAccount, list[Diagnostic]]:
    account, diagnostics = load(paths, env)
    if account is None:
        raise ConfigError(errors(diagnostics) or diagnostics)
    return account, diagnostics
