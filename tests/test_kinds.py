"""Typed actions: kinds and resources are enums, every action carries a reason code, the applier's
handler table covers exactly the possible actions, no logic reads prose, and one exception root
carries the user's message and the exit code."""

from __future__ import annotations

import ast
import importlib
import inspect
import json

import pytest

from tatango_iac.apply.applier import HANDLERS
from tatango_iac.engine.kinds import POSSIBLE, REASONS, Kind, Reason, Resource, check_complete
from tatango_iac.engine.plan import FORMAT_VERSION, Action, Plan, plan_from_json
from tatango_iac.engine.planner import plan
from tatango_iac.errors import ExitCode, TatangoIacError
from tests.conftest import ROOT
from tests.planning import desired, desired_from, live, raw_list

FIELD = {"content_type": "text", "pattern": None, "default_value": None, "should_validate_regex_via_api": False}
HOOK = {
    "enabled": True,
    "list_id": 1,
    "subscribe": True,
    "unsubscribe": False,
    "message_sent": False,
    "reply_received": False,
    "cleaned": False,
}


def codes(result: Plan) -> list[tuple[str, str, str]]:
    return [(str(a.action), str(a.resource), str(a.code)) for a in result.actions]


def test_the_handler_table_covers_exactly_the_possible_actions():
    assert set(HANDLERS) == POSSIBLE
    check_complete(HANDLERS, "handlers")  # the import-time check passes
    partial = {k: v for k, v in HANDLERS.items() if k != (Kind.DELETE, Resource.WEBHOOK)}
    with pytest.raises(RuntimeError, match="missing delete webhook; unexpected none"):
        check_complete(partial, "a table")
    with pytest.raises(RuntimeError, match="missing none; unexpected update custom_field"):
        check_complete({**HANDLERS, (Kind.UPDATE, Resource.CUSTOM_FIELD): None}, "a table")


def test_an_action_is_typed_and_refuses_what_cannot_exist():
    action = Action("create", "webhook", "a", "A")  # words (a saved plan's) become the enums
    assert action.action is Kind.CREATE and action.resource is Resource.WEBHOOK
    assert action.code is Reason.CREATE_BECAUSE_MISSING  # the kind's plain reason when none is given
    with pytest.raises(ValueError):
        Action("rename", "list", "a", "A")
    with pytest.raises(ValueError, match="no such action: create keywords"):
        Action("create", "keywords", "a", "A")
    with pytest.raises(ValueError, match="reason create_because_missing does not go with delete"):
        Action(Kind.DELETE, Resource.LIST, "a", "A", reason_code=Reason.CREATE_BECAUSE_MISSING)


def test_every_reason_belongs_to_one_kind_and_reads_like_terraforms():
    assert sorted(r for rs in REASONS.values() for r in rs) == sorted(Reason)
    for kind, reasons in REASONS.items():
        assert all(r.value.startswith(kind.value + "_") for r in reasons), kind
    assert Reason.REPLACE_BECAUSE_CANNOT_UPDATE.value == "replace_because_cannot_update"


def test_the_planner_gives_each_action_its_reason_code():
    fields = [
        {**FIELD, "key": "zip", "label": "Zip", "max_length": 5},
        {**FIELD, "key": "old_zip", "label": "Old", "max_length": 5},
        {**FIELD, "key": "gone", "label": "Gone", "max_length": 5},
    ]
    account = live(
        [
            raw_list(1, "A", keyword_names=["RED"]),
            raw_list(2, "Old B", keyword_names=["BLUE"]),
            raw_list(3, "Legacy"),
            raw_list(4, "Doomed"),
        ],
        custom_fields={1: fields},
        webhooks={
            1: [
                {**HOOK, "id": 1, "callback_url": "https://h.example/a"},
                {**HOOK, "id": 2, "callback_url": "https://h.example/a"},
                {**HOOK, "id": 3, "callback_url": "https://h.example/old"},
                {**HOOK, "id": 4, "callback_url": "https://h.example/s?token=before"},
            ]
        },
    )
    config = desired_from(
        {
            "account": {"prune": True},
            "lists": [
                {
                    "name": "A",
                    "keyword_names": ["BLUE"],
                    "message_help": "help",
                    "custom_fields": [
                        {"key": "zip", "label": "Zip", "content_type": "text", "max_length": 9},
                        {"key": "new", "label": "Old", "content_type": "text", "max_length": 3},
                    ],
                    "webhooks": [
                        {"callback_url": "https://h.example/a", "unsubscribe": True},
                        {"callback_url": "https://h.example/s?token=${T}"},
                    ],
                },
                {"name": "B", "renamed_from": "Old B", "keyword_names": ["RED"]},
                {"name": "Doomed", "delete": True},
                {"name": "C"},
            ],
        },
        {"T": "after-value"},
    )
    found = codes(plan(config, account))
    expected = {
        ("update", "list", "update_because_differs"),  # A's message_help
        ("update", "list", "update_because_renamed"),  # Old B -> B
        ("update", "keywords", "update_to_release_keywords"),  # a swap: one side releases first
        ("update", "keywords", "update_because_differs"),
        ("replace", "custom_field", "replace_because_cannot_update"),
        ("delete", "custom_field", "delete_to_release_label"),  # old_zip frees "Old" for new
        ("create", "custom_field", "create_because_missing"),
        ("delete", "custom_field", "delete_because_no_configuration"),
        ("update", "webhook", "update_because_differs"),
        ("update", "webhook", "update_because_secret_changed"),
        ("delete", "webhook", "delete_because_duplicate"),
        ("delete", "webhook", "delete_because_no_configuration"),
        ("delete", "list", "delete_by_request"),
        ("delete", "list", "delete_because_pruned"),
        ("create", "list", "create_because_missing"),
    }
    assert set(found) == expected


