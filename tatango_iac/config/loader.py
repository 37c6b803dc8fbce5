"""Load YAML files into the desired model: discover, parse, interpolate, validate, build."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from tatango_iac.config.diagnostics import ERROR, ConfigError, Diagnostic, errors
from tatango_iac.config.discover import discover
from tatango_iac.config.interpolate import interpolate
from tatango_iac.config.schema import invalid_parts, schema_diagnostics, type_name
from tatango_iac.config.templates import Assembled, Assembler
from tatango_iac.config.yamlsafe import Located, YamlProblem, load_file
from tatango_iac.model import (
    LIST_FIELDS,
    AccountSettings,
    DesiredAccount,
    DesiredCustomField,
    DesiredList,
    DesiredWebhook,
    Source,
    Via,
    normalize_keyword,
)
from tatango_iac.secrets import REDACTOR, display

__all__ = ["LoadedFile", "config_digest", "load", "load_or_raise"]


@dataclass
class LoadedFile:
    located: Located
    raw: bytes
    # Parts with schema errors (reported already): left out, so that the rest is still checked.
    skip_lists: frozenset[int] = frozenset()
    skip_account: bool = False


def _diag(file: str, where: tuple[int, int], message: str, rule: str, severity: str = ERROR) -> Diagnostic:
    return Diagnostic(file, where[0], where[1], severity, message, rule)


def read_located(
    real: str, shown: str, env: Mapping[str, str], missing_env: str = ERROR
) -> tuple[Located | None, bytes, list[Diagnostic]]:
    try:
        documents, raw = load_file(real, shown)
    except YamlProblem as problem:
        return None, b"", [problem.diagnostic]
    if not documents or all(d.data is None for d in documents):
        return (
            None,
            raw,
            [Diagnostic(shown, 1, 1, ERROR, "file is empty: expected a mapping with 'version: 1'", "empty-file")],
        )
    if len(documents) > 1:
        return (
            None,
            raw,
            [
                Diagnostic(
                    shown, 1, 1, ERROR, "file holds several YAML documents ('---'); use one per file", "multi-document"
                )
            ],
        )
    located = documents[0]
    if not isinstance(located.data, dict):
        return (
            None,
            raw,
            [
                _diag(
                    shown,
                    located.where(()),
                    f"top level must be a mapping with 'version: 1', got {type_name(located.data)}",
                    "schema",
                )
            ],
        )
    problems: list[Diagnostic] = []

    def unset(path: tuple, message: str) -> None:
        problems.append(_diag(shown, located.where(path), message, "env-unset", severity=missing_env))

    located.data = interpolate(located.data, env, unset)
    problems.extend(schema_diagnostics(located, located.data))
    return located, raw, problems


def _source(located: Located, path: tuple) -> Source:
    line, col = located.where(path)
    return Source(located.file, line, col)


def _build_list(located: Located, index: int, assembled: Assembled) -> DesiredList:
    base = ("lists", index)
    data = assembled.data
    lst = DesiredList(
        name=data["name"],
        source=_source(located, base + ("name",)),
        located=located,
        path=base,
        origins=assembled.origins,
        definition=data,
        templates=assembled.template_names,
    )

    def source(*path: Any) -> Source:
        origin = assembled.origins.get(path[0])
        if origin is None:
            return _source(located, base + path)
        line, col = origin.located.where(origin.path + path[1:])
        shown = json.dumps(display(lst.name), ensure_ascii=False)
        return Source(origin.located.file, line, col, via=Via(origin.label, shown, lst.source))

    lst.fields = {k: data[k] for k in LIST_FIELDS if k in data}
    lst.renamed_from = data.get("renamed_from")
    lst.id = data.get("id")
    lst.delete = bool(data.get("delete", False))
    lst.brand_given, lst.brand = "brand" in data, data.get("brand")
    lst.protect = bool(data.get("protect", False))
    if "keyword_names" in data:
        lst.keyword_names = list(data["keyword_names"])
        for j, keyword in enumerate(lst.keyword_names):
            lst.keyword_sources.setdefault(normalize_keyword(keyword), source("keyword_names", j))
    lst.opt_in_type = data.get("opt_in_type")
    lst.bypass_opt_in_response = data.get("bypass_opt_in_response")
    if "opt_in_requests" in data:
        lst.opt_in_requests = [dict(r) for r in data["opt_in_requests"]]
    if "custom_fields" in data:
        lst.custom_fields = [
            DesiredCustomField(
                key=f["key"], attrs={k: v for k, v in f.items() if k != "key"}, source=source("custom_fields", j)
            )
            for j, f in enumerate(data["custom_fields"])
        ]
    if "webhooks" in data:
        for w in data["webhooks"]:
            # Before any request: an API error that echoes a secret written literally in a URL masks it too.
            REDACTOR.register_url(str(w["callback_url"]))
        lst.webhooks = [
            DesiredWebhook(
                callback_url=w["callback_url"],
                events={k: v for k, v in w.items() if k != "callback_url"},
                source=source("webhooks", j, "callback_url"),
            )
            for j, w in enumerate(data["webhooks"])
        ]
    return lst


def _label_lists(lists: list[DesiredList]) -> None:
    """Addresses name a list by its name, plus its id pin where several entries share the name."""
    repeated = Counter(lst.name for lst in lists)
    for lst in lists:
        shown = json.dumps(display(lst.name), ensure_ascii=False)
        lst.label = f"{shown}, id={lst.id}" if repeated[lst.name] > 1 and lst.id is not None else shown


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, str):
        return str(value)  # the resolved value: a changed secret must make a saved plan stale
    return value


def config_digest(files: list[LoadedFile], found: Iterable[str] = (), lists: Iterable[DesiredList] = ()) -> str:
    """Covers every file's bytes and resolved values, the set of files the walk found (a file
    added to a planned directory makes a saved plan stale), and each list as assembled (its
    ${list.*} strings are resolved, env values included, only then).

    It covers resolved ${...} values, so it is key material for a keyed digest, kept in memory
    only: a plan file carries ``DigestKey.digest`` of it (tatango_iac.digests), never this."""
    digest = hashlib.sha256()
    digest.update(json.dumps(sorted(found)).encode())
    for loaded in files:
        digest.update(loaded.located.file.encode() + b"\0" + hashlib.sha256(loaded.raw).digest())
        resolved = json.dumps(_canonical(loaded.located.data), sort_keys=True).encode()
        digest.update(hashlib.sha256(resolved).digest())
    for lst in lists:
        assembled = json.dumps(_canonical(lst.definition), sort_keys=True, default=str).encode()
        digest.update(hashlib.sha256(assembled).digest())
    return "sha256:" + digest.hexdigest()


def file_digests(files: list[LoadedFile]) -> dict[str, str]:
    """Per file, what config_digest covers of it (bytes and resolved values): key material, never written."""
    out = {}
    for loaded in files:
        resolved = json.dumps(_canonical(loaded.located.data), sort_keys=True).encode()
        out[loaded.located.file] = (
            "sha256:"
            + hashlib.sha256(hashlib.sha256(loaded.raw).digest() + hashlib.sha256(resolved).digest()).hexdigest()
        )
    return out


def _account_settings(
    item: LoadedFile, account_file: Located | None, diagnostics: list[Diagnostic]
) -> tuple[AccountSettings | None, Located | None]:
    data = item.located.data
    if "account" not in data:
        return None, account_file
    if account_file is not None:
        first = account_file.where(("account",))
        diagnostics.append(
            _diag(
                item.located.file,
                item.located.key_where(("account",)),
                f"'account' is already set in {account_file.file}:{first[0]}; set it in one file only",
                "account-duplicate",
            )
        )
        return None, account_file
    acc = data["account"] or {}
    return AccountSettings(
        name=acc.get("name"),
        shortcode=acc.get("shortcode"),
        prune=bool(acc.get("prune", False)),
        lint=dict(acc.get("lint") or {}),
        brand=acc.get("brand"),
        source=_source(item.located, ("account",)),
        lint_sources={
            key: Source(item.located.file, *item.located.key_where(("account", "lint", key)))
            for key in acc.get("lint") or {}
        },
        safety=dict(acc.get("safety") or {}),
        protect=[str(p) for p in acc.get("protect") or []],
        ignore=[str(p) for p in acc.get("ignore") or []],
    ), item.located


def _assemble_lists(loaded: list[LoadedFile], assembler: Assembler) -> list[DesiredList]:
    lists: list[DesiredList] = []
    for item in loaded:
        for index, raw_list in enumerate(item.located.data.get("lists") or []):
            if index in item.skip_lists:
                continue
            assembled = assembler.assemble(item.located, ("lists", index), raw_list)
            if assembled is not None and not assembler.refused:
                lists.append(_build_list(item.located, index, assembled))
    return lists


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Sorted, each said once: two checks (or one check run twice) may find the same thing at one place."""
    return sorted(set(diagnostics))


