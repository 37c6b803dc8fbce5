"""Keyword ordering, proved by applying the plan's calls in order to the sandbox,
plus property tests over random desired/live pairs."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tatango_iac.api.client import TatangoClient
from tatango_iac.apply.applier import Applier
from tatango_iac.engine.planner import plan
from tatango_iac.errors import PlanError
from tatango_iac.sandbox import SandboxServer
from tatango_iac.sandbox.state import default_state
from tatango_iac.workflow import read_account
from tests.planning import BASE_LIST, desired_from, summary


def seed_lists(server: SandboxServer, lists: list[dict], webhooks: dict[int, list[str]] | None = None) -> None:
    state = default_state()
    for i, spec in enumerate(lists, 1):
        record = {"id": i, **copy.deepcopy(BASE_LIST), "_bypass_opt_in_response": False, **spec}
        state["lists"][str(i)] = record
    for list_id, urls in (webhooks or {}).items():
        for url in urls:
            hook_id = len(state["webhooks"]) + 1
            state["webhooks"][str(hook_id)] = {
                "id": hook_id,
                "list_id": list_id,
                "callback_url": url,
                "enabled": True,
                "subscribe": False,
                "unsubscribe": False,
                "message_sent": False,
                "reply_received": False,
                "cleaned": False,
                "created_at": "2024-01-01T00:00:00Z",
                "updated_at": "2024-01-01T00:00:00Z",
            }
    state["next_ids"].update(list=len(lists) + 1, webhook=len(state["webhooks"]) + 1)
    server.state.replace(state)


def converge(client: TatangoClient, config) -> list:
    """Plan, apply every call in order (the sandbox enforces keyword rules), and return the plan."""
    first = plan(config, read_account(client, config))
    result = Applier(client).run(first)
    assert result.ok, result.error
    assert summary(plan(config, read_account(client, config))) == []
    return first


def keyword_map(client: TatangoClient) -> dict[str, list[str]]:
    return {lst["name"]: sorted(lst["keyword_names"]) for lst in client.list_lists()}


def test_a_keyword_moves_between_lists(client, sandbox):
    seed_lists(sandbox, [{"name": "A", "keyword_names": ["JOIN", "KEEP"]}, {"name": "B", "keyword_names": []}])
    config = desired_from(
        {"lists": [{"name": "B", "keyword_names": ["JOIN"]}, {"name": "A", "keyword_names": ["KEEP"]}]}
    )
    first = converge(client, config)
    assert [a.address for a in first.actions] == ['list["A"].keywords', 'list["B"].keywords']
    assert keyword_map(client) == {"A": ["KEEP"], "B": ["JOIN"]}


def test_two_lists_swap_keywords(client, sandbox):
    seed_lists(sandbox, [{"name": "A", "keyword_names": ["RED"]}, {"name": "B", "keyword_names": ["BLUE"]}])
    config = desired_from(
        {"lists": [{"name": "A", "keyword_names": ["BLUE"]}, {"name": "B", "keyword_names": ["RED"]}]}
    )
    first = converge(client, config)
    assert [(a.address, a.payload["keyword_names"], a.reason) for a in first.actions] == [
        ('list["A"].keywords', [], "release RED for another list first"),
        ('list["B"].keywords', ["RED"], ""),
        ('list["A"].keywords', ["BLUE"], ""),
    ]
    assert keyword_map(client) == {"A": ["BLUE"], "B": ["RED"]}


def test_three_lists_rotate_keywords(client, sandbox):
    seed_lists(
        sandbox,
        [
            {"name": "A", "keyword_names": ["ONE", "STAYA"]},
            {"name": "B", "keyword_names": ["TWO"]},
            {"name": "C", "keyword_names": ["THREE"]},
        ],
    )
    config = desired_from(
        {
            "lists": [
                {"name": "A", "keyword_names": ["TWO", "STAYA"]},
                {"name": "B", "keyword_names": ["THREE"]},
                {"name": "C", "keyword_names": ["ONE"]},
            ]
        }
    )
    converge(client, config)
    assert keyword_map(client) == {"A": ["STAYA", "TWO"], "B": ["THREE"], "C": ["ONE"]}


def test_a_keyword_freed_by_a_list_deletion_is_claimed_by_a_new_list(client, sandbox):
    seed_lists(sandbox, [{"name": "Old", "keyword_names": ["JOIN"]}, {"name": "Other", "keyword_names": []}])
    config = desired_from(
        {"account": {"prune": True}, "lists": [{"name": "New", "keyword_names": ["JOIN"]}, {"name": "Other"}]}
    )
    first = converge(client, config)
    assert summary(first) == [("delete", "list", 'list["Old"]'), ("create", "list", 'list["New"]')]
    assert keyword_map(client) == {"Other": [], "New": ["JOIN"]}


def test_a_new_list_takes_a_keyword_from_a_list_that_comes_later_in_the_config(client, sandbox):
    seed_lists(sandbox, [{"name": "Z", "keyword_names": ["JOIN"]}])
    config = desired_from(
        {
            "lists": [
                {"name": "A", "keyword_names": ["JOIN"], "webhooks": [{"callback_url": "https://h.example/a"}]},
                {"name": "Z", "keyword_names": []},
            ]
        }
    )
    first = converge(client, config)
    assert summary(first) == [
        ("update", "keywords", 'list["Z"].keywords'),
        ("create", "list", 'list["A"]'),
        ("create", "webhook", 'list["A"].webhook["https://h.example/a"]'),
    ]


# ------------------------------------------------------------- property tests

KEYWORDS = ["AA", "BB", "CC", "DD", "EE"]
NAMES = ["L1", "L2", "L3", "L4"]
URLS = ["https://h.example/1", "https://h.example/2"]


@st.composite
def accounts(draw):
    """A live account and a desired config over the same small pools of names and keywords."""
    live_names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))
    owner = {kw: draw(st.sampled_from(live_names + [None])) if live_names else None for kw in KEYWORDS}
    live_lists = [
        {
            "name": n,
            "keyword_names": [k for k in KEYWORDS if owner[k] == n],
            "message_help": draw(st.sampled_from([None, "", "a", "b"])),
        }
        for n in live_names
    ]
    live_hooks = {i: draw(st.lists(st.sampled_from(URLS), max_size=3)) for i in range(1, len(live_names) + 1)}
    want_names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))
    want_owner = {kw: draw(st.sampled_from(want_names + [None])) if want_names else None for kw in KEYWORDS}
    lists = []
    for name in want_names:
        spec = {"name": name}
        if draw(st.booleans()):
            spec["keyword_names"] = [k for k in KEYWORDS if want_owner[k] == name]
        if draw(st.booleans()):
            spec["message_help"] = draw(st.sampled_from([None, "", "a", "b"]))
        if draw(st.booleans()):
            spec["webhooks"] = [
                {"callback_url": u, "subscribe": draw(st.booleans())}
                for u in draw(st.lists(st.sampled_from(URLS), unique=True, max_size=2))
            ]
        lists.append(spec)
    return live_lists, live_hooks, {"account": {"prune": draw(st.booleans())}, "lists": lists}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=accounts())
def test_every_plan_applied_call_by_call_converges(client, sandbox, data):
    live_lists, live_hooks, config_data = data
    seed_lists(sandbox, live_lists, live_hooks)
    config = desired_from(config_data)
    try:
        first = plan(config, read_account(client, config))
    except PlanError as exc:
        # The only refusal allowed: a wanted keyword held by a list the config does not let go of.
        assert all("is held by list" in m for m in exc.messages), exc.messages
        event("refused: keyword held")
        return
    event(f"applied {min(len(first.actions), 5)}+ actions")
    result = Applier(client).run(first)
    assert result.ok, (result.error, summary(first))
    assert summary(plan(config, read_account(client, config))) == []
    names = [lst["name"] for lst in client.list_lists()]
    assert len(names) == len(set(names))  # never a duplicate list


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=accounts())
def test_a_config_exported_from_the_live_state_plans_to_nothing(client, sandbox, data):
    live_lists, live_hooks, _config = data
    seed_lists(sandbox, live_lists, live_hooks)
    lists = []
    for i, spec in enumerate(live_lists, 1):
        lists.append({**spec, "webhooks": [{"callback_url": u} for u in dict.fromkeys(live_hooks.get(i, []))]})
    config = desired_from({"lists": lists})
    result = plan(config, read_account(client, config))
    # Converged but for duplicate live webhooks, which the planner cleans up.
    assert all(a.action == "delete" and a.reason.startswith("duplicate of") for a in result.actions)
