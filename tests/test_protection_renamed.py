"""A protected list renamed in the web UI is never deleted by prune (fix-protect H3).

The web UI renames a list: no entry matches the new name, so prune would delete it (every
subscriber lost) and the entry would be created again, taking its keyword. The keyword the
protected entry claims gives the rename away: the prune is refused and so is the create.
Real git repository, the real CLI over real HTTP against the sandbox.
"""

from __future__ import annotations

import json

import pytest

from tatango_iac import workflow
from tests.conftest import run_cli
from tests.test_changed_since import edit, repo  # noqa: F401 - the git repository fixture

VIP = "  - name: ACME VIP\n"


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


def deletes(sandbox) -> list[str]:
    return [r["path"].removeprefix("/api/v2") for r in sandbox.api_requests("DELETE")]


def prune_and_rename(git_repo, api_env, client, protect: bool) -> int:
    """Commit account.prune (and protect: true on ACME VIP), apply, rename ACME VIP in the "web UI"; its id."""
    if protect:
        edit(git_repo / "tatango" / "lists" / "vip.yaml", VIP, VIP + "    protect: true\n")
    edit(git_repo / "tatango" / "account.yaml", "prune: false", "prune: true")
    git_repo.git("commit", "-qam", "prune")
    assert run_cli(["apply", "--auto-approve", "tatango/"], env=api_env).exit_code == 0
    vip = next(lst["id"] for lst in client.list_lists() if lst["name"] == "ACME VIP")
    client.update_list(vip, {"name": "ACME VIP Club"})  # what a rename in the web UI does
    return vip


def test_a_protected_list_renamed_in_the_web_ui_is_neither_pruned_nor_replaced(api_env, repo, client, sandbox):  # noqa: F811
    vip = prune_and_rename(repo, api_env, client, protect=True)
    shown = run_cli(["plan", "--format", "json", "tatango/"], env=api_env)
    assert shown.exit_code == 0, shown.output
    doc = json.loads(shown.stdout)
    assert doc["actions"] == []  # neither the delete nor the create of an empty "ACME VIP"
    club = next(u for u in doc["unmanaged_lists"] if u["name"] == "ACME VIP Club")
    assert club["action"] == "refused"
    messages = [b["message"] for b in doc["blocked"]]
    assert any(
        f'list "ACME VIP Club" (id {vip}) holds keyword GOLD, VIP that the protected entry "ACME VIP" '
        f"(tatango/lists/vip.yaml:5:11) claims: it is probably that list renamed in the web UI; pin it with "
        f'`id: {vip}` (or `renamed_from: "ACME VIP Club"`) to keep its subscribers' in m
        for m in messages
    ), messages
    assert any("probably renamed from 'ACME VIP' to 'ACME VIP Club'" in m for m in messages), messages
    sandbox.requests.clear()
    refused = run_cli(["apply", "--auto-approve", "--allow-destroy", "--allow-bulk", "tatango/"], env=api_env)
    assert refused.exit_code == 1, refused.output
    assert "Refusing to apply" in refused.output and "probably that list renamed in the web UI" in refused.output
    assert deletes(sandbox) == [] and sandbox.api_requests("POST") == []
    assert {lst["name"] for lst in client.list_lists()} >= {"ACME VIP Club"}
    assert "ACME VIP" not in {lst["name"] for lst in client.list_lists()}


def test_pinning_the_renamed_list_adopts_it_with_its_subscribers(api_env, repo, client, sandbox):  # noqa: F811
    vip = prune_and_rename(repo, api_env, client, protect=True)
    edit(repo / "tatango" / "lists" / "vip.yaml", VIP, VIP + f"    id: {vip}\n")
    doc = json.loads(run_cli(["plan", "--format", "json", "tatango/"], env=api_env).stdout)
    assert not doc["blocked"] and [a["action"] for a in doc["actions"]] == ["update"]  # renamed back, kept


def test_an_unprotected_list_renamed_in_the_web_ui_is_pruned_with_a_prominent_warning(
    api_env,
    repo,  # noqa: F811
    client,
    sandbox,
):
    vip = prune_and_rename(repo, api_env, client, protect=False)
    doc = json.loads(run_cli(["plan", "--format", "json", "tatango/"], env=api_env).stdout)
    warning = (
        f'prune deletes list "ACME VIP Club" (id {vip}, 0 subscribers) although it holds keyword GOLD, VIP '
        'that the entry "ACME VIP" (tatango/lists/vip.yaml:5:11) claims: it is probably that list renamed in the '
        f'web UI; pin it with `id: {vip}` (or `renamed_from: "ACME VIP Club"`) to keep its subscribers'
    )
    assert warning in doc["warnings"], doc["warnings"]
    delete = next(a for a in doc["actions"] if a["action"] == "delete")
    assert any(n.startswith("probably a web-UI rename") for n in delete["notes"])
    text = run_cli(["plan", "tatango/"], env=api_env)
    assert "probably that list renamed in the web UI" in text.stdout


def test_prune_never_frees_a_keyword_for_a_protected_entry_whose_list_exists(api_env, repo, client, sandbox):  # noqa: F811
    prune_and_rename(repo, api_env, client, protect=True)
    client.update_list(next(x["id"] for x in client.list_lists() if x["name"] == "ACME VIP Club"), {"name": "ACME VIP"})
    old = client.create_list({"name": "Old Club"}, ["CLUB"])["id"]  # made in the web UI, no file manages it
    edit(repo / "tatango" / "lists" / "vip.yaml", "keyword_names: [VIP, GOLD]", "keyword_names: [VIP, GOLD, CLUB]")
    doc = json.loads(run_cli(["plan", "--format", "json", "tatango/"], env=api_env).stdout)
    assert next(u for u in doc["unmanaged_lists"] if u["id"] == old)["action"] == "refused"
    assert not [a for a in doc["actions"] if a["action"] == "delete"]
    assert any(
        f'list "Old Club" (id {old}) holds keyword CLUB that the protected entry "ACME VIP" '
        "(tatango/lists/vip.yaml:5:11) would take from it"
        in b["message"]
        and "prune never deletes a list to free a protected entry's keyword" in b["message"]
        for b in doc["blocked"]
    ), doc["blocked"]
