"""The live read uses exactly the calls §4 allows, and no more."""

from __future__ import annotations

from tatango_iac.apply.applier import Applier
from tatango_iac.config.loader import load_or_raise
from tatango_iac.engine.planner import plan
from tatango_iac.identity.scope import Scope
from tatango_iac.workflow import read_account
from tests.conftest import EXAMPLE_ENV, EXAMPLES
from tests.planning import desired_from
from tests.test_ordering import seed_lists


def calls(sandbox) -> list[str]:
    return [
        f"{r['method']} {r['path']}" + (f"?{'&'.join(f'{k}={v}' for k, v in r['query'].items())}" if r["query"] else "")
        for r in sandbox.api_requests()
    ]


def examples():
    return load_or_raise([str(EXAMPLES)], EXAMPLE_ENV)[0]


def test_fresh_account_reads_lists_then_tests_each_new_keyword_once(client, sandbox):
    read_account(client, examples())
    assert (
        calls(sandbox)
        == ["GET /api/v2/lists?per_page=1000", "GET /api/v2/shortcodes"]
        + ["POST /api/v2/shortcodes/33733/test_keyword"] * 7
    )
    tested = sorted(r["body"]["keyword_name"] for r in sandbox.api_requests("POST"))
    assert tested == ["COUPONS", "GOLD", "PICKUP", "SALE", "SAVE", "STORE", "VIP"]


def test_converged_account_reads_only_managed_collections(client, sandbox):
    config = examples()
    Applier(client).run(plan(config, read_account(client, config)))
    sandbox.requests.clear()
    live = read_account(client, config)
    ids = {lst.name: lst.id for lst in live.lists}
    assert calls(sandbox) == [
        "GET /api/v2/lists?per_page=1000",
        f"GET /api/v2/lists/{ids['ACME Deals']}/webhooks?per_page=1000",
        f"GET /api/v2/lists/{ids['ACME Deals']}/custom_fields?per_page=1000",
        f"GET /api/v2/lists/{ids['ACME VIP']}/webhooks?per_page=1000",
        f"GET /api/v2/lists/{ids['ACME VIP']}/custom_fields?per_page=1000",
    ]  # ACME Store Alerts leaves both out; every keyword is already held: no prechecks


def test_target_narrows_the_reads(client, sandbox):
    config = examples()
    Applier(client).run(plan(config, read_account(client, config)))
    sandbox.requests.clear()
    read_account(client, config, Scope.targets(["ACME VIP"]))
    assert [c.split("/")[-1] for c in calls(sandbox)] == [
        "lists?per_page=1000",
        "webhooks?per_page=1000",
        "custom_fields?per_page=1000",
    ]


def test_a_configured_shortcode_saves_the_shortcodes_call(client, sandbox):
    read_account(
        client, desired_from({"account": {"shortcode": "33733"}, "lists": [{"name": "A", "keyword_names": ["NEW"]}]})
    )
    assert calls(sandbox) == ["GET /api/v2/lists?per_page=1000", "POST /api/v2/shortcodes/33733/test_keyword"]


def test_keywords_moved_inside_the_account_are_not_tested(client, sandbox):
    seed_lists(sandbox, [{"name": "A", "keyword_names": ["JOIN"]}, {"name": "B"}])
    read_account(
        client, desired_from({"lists": [{"name": "A", "keyword_names": []}, {"name": "B", "keyword_names": ["JOIN"]}]})
    )
    assert calls(sandbox) == ["GET /api/v2/lists?per_page=1000"]


def test_collections_of_lists_still_to_create_are_not_read(client, sandbox):
    read_account(client, desired_from({"lists": [{"name": "New", "webhooks": [], "custom_fields": []}]}))
    assert calls(sandbox) == ["GET /api/v2/lists?per_page=1000"]
