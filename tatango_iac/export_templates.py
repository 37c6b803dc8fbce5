"""``export --templates``: say it once in what export writes.

A value that most exported lists share (more than half, and at least two) goes into one
template, ``exported``, in ``templates.yaml``; each list that has that value takes it with
``extends: exported`` and no longer writes it, and a list whose value differs keeps its
own (its own value wins). A text that differs between lists only by the list's own name
is shared as ``${list.name}`` when that makes it the most common form. Export validates
the result as always; what it writes resolves, list by list, to exactly the live values,
so it plans to "No changes". Linear in the lists times their fields.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from tatango_iac.model import LIST_FIELDS

TEMPLATE = "exported"
TEMPLATES_FILE = "templates.yaml"
# Fields a template may share (not the identity, not keywords: they are unique per account).
SHARED = LIST_FIELDS + (
    "opt_in_type",
    "bypass_opt_in_response",
    "opt_in_requests",
    "custom_fields",
    "webhooks",
)
NAME_REF = "${list.name}"


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _forms(value: Any, name: str) -> list[Any]:
    """How a list's value may be written: as it is, or (a text holding its name) with ${list.name}."""
    forms = [value]
    # Only where it reads back exactly: no other ${ in the text, no $ in the name.
    if isinstance(value, str) and name and "$" not in name and name in value and "${" not in value:
        forms.append(value.replace(name, NAME_REF))
    return forms


def factor(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Move shared values out of docs (edited in place) into the template returned ({} if none)."""
    if len(docs) < 2:
        return {}
    template: dict[str, Any] = {}
    for name in SHARED:
        counts: Counter[str] = Counter()
        values: dict[str, Any] = {}
        for doc in docs:
            if name in doc:
                for form in _forms(doc[name], doc["name"]):
                    counts[_key(form)] += 1
                    values.setdefault(_key(form), form)
        if not counts:
            continue
        best, count = counts.most_common(1)[0]
        if count < 2 or count * 2 <= len(docs):
            continue
        template[name] = values[best]
        for doc in docs:
            if name in doc and best in {_key(form) for form in _forms(doc[name], doc["name"])}:
                del doc[name]
    if template:
        for doc in docs:
            if any(name not in doc for name in template):
                _extend(doc)
    return template


def _extend(doc: dict[str, Any]) -> None:
    """extends goes right after the list's identity, where a reader looks for it."""
    items = list(doc.items())
    doc.clear()
    for key, value in items:
        doc[key] = value
        if key == ("id" if "id" in dict(items) else "name"):
            doc["extends"] = TEMPLATE
