"""Issue 13, item 1: custom-field labels are released first, so any desired set of fields is
reachable in one apply (the sandbox refuses a duplicate label, like the API)."""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tatango_iac.apply.applier import Applier
from tatango_iac.engine.planner import plan
from tatango_iac.workflow import read_account
from tests.planning import desired_from, summary


def seed_fields(client, fields: list[dict]) -> int:
    list_id = client.create_list({"name": "A"})["id"]
    for f in fields:
        client.create_custom_field(list_id, {"content_type": "text", "max_length": 10, **f})
    return list_id


def converge_in_one_apply(client, config) -> list:
    first = plan(config, read_account(client, config))
    result = Applier(client).run(first)
    assert result.ok, (result.error, summary(first))
    assert summary(plan(config, read_account(client, config))) == []
    return first


def fields_config(*fields: dict) -> object:
    return desired_from(
        {"lists": [{"name": "A", "custom_fields": [{"content_type": "text", "max_length": 10, **f} for f in fields]}]}
    )


def test_a_field_takes_the_label_of_a_field_being_replaced(client, sandbox):
    list_id = seed_fields(client, [{"key": "a", "label": "Alpha"}, {"key": "b", "label": "Beta"}])
    config = fields_config({"key": "a", "label": "Beta", "max_length": 20}, {"key": "b", "label": "Gamma"})
    first = converge_in_one_apply(client, config)
    assert [(a.action, a.payload.get("key"), a.reason.split(";")[0]) for a in first.actions] == [
        (
            "delete",
            "b",
            "replace, step 1 of 2 (the API cannot update a custom field: delete, then create (stored values are lost))",
        ),
        ("replace", "a", "the API cannot update a custom field: delete, then create (stored values are lost)"),
        (
            "create",
            "b",
            "replace, step 2 of 2 (the API cannot update a custom field: delete, then create (stored values are lost))",
        ),
    ]
    assert {f["key"]: f["label"] for f in client.list_custom_fields(list_id)} == {"a": "Beta", "b": "Gamma"}


def test_two_fields_swap_labels_in_one_apply(client, sandbox):
    list_id = seed_fields(client, [{"key": "a", "label": "Alpha"}, {"key": "b", "label": "Beta"}])
    first = converge_in_one_apply(client, fields_config({"key": "a", "label": "Beta"}, {"key": "b", "label": "Alpha"}))
    assert [(a.action, a.payload.get("key")) for a in first.actions] == [
        ("delete", "a"),
        ("delete", "b"),
        ("create", "a"),
        ("create", "b"),
    ]
    assert all(a.destructive for a in first.actions if a.action == "delete")
    assert {f["key"]: f["label"] for f in client.list_custom_fields(list_id)} == {"a": "Beta", "b": "Alpha"}


def test_a_new_field_takes_the_label_of_a_deleted_one(client, sandbox):
    seed_fields(client, [{"key": "old_zip", "label": "Zip"}])
    first = converge_in_one_apply(client, fields_config({"key": "zip", "label": "zip"}))  # labels are case-blind
    assert [(a.action, a.payload.get("key")) for a in first.actions] == [("delete", "old_zip"), ("create", "zip")]


LABELS = ["One", "Two", "Three"]
KEYS = ["k1", "k2", "k3"]


@st.composite
def label_sets(draw):
    live_keys = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=3))
    live_labels = draw(st.permutations(LABELS))[: len(live_keys)]
    live = [
        {"key": k, "label": lab, "max_length": draw(st.sampled_from([5, 10]))}
        for k, lab in zip(live_keys, live_labels, strict=False)
    ]
    want_keys = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=3))
    want_labels = draw(st.permutations(LABELS))[: len(want_keys)]
    wanted = [
        {"key": k, "label": lab, "max_length": draw(st.sampled_from([5, 10]))}
        for k, lab in zip(want_keys, want_labels, strict=False)
    ]
    return live, wanted


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=label_sets())
def test_any_desired_set_of_fields_is_reachable_in_one_apply(client, sandbox, data):
    from tatango_iac.sandbox.state import default_state

    sandbox.state.replace(default_state())
    live_fields, wanted = data
    seed_fields(client, live_fields)
    first = converge_in_one_apply(client, fields_config(*wanted))
    event(f"{sum(a.action == 'delete' for a in first.actions)} deletes")
