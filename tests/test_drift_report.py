"""Issue 20, item 3: drift the nightly job can act on.

Keyword changes read as ``+``/``-`` keywords like the plan, a disabled managed webhook fails
the job (by default; ``--disabled-webhooks report`` only reports it), "In sync." is printed
only when nothing is reported, and a saved drift report shows again exactly as it was made.
"""

from __future__ import annotations

import json

from tests.conftest import run_cli


def applied(api_env, config) -> None:
    result = run_cli(["apply", "--auto-approve", str(config)], env=api_env)
    assert result.exit_code == 0, result.output


def drift(api_env, config, *extra: str):
    return run_cli(["plan", "--detailed-exitcode", "--drift", *extra, str(config)], env=api_env)


def test_keyword_drift_reads_as_plus_and_minus_keywords(api_env, examples_copy, client):
    applied(api_env, examples_copy)
    deals = next(lst for lst in client.list_lists() if lst["name"] == "ACME Deals")
    client.set_keywords(deals["id"], ["SAVE", "SALE", "BARGAIN"])  # the web UI dropped COUPONS, added BARGAIN
    result = drift(api_env, examples_copy)
    assert result.exit_code == 2
    text = result.stdout
    assert '  list["ACME Deals"].keywords\n      + keyword COUPONS\n      - keyword BARGAIN\n' in text
    assert "live:    null" not in text and "desired: null" not in text
    assert "+ keyword: in the configuration, not in the account" in text  # which side each sign means
    report = json.loads(drift(api_env, examples_copy, "--format", "json").stdout)["drift"]
    assert [(c["op"], c["live"], c["desired"]) for c in report["changed_attributes"]] == [
        ("add", None, "COUPONS"),
        ("remove", "BARGAIN", None),
    ]
    assert report["lists"] == ["ACME Deals"] and report["in_sync"] is False


def test_a_keyword_moved_to_another_managed_list_names_that_list(api_env, examples_copy, client):
    applied(api_env, examples_copy)
    lists = {lst["name"]: lst for lst in client.list_lists()}
    client.set_keywords(lists["ACME Deals"]["id"], ["SAVE", "SALE"])
    client.set_keywords(lists["ACME Store Alerts"]["id"], ["STORE", "PICKUP", "COUPONS"])
    text = drift(api_env, examples_copy).stdout
    assert '+ keyword COUPONS (from list "ACME Store Alerts")' in text
    assert '- keyword COUPONS (to list "ACME Deals")' in text


def test_a_disabled_managed_webhook_fails_the_nightly_job_by_default(api_env, examples_copy, sandbox):
    applied(api_env, examples_copy)
    for hook in sandbox.state.data["webhooks"].values():
        hook["enabled"] = False  # the API gave up delivering to it
    plain = run_cli(["plan", "--detailed-exitcode", str(examples_copy)], env=api_env)
    assert plain.exit_code == 0  # a pull-request plan: nothing for apply to do about it
    failing = drift(api_env, examples_copy)
    assert failing.exit_code == 2, failing.output
    assert "In sync." not in failing.stdout and "No changes" not in failing.stdout
    assert failing.stdout.rstrip().endswith("Drift: 2 disabled webhook(s).")
    reported = drift(api_env, examples_copy, "--disabled-webhooks", "report")
    assert reported.exit_code == 0 and "Disabled webhooks (2)" in reported.stdout
    assert "In sync." not in reported.stdout
    markdown = drift(api_env, examples_copy, "--format", "markdown").stdout
    assert markdown.startswith("### tatango-iac drift\n\n**Drift: 2 disabled webhook(s).**")


def test_in_sync_only_when_nothing_is_reported(api_env, examples_copy, client):
    applied(api_env, examples_copy)
    clean = drift(api_env, examples_copy)
    assert clean.exit_code == 0 and clean.stdout.rstrip().endswith("In sync.")
    client.create_list({"name": "Side project"}, ["SIDE"])
    unmanaged = drift(api_env, examples_copy)
    assert unmanaged.exit_code == 0  # reported, never failing on its own
    assert "In sync." not in unmanaged.stdout
    assert unmanaged.stdout.rstrip().endswith("Drift: 1 unmanaged list(s) (reported only).")


def test_a_saved_drift_report_shows_again_as_it_was_made(api_env, examples_copy, client, tmp_path):
    applied(api_env, examples_copy)
    deals = next(lst for lst in client.list_lists() if lst["name"] == "ACME Deals")
    client.update_list(deals["id"], {"message_reply": "edited by hand"})
    saved = tmp_path / "drift.json"
    made = drift(api_env, examples_copy, "--out", str(saved))
    assert made.exit_code == 2
    shown = run_cli(["show", "--drift", str(saved)])
    assert shown.exit_code == 0 and shown.stdout.strip() == made.stdout.strip()
    assert 'list["ACME Deals"].message_reply\n      live:    "edited by hand"' in shown.stdout
