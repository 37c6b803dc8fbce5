"""Generate README sections from their sources, so the two cannot drift: the configuration
reference from the schema, the sandbox's behaviour profiles from the profiles themselves,
the compliance rule catalogue from ``compliance.catalogue``.

    python -m tatango_iac.config.docs --write   # rewrite these sections of README.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterator

from tatango_iac.compliance.catalogue import catalogue_markdown
from tatango_iac.config.schema import load_schema, resolve_ref

BEGIN, END = "<!-- BEGIN CONFIG REFERENCE -->", "<!-- END CONFIG REFERENCE -->"
PROFILES_BEGIN, PROFILES_END = "<!-- BEGIN PROFILES -->", "<!-- END PROFILES -->"
RULES_BEGIN, RULES_END = "<!-- BEGIN RULE CATALOGUE -->", "<!-- END RULE CATALOGUE -->"


def _type(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return " \\| ".join(f"`{json.dumps(v) if v is None or isinstance(v, bool) else v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    kind = prop.get("type", "")
    kinds = kind if isinstance(kind, list) else [kind]
    text = " \\| ".join(kinds)
    if "array" in kinds and prop.get("items", {}).get("type") == "object":
        text = "list of mappings"
    elif "array" in kinds:
        text = f"list of {prop['items'].get('type', 'values')}"
    limits = []
    for key, label in (
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minimum", "min"),
        ("maximum", "max"),
        ("pattern", "pattern"),
    ):
        if key in prop:
            limits.append(f"{label} `{prop[key]}`")
    return text + (f" ({', '.join(limits)})" if limits else "")


def _rows(node: dict[str, Any], prefix: str) -> Iterator[str]:
    required = set(node.get("required", []))
    for name, prop in node.get("properties", {}).items():
        if "$ref" in prop:
            continue  # a list field reused by templates and defaults: their own row says so
        key = f"{prefix}{name}"
        flag = " (required)" if name in required else ""
        yield f"| `{key}`{flag} | {_type(prop)} | {prop['description']} |"
        if prop.get("type") == "object":
            yield from _rows(prop, f"{key}.")
        elif prop.get("type") == "array" and prop.get("items", {}).get("type") == "object":
            yield from _rows(prop["items"], f"{key}[].")
    for pattern, prop in node.get("patternProperties", {}).items():
        # A name-keyed mapping (templates, vars): one row for any NAME, then the named value's keys.
        target = resolve_ref(prop)
        key = f"{prefix}NAME"
        yield (
            f"| `{key}` | {_type(target) if target.get('type') != 'object' else 'object'} (NAME: `{pattern}`) | "
            f"{prop['description']} |"
        )
        if target.get("type") == "object":
            yield from _rows(target, f"{key}.")


def reference_markdown() -> str:
    lines = ["| key | type | meaning |", "|---|---|---|"]
    lines += list(_rows(load_schema(), ""))
    return "\n".join(lines)


def profiles_markdown() -> str:
    from tatango_iac.sandbox.profiles import PROFILES

    lines = ["| profile | flips | what the tool does |", "|---|---|---|"]
    lines += [f"| `{name}` | {profile.flips} | {profile.tool} |" for name, profile in PROFILES.items()]
    return "\n".join(lines)


def _replace(text: str, begin: str, end: str, body: str) -> str:
    head, rest = text.split(begin, 1)
    _old, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def write_readme(path: Path) -> None:
    text = _replace(path.read_text(), BEGIN, END, reference_markdown())
    text = _replace(text, PROFILES_BEGIN, PROFILES_END, profiles_markdown())
    path.write_text(_replace(text, RULES_BEGIN, RULES_END, catalogue_markdown()))


if __name__ == "__main__":
    if "--write" in sys.argv:
        write_readme(Path("README.md"))
    else:
        print(reference_markdown())