def test_a_split_replace_carries_its_own_codes():
    live_fields = [
        {**FIELD, "key": "a", "label": "One", "max_length": 5},
        {**FIELD, "key": "b", "label": "Two", "max_length": 5},
    ]
    account = live([raw_list(1, "A")], custom_fields={1: live_fields})
    swapped = desired(
        "version: 1\nlists:\n  - name: A\n    custom_fields:\n"
        "      - {key: a, label: Two, content_type: text, max_length: 5}\n"
        "      - {key: b, label: One, content_type: text, max_length: 5}\n"
    )
    found = [c for _, _, c in codes(plan(swapped, account))]
    assert "delete_because_cannot_update" in found and "create_because_cannot_update" in found


def test_reason_codes_are_in_the_plan_json_and_read_back():
    account = live([raw_list(1, "A"), raw_list(2, "Legacy")])
    result = plan(desired("version: 1\naccount:\n  prune: true\nlists:\n  - name: A\n    message_help: x\n"), account)
    data = json.loads(result.dumps())
    assert data["format_version"] == FORMAT_VERSION == "2"
    assert [(a["action"], a["reason_code"]) for a in data["actions"]] == [
        ("update", "update_because_differs"),
        ("delete", "delete_because_pruned"),
    ]
    again = plan_from_json(data)
    assert [a.code for a in again.actions] == [Reason.UPDATE_BECAUSE_DIFFERS, Reason.DELETE_BECAUSE_PRUNED]


def test_the_drift_report_reads_the_code_not_the_prose():
    pruned = Action(
        Kind.DELETE,
        Resource.LIST,
        'list["L"]',
        "L",
        list_id=7,
        reason="anything at all",
        reason_code=Reason.DELETE_BECAUSE_PRUNED,
    )
    requested = Action(
        Kind.DELETE,
        Resource.LIST,
        'list["M"]',
        "M",
        list_id=8,
        reason="prune: looks like prose",
        reason_code=Reason.DELETE_BY_REQUEST,
    )
    changed = Plan(actions=[pruned, requested]).drift()["changed_attributes"]
    assert [c["list"] for c in changed] == ["M"]  # a pruned list is not drift; a requested delete is


def _is_reason(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "reason"


def prose_readers(tree: ast.AST) -> list[int]:
    """Lines where logic reads a reason's prose: compares it, tests it, or calls a string method on it."""
    return sorted({node.lineno for node in ast.walk(tree) if _reads_prose(node)})


def _reads_prose(node: ast.AST) -> bool:
    if isinstance(node, ast.Compare):
        return any(_is_reason(n) for n in [node.left, *node.comparators])
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Attribute) and _is_reason(node.func.value)
    if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
        return _is_reason(node.test)
    if isinstance(node, ast.BoolOp):
        return any(_is_reason(v) for v in node.values)
    return False


def test_no_logic_reads_the_prose_of_a_reason():
    # Showing or serializing .reason is fine; branching on its words is not (use reason_code).
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted((ROOT / "tatango_iac").rglob("*.py"))
        for line in prose_readers(ast.parse(path.read_text(encoding="utf-8")))
    ]
    # `if action.reason:` shows it, or writes it into the JSON, when there is one
    allowed = {"tatango_iac/engine/render/lines.py", "tatango_iac/engine/plan.py"}
    assert [o for o in offenders if o.split(":")[0] not in allowed] == []


def test_the_prose_check_finds_what_it_must():
    code = (
        'if "prune" in a.reason: pass\nok = a.reason.startswith("x")\nb = a.reason == "y"\n'
        'print(a.reason)\nc = f"{a.reason}"\n'
    )
    assert prose_readers(ast.parse(code)) == [1, 2, 3]


def _tool_exceptions() -> list[type]:
    found = []
    for path in sorted((ROOT / "tatango_iac").rglob("*.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        name = ".".join(relative.parts[:-1] if relative.name == "__init__" else relative.parts)
        if name.startswith("tatango_iac.sandbox.") and name != "tatango_iac.sandbox.storage":
            continue  # the emulator's own errors are the server's side of the wire: they never reach a user
        module = importlib.import_module(name)
        found += [
            obj
            for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, BaseException) and obj.__module__ == name
        ]
    return found


def test_every_error_of_the_tool_derives_from_one_root_with_message_and_exit_code():
    classes = _tool_exceptions()
    assert len(classes) >= 15
    assert [c.__name__ for c in classes if not issubclass(c, TatangoIacError)] == []
    for cls in classes:
        assert isinstance(cls.exit_code, ExitCode) and callable(cls.user_message)
    from tatango_iac.cli.main import Partial

    assert Partial.exit_code is ExitCode.PARTIAL and TatangoIacError.exit_code is ExitCode.ERROR


def test_the_readme_documents_every_reason_code_and_the_format_version():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("| reason_code | why the action is planned |", 1)[1].split("\n\n", 1)[0]
    documented = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
    assert sorted(documented) == sorted(r.value for r in Reason)
    assert f'| `format_version` | `"{FORMAT_VERSION}"`' in readme
