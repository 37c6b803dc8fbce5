"""Issue 17, points 1, 3 and 9: a saved plan reveals no secret, an apply --expect compares what
will be sent (keyed digests), says "already applied" on a re-run and applies exactly the rest
after a part-way apply."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from tatango_iac import workflow
from tatango_iac.digests import DigestKey
from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL
from tests.conftest import run_cli, set_faults

TOKEN = "sunshine"  # a human-chosen ${...} value, in every word list
LIVE_TOKEN = "letmein1"  # the token of a webhook made by hand in the web UI (a live callback URL)
LIVE_URL = f"https://hooks.acme.example/legacy?token={LIVE_TOKEN}"
TEMPLATE_URL = "https://hooks.acme.example/tatango?list=vip&token={}"


@pytest.fixture(autouse=True)
def fake_cli_clock(monkeypatch, clock):
    monkeypatch.setattr(workflow, "make_clock", lambda: clock)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def guesses(true: list[str], count: int = 20_000) -> list[str]:
    """A 20,000-word guess list, the true secrets somewhere in the middle."""
    stems = ["sun", "shine", "letme", "in", "pass", "word", "acme", "hook", "tok", "secret", "admin", "qwerty"]
    words = [f"{stems[i % len(stems)]}{stems[(i // 12) % len(stems)]}{i // 144 or ''}" for i in range(count)]
    for offset, secret in enumerate(true):
        words[count // 2 + offset] = secret
    return words


def _url_forms(url: str) -> list[str]:
    from urllib.parse import quote

    return [url, quote(url, safe=""), json.dumps(url)]


def _preimages(guess: str) -> list[str]:
    forms = [guess, json.dumps(guess)]
    for url in (TEMPLATE_URL.format(guess), LIVE_URL.replace(LIVE_TOKEN, guess)):
        forms += _url_forms(url)
    return forms


HASHES = ("md5", "sha1", "sha256", "sha512", "blake2b")


def unkeyed_attack(texts: list[str], words: list[str]) -> set[str]:
    """The secrets whose unkeyed hash (any common function, hex or base64, whole or truncated to 8+
    hex digits) of the value or of a URL carrying it appears anywhere in the texts."""
    blob = "\n".join(texts)
    hexes = set(re.findall(r"[0-9a-f]{8,}", blob))
    lengths = {len(h) for h in hexes}
    b64 = set(re.findall(r"[A-Za-z0-9+/]{16,}={0,2}", blob))
    shown = set(re.findall(r"[A-Za-z0-9]+", blob))
    found = {word for word in words if word in shown}
    for word in words:
        for form in _preimages(word):
            data = form.encode()
            for name in HASHES:
                raw = hashlib.new(name, data).digest()
                full = raw.hex()
                if any(full[:n] in hexes for n in lengths) or base64.b64encode(raw).decode() in b64:
                    found.add(word)
    return found


def keyed_attack(saved: dict, words: list[str], key: DigestKey) -> set[str]:
    """Recompute the payload digest of the webhook create for each guess, the way the tool does."""
    found = set()
    for action in saved["actions"]:
        if action["resource"] != "webhook" or action["action"] != "create":
            continue
        shown = action["after"]
        for word in words:
            payload = {**shown, "callback_url": TEMPLATE_URL.format(word)}
            if key.digest({"resource": "webhook", "action": "create", "payload": payload}) == action["payload_digest"]:
                found.add(word)
    return found


def test_no_secret_is_recoverable_from_a_saved_plan_or_its_renderings(api_env, examples_copy, client, tmp_path):
    env = {**api_env, "ACME_WEBHOOK_TOKEN": TOKEN}
    vip = examples_copy / "lists" / "vip.yaml"
    text = vip.read_text()
    url_line = re.search(r'callback_url: "([^"]+)"', text).group(1)
    edit(vip, url_line, TEMPLATE_URL.format("${ACME_WEBHOOK_TOKEN}"))
    edit(vip, "Text STOP to end.", "Text STOP to quit.")
    assert client.list_lists() == []
    first = run_cli(["apply", "--auto-approve", str(examples_copy / "lists" / "deals.yaml")], env=env)
    assert first.exit_code == 0, first.output
    deals_id = client.list_lists()[0]["id"]
    client.create_webhook(deals_id, {"callback_url": LIVE_URL, "subscribe": True})  # by hand, in the web UI
    deals_yaml = examples_copy / "lists" / "deals.yaml"
    edit(deals_yaml, "Weekly deals.", "Daily deals.")
    out = tmp_path / "plan.json"
    result = run_cli(["plan", "--out", str(out), str(examples_copy)], env=env)
    assert result.exit_code == 0, result.output
    texts = [out.read_text(), result.stdout]
    for fmt in ("text", "markdown", "json"):
        texts.append(run_cli(["show", "--format", fmt, str(out)], env={}).stdout)
    texts.append(run_cli(["show", "--format", "markdown", "--full", str(out)], env={}).stdout)
    drift = run_cli(["plan", "--drift", "--format", "json", str(examples_copy)], env=env)
    texts.append(drift.stdout)
    saved = json.loads(out.read_text())
    assert any(a["resource"] == "webhook" and a["action"] == "create" for a in saved["actions"])
    assert any(LIVE_URL.split("?")[0] in json.dumps(a.get("before")) for a in saved["actions"])  # the live URL, masked
    words = guesses([TOKEN, LIVE_TOKEN])
    assert unkeyed_attack(texts, words) == set()
    # Every digest the file carries is keyed: no other hash-like value is in it.
    digests = re.findall(r'"([^"]*[0-9a-f]{16,}[^"]*)"', texts[0])
    assert digests and all(d.startswith("hmac-sha256:") for d in digests), digests
    # Without the runner's key the attack recovers nothing; with it (the control) it recovers the token,
    # so the reconstruction above is exact and the test could fail.
    assert keyed_attack(saved, words, DigestKey.from_credentials("attacker@example.com", "guessed-key")) == set()
    assert keyed_attack(saved, words, DigestKey.from_credentials(SANDBOX_EMAIL, SANDBOX_API_KEY)) == {TOKEN}
    # ...and the generic attack finds a plain (truncated) hash of a URL, as the old fingerprints held.
    plain = hashlib.sha256(LIVE_URL.encode()).hexdigest()[:16]
    assert unkeyed_attack([texts[0] + plain], words) == {LIVE_TOKEN}


# ------------------------------------------------------------ apply --expect


def reviewed_plan(env, config: Path, out: Path) -> dict:
    result = run_cli(["plan", "--out", str(out), str(config)], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def test_a_rerun_of_an_applied_review_says_already_applied(api_env, examples_copy, tmp_path):
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    edit(examples_copy / "lists" / "deals.yaml", "Weekly deals.", "Daily deals.")
    reviewed = tmp_path / "reviewed.json"
    reviewed_plan(api_env, examples_copy, reviewed)
    first = run_cli(["apply", "--expect", str(reviewed), str(examples_copy)], env=api_env)
    assert first.exit_code == 0 and "Apply complete: 1 of 1" in first.stdout, first.output
    again = run_cli(["apply", "--expect", str(reviewed), str(examples_copy)], env=api_env)
    assert again.exit_code == 0, again.output
    assert "Already applied: the 1 action(s) of the reviewed plan are in the account" in again.stdout


def test_a_changed_masked_token_after_review_is_refused(api_env, examples_copy, tmp_path, sandbox):
    reviewed = tmp_path / "reviewed.json"
    saved = reviewed_plan(api_env, examples_copy, reviewed)
    changed = {**api_env, "ACME_WEBHOOK_TOKEN": "tok-0000000000000000"}  # shows as the same template
    sandbox.requests.clear()
    result = run_cli(["apply", "--expect", str(reviewed), str(examples_copy)], env=changed)
    assert result.exit_code == 1
    assert [r for r in sandbox.api_requests() if r["method"] != "GET" and "test_keyword" not in r["path"]] == []
    assert "refusing to apply (nothing was changed)" in result.stderr, result.stderr
    assert (
        'create list["ACME VIP"].webhook["https://hooks.acme-retail.example/tatango/vip?token=${ACME_WEBHOOK_TOKEN}"]:'
        " a value the plan masks (a token or ${...} value) would be sent differently"
    ) in result.stderr
    assert 'list(s) that differ: "ACME VIP"' in result.stderr and "Next step:" in result.stderr
    assert "tok-0000000000000000" not in result.output and all(a["payload_digest"] for a in saved["actions"])


def test_a_live_value_changed_after_review_names_the_attribute(api_env, examples_copy, tmp_path, client):
    assert run_cli(["apply", "--auto-approve", str(examples_copy)], env=api_env).exit_code == 0
    edit(examples_copy / "lists" / "deals.yaml", "Weekly deals.", "Daily deals.")
    reviewed = tmp_path / "reviewed.json"
    reviewed_plan(api_env, examples_copy, reviewed)
    deals = next(lst for lst in client.list_lists() if lst["name"] == "ACME Deals")
    client.update_list(deals["id"], {"message_help": "typed in the web UI"})
    result = run_cli(["apply", "--expect", str(reviewed), str(examples_copy)], env=api_env)
    assert result.exit_code == 1
    assert (
        'update list["ACME Deals"]: the live value of message_help changed in the account since the review '
        "(it would be overwritten)"
    ) in result.stderr


def test_after_a_part_way_apply_a_rerun_applies_exactly_the_rest(api_env, examples_copy, tmp_path, sandbox):
    reviewed = tmp_path / "reviewed.json"
    saved = reviewed_plan(api_env, examples_copy, reviewed)
    set_faults(sandbox, script=[{"method": "POST", "path": r"/lists/\d+/custom_fields$", "fault": "html403"}])
    first = run_cli(["apply", "--expect", str(reviewed), str(examples_copy)], env=api_env)
    assert first.exit_code == 1 and "Apply failed: 1 of 10 action(s) applied." in first.stderr
    set_faults(sandbox)
    sandbox.requests.clear()
    again = run_cli(["apply", "--expect", str(reviewed), str(examples_copy)], env=api_env)
    assert again.exit_code == 0, again.output
    assert "The account already has 1 of the reviewed plan's action(s)" in again.stdout
    assert f"  already in the account: {saved['actions'][0]['address']}" in again.stdout
    assert "Apply complete: 9 of 9 action(s) applied" in again.stdout
    writes = [r for r in sandbox.api_requests() if r["method"] != "GET" and "test_keyword" not in r["path"]]
    created = [json.dumps(r["body"]) for r in writes if r["method"] == "POST" and r["path"].endswith("/lists")]
    assert len(writes) == 9 and created and not any("ACME Deals" in body for body in created)  # done, not redone
    assert run_cli(["plan", "--detailed-exitcode", str(examples_copy)], env=api_env).exit_code == 0


@pytest.mark.parametrize("flag", [["--target", "ACME VIP"], ["--changed-since", "HEAD"]])
def test_expect_refuses_a_scope_it_would_otherwise_ignore(api_env, examples_copy, tmp_path, flag):
    reviewed = tmp_path / "reviewed.json"
    reviewed_plan(api_env, examples_copy, reviewed)
    result = run_cli(["apply", "--expect", str(reviewed), *flag, str(examples_copy)], env=api_env)
    assert result.exit_code == 1 and "leave out --target and --changed-since" in result.stderr


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: p["actions"].append("create"),
        lambda p: p["actions"][0].update(action="explode"),
        lambda p: p["actions"][0].update(address=None),
        lambda p: p["actions"][0].update(changes="all"),
        lambda p: p.update(scope={"kind": "changed_since", "lists": [1, 2]}),
        lambda p: p.update(fingerprints=[]),
        lambda p: p.update(config={"paths": "examples"}),
        lambda p: p.update(blocked=[{}]),
        lambda p: p.update(scope={"kind": "all", "protected_at_ref": {"lists": "ACME VIP"}}),
    ],
)
@pytest.mark.parametrize("how", ["--plan", "--expect", "show"])
def test_a_plan_file_of_the_right_version_but_wrong_shape_is_not_a_valid_plan_file(
    api_env, examples_copy, tmp_path, mangle, how
):
    path = tmp_path / "plan.json"
    saved = reviewed_plan(api_env, examples_copy, path)
    mangle(saved)
    path.write_text(json.dumps(saved))
    args = {
        "--plan": ["apply", "--plan", str(path)],
        "--expect": ["apply", "--expect", str(path), str(examples_copy)],
        "show": ["show", str(path)],
    }[how]
    result = run_cli(args, env=api_env)
    assert result.exit_code == 1 and f"{path} is not a valid plan file: " in result.stderr, result.output
    assert "internal error" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "encode",
    [str, lambda s: quote(s, safe=""), quote_plus, lambda s: json.dumps(s)[1:-1]],
    ids=["plain", "percent", "form", "json"],
)
def test_an_api_error_echoing_a_secret_in_any_encoding_prints_it_masked(api_env, examples_copy, sandbox, encode):
    secret = 'tok/"weird" value+1&x'  # every encoding writes it differently
    env = {**api_env, "ACME_WEBHOOK_TOKEN": secret}
    echoed = f"callback_url is invalid: token={encode(secret)} rejected"
    set_faults(
        sandbox,
        script=[
            {
                "method": "POST",
                "path": r"/lists/\d+/webhooks$",
                "fault": "answer",
                "status": 422,
                "json": {"status": "error", "error": echoed},
            }
        ],
    )
    result = run_cli(["apply", "--auto-approve", str(examples_copy)], env=env)
    assert result.exit_code == 1 and "rejected" in result.output
    for form in (secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]):
        assert form not in result.output