def load(
    paths: Iterable[str],
    env: Mapping[str, str] | None = None,
    missing_env: str = ERROR,
    overrides: Mapping[str, str] | None = None,
) -> tuple[DesiredAccount | None, list[Diagnostic]]:
    """Load every file; return the desired model (None if any error) and all diagnostics.

    missing_env="warning" lets validate run where secrets are not available (pre-commit):
    an unset variable is then reported as a warning and its ${...} text is kept.
    overrides (shown path -> another file) reads a file's would-be content under its own name:
    pull checks its edits this way before it writes anything.
    """
    from tatango_iac.config.rules import check_account  # late import: rules depend on the model built here

    paths = list(paths)
    env = os.environ if env is None else env
    files, diagnostics = discover(paths)
    if overrides:
        files = [(overrides.get(shown, real), shown) for real, shown in files]
    loaded: list[LoadedFile] = []
    for real, shown in files:
        located, raw, problems = read_located(real, shown, env, missing_env)
        diagnostics.extend(problems)
        if located is None:
            continue
        # An unset variable leaves the structure intact: keep checking the rest of the file.
        if not [e for e in errors(problems) if e.rule != "env-unset"]:
            loaded.append(LoadedFile(located, raw))
        elif (parts := invalid_parts(located.data)) is not None:  # schema errors in some lists or the account
            loaded.append(LoadedFile(located, raw, skip_lists=parts[0], skip_account=parts[1]))
    settings, account_file = AccountSettings(), None
    assembler = Assembler(env, missing_env)
    for item in loaded:
        if item.skip_account:
            assembler.add_file(item.located)
            continue
        found, account_file = _account_settings(item, account_file, diagnostics)
        settings = found or settings
        if found is not None:
            assembler.set_defaults(item.located)
        assembler.add_file(item.located)
    assembler.check_templates()
    lists = _assemble_lists(loaded, assembler)
    diagnostics.extend(assembler.finish())
    if not files or (errors(diagnostics) and not loaded):
        return None, _unique(diagnostics)
    _label_lists(lists)
    account = DesiredAccount(
        lists=lists,
        account=settings,
        files=[f.located.file for f in loaded],
        digest=config_digest(loaded, (shown for _real, shown in files), lists),
        paths=paths,
        file_digests=file_digests(loaded),
    )
    rule_diagnostics, account.new_value_rules = check_account(account)
    diagnostics.extend(rule_diagnostics)
    if errors(diagnostics):
        return None, _unique(diagnostics)
    return account, _unique(diagnostics)


def load_or_raise(
    paths: Iterable[str], env: Mapping[str, str] | None = None
) -> tuple[DesiredAccount, list[Diagnostic]]:
    account, diagnostics = load(paths, env)
    if account is None:
        raise ConfigError(errors(diagnostics) or diagnostics)
    return account, diagnostics
