"""Issue 17 point 1, the rest: nothing recoverable from any file the shipped workflows publish.

The shipped workflows (examples/ci/*.yml, examples/accounts/*.yml) and the action (action.yml,
action/*.sh) publish files in five ways: artifacts (actions/upload-artifact), caches
(actions/cache/save), the job summary ($GITHUB_STEP_SUMMARY), pull-request comments
(actions/github-script reading a file; ``gh pr comment``) and issue and pull-request bodies and
branches (``gh issue``/``gh pr``, ``git push`` of the drift job). The job log is published too.

What is collected is derived from the YAML: every step of every workflow and of the action is
classified by what it publishes (``PUBLISHES``); a step of a kind this test does not know fails
``test_every_step_of_every_shipped_workflow_is_covered`` until it is covered here. The steps that
run are run as GitHub would (tests/test_action.py's Runner: the action's real shell step, the real
CLI, the sandbox over HTTP, a stand-in ``gh`` that keeps every title and body it is given).

The secrets: a webhook token given through ``${ACME_WEBHOOK_TOKEN}`` (and its rotated value), one
written literally in a callback URL, one in a webhook made by hand in the web UI, a ``${PROMO_CODE}``
in a message text, and the API key. Every published text is searched for each of them in any
encoding (plain, percent-, form-, JSON-, HTML-escaped, base64), and a guessing attack (20,000
guesses with the true ones among them) is run on every hex or base64 string in it that could be a
hash or digest of one of them or of a URL or text carrying it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote, quote_plus

import pytest
import yaml

from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL
from tests.conftest import ROOT
from tests.test_action import ACTION, ACTION_REF, CI, Runner
from tests.test_reviewed_trust import guesses

ACCOUNTS = ROOT / "examples" / "accounts"
WORKFLOWS = sorted(CI.glob("*.yml")) + sorted(ACCOUNTS.glob("*.yml"))

TOKEN = "sunshine"  # ${ACME_WEBHOOK_TOKEN}: short and human-chosen
ROTATED = "moonlight"  # the same secret after a rotation that the review did not see
LITERAL = "letmein1"  # written literally in a callback URL of the YAML
HAND = "hunter22"  # the token of a webhook made by hand in the web UI
HAND_LATER = "dragon77"  # ...and of the vip webhook, edited by hand in the web UI
PROMO = "pizza&fries<3"  # ${PROMO_CODE} in a message text
SECRETS = [TOKEN, ROTATED, LITERAL, HAND, HAND_LATER, PROMO, SANDBOX_API_KEY]

VIP_URL = "https://hooks.acme-retail.example/tatango/vip?token={}"
LITERAL_URL = "https://hooks.acme.example/literal?token={}"
HAND_URL = "https://hooks.acme.example/legacy?token={}"
PROMO_TEXT = "ACME Store Alerts: use code {} at checkout. Reply STOP to end, HELP for help. Msg&data rates may apply."
CARRIERS = [VIP_URL, LITERAL_URL, HAND_URL, PROMO_TEXT]

# What each kind of step publishes. A step whose action is not here fails the coverage test.
PUBLISHES = {
    "actions/checkout": None,
    "actions/setup-python": None,
    "actions/cache/restore": None,  # reads a cache; the save step publishes it
    "actions/upload-artifact": "path",
    "actions/cache/save": "path",
    "actions/github-script": "files its script reads from process.env",
    "tatango-iac": "the action: its own steps (action.yml), the job summary, gh bodies, the log",
}
READ_ENV_FILE = re.compile(r"readFileSync\(process\.env\.(\w+)")

FAKE_GH = '''#!{python}
"""A stand-in gh: the GitHub API from $FAKE_GH_WORLD; every title and body it is given is kept."""
import json, os, shutil, sys
path = os.environ["FAKE_GH_WORLD"]
world = json.load(open(path))
args = sys.argv[1:]
world.setdefault("calls", []).append(args)
published = world.setdefault("published", [])
def opt(name):
    return args[args.index(name) + 1] if name in args else None
for flag in ("--title", "--body"):
    if opt(flag) is not None:
        published.append(opt(flag))
if opt("--body-file") is not None:
    published.append(open(opt("--body-file")).read())
issues, prs = world.setdefault("issues", []), world.setdefault("prs", [])
out = ""
if args[:3] == ["api", "--method", "POST"] and "/statuses/" in args[3]:  # a commit status: its description is public
    fields = dict(a.split("=", 1) for a in args[4:] if "=" in a)
    published.append(fields["description"])
    world.setdefault("statuses", []).append([args[3], fields["state"], fields["context"]])
elif args[0] == "api" and opt("--jq") is None:  # the JSON itself (ci pending-merges, approval.py read it)
    asked = next(a for a in args[1:] if not a.startswith("--"))
    default = {{"statuses": []}} if asked.endswith("/status") else [] if asked.endswith("/pulls") else None
    out = json.dumps(world["api"].get(asked, default))
elif args[0] == "api":
    answer = world["api"][next(a for a in args[1:] if not a.startswith("--"))]
    jq = opt("--jq")
    if jq == ".[0].number // empty":
        out = str(answer[0]["number"]) if answer else ""
    elif jq == ".head.sha":
        out = answer["head"]["sha"]
    elif jq == ".[].name":
        out = "\\n".join(label["name"] for label in answer)
    else:
        run = answer["artifacts"][0]["workflow_run"]
        out = f"{{run['id']}} {{run['head_sha']}}"
elif args[:2] == ["run", "download"]:
    shutil.copytree(os.path.join(world["artifacts"], opt("--name")), opt("--dir"))
elif args[:2] in (["pr", "comment"], ["workflow", "run"]):
    pass
elif args[:2] == ["issue", "list"]:
    out = json.dumps([{{"number": i["number"], "title": i["title"]}} for i in issues])
elif args[:2] == ["issue", "create"]:
    issues.append({{"number": 100 + len(issues), "title": opt("--title")}})
elif args[:2] == ["pr", "list"]:
    found = [p["number"] for p in prs if p["head"] == opt("--head")]
    out = str(found[0]) if found else ""
elif args[:2] == ["pr", "create"]:
    prs.append({{"number": 200 + len(prs), "head": opt("--head")}})
elif args[:2] in (["issue", "edit"], ["pr", "edit"]):
    pass
else:
    world.setdefault("unknown", []).append(args)
    json.dump(world, open(path, "w"))
    sys.exit("stand-in gh: unknown command (cover it in tests/test_published_secrets.py)")
json.dump(world, open(path, "w"))
print(out)
'''


def action_name(uses: str) -> str:
    return "tatango-iac" if ACTION_REF.match(uses) else uses.split("@")[0]


def all_steps() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in WORKFLOWS:
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            for step in job["steps"]:
                yield path.name, step
    for step in ACTION["runs"]["steps"]:
        yield "action.yml", step


def test_every_step_of_every_shipped_workflow_is_covered():
    """A new kind of publishing step (another action, a run step that posts) fails here until covered."""
    for where, step in all_steps():
        if "uses" in step:
            assert action_name(step["uses"]) in PUBLISHES, f"{where}: {step['uses']}: cover it in this test"
            if action_name(step["uses"]) == "actions/github-script":
                script = step["with"]["script"]
                read = READ_ENV_FILE.findall(script)
                # The comment body is built only from files named in the step's env: those are collected.
                assert read and set(read) <= set(step.get("env") or {}), where
                assert script.count("readFileSync(") == len(read), where
        else:  # a run step publishes only through gh (kept by the stand-in) or files collected by name
            assert "GITHUB_STEP_SUMMARY" not in step["run"] and "upload" not in step["run"], (where, step["run"])
    for script in ("run.sh", "drift-report.sh", "apply-merges.sh"):
        text = (ROOT / "action" / script).read_text()
        # Every gh call that posts does so with --title/--body/--body-file: the stand-in keeps those.
        assert "--body " not in text.replace("--body-file", ""), script


# ------------------------------------------------------------------ running them


class Publishing(Runner):
    """Runner that also collects what each step publishes, and knows the accounts workflow's matrix."""

    def __init__(self, tmp: Path, sandbox_url: str):
        super().__init__(tmp, sandbox_url)
        (tmp / "bin" / "gh").write_text(FAKE_GH.format(python=sys.executable))
        self.published: dict[str, str] = {}  # where it was published -> text
        self.count = 0

    def keep(self, label: str, path: Path) -> None:
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        assert files, f"{label}: nothing at {path}"
        for file in files:
            self.count += 1
            self.published[f"{self.count:03} {label}: {file}"] = file.read_bytes().decode("utf-8", "replace")

    def keep_text(self, label: str, text: str) -> None:
        self.count += 1
        self.published[f"{self.count:03} {label}"] = text

    def action(self, inputs: dict[str, str], context: dict[str, str]) -> tuple[int, dict[str, str], str]:
        summary = self.tmp / "summary.md"
        summary.unlink(missing_ok=True)  # each step has its own summary file
        code, outputs, text = super().action(inputs, context)
        label = f"action {inputs.get('command')}"
        self.keep_text(f"{label}: job summary", text)
        self.keep_text(f"{label}: log", self.last.stdout + self.last.stderr)
        given = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        given.update({k: self.resolve(v, context) for k, v in inputs.items()})
        expressions = {
            **{f"inputs.{k}": v for k, v in given.items()},
            "runner.temp": self.env["RUNNER_TEMP"],
        }
        for name in ACTION["outputs"]:  # files a workflow step may post or upload (result-json, plan-markdown...)
            if name in outputs and name != "dir" and Path(outputs[name]).is_file():
                self.keep(f"{label}: output {name}", Path(outputs[name]))
        steps = ACTION["runs"]["steps"]
        after = steps[[s.get("id") for s in steps].index("run") + 1 :]
        for step in after:  # the action's own publishing steps (its artifact)
            if self.holds(step.get("if"), expressions):
                self.publish_step(step, expressions, label)
        return code, outputs, text

    def publish_step(self, step: dict[str, Any], context: dict[str, str], label: str) -> None:
        kind = action_name(step["uses"])
        if PUBLISHES[kind] == "path":
            for line in self.resolve(step["with"]["path"], context).splitlines():
                target = Path(line) if Path(line).is_absolute() else self.repo / line
                self.keep(f"{label}: {kind}", target)
        elif kind == "actions/github-script":
            env = {k: self.resolve(v, context) for k, v in (step.get("env") or {}).items()}
            for name in READ_ENV_FILE.findall(step["with"]["script"]):
                self.keep(f"{label}: pull-request comment", Path(env[name]))

    def holds(self, expression: Any, context: dict[str, str]) -> bool:
        """The ``if:`` forms of the shipped workflows and the action: terms joined by &&."""
        if expression is None:
            return True
        for part in str(expression).split("&&"):
            term = part.strip()
            if term == "always()":
                continue
            hashed = re.fullmatch(r"hashFiles\('([^']+)'\) != ''", term)
            if hashed:
                if not (self.repo / hashed.group(1)).exists():
                    return False
                continue
            match = re.fullmatch(r"([\w.-]+) (==|!=) '([^']*)'", term)
            assert match, f"the test does not know if: {expression}"
            assert match.group(1) in context, f"the test does not know {match.group(1)}"
            if (context[match.group(1)] == match.group(3)) != (match.group(2) == "=="):
                return False
        return True

    def run_job(self, path: Path, context: dict[str, str], job_name: str | None = None) -> list[tuple[str, int]]:
        """Every step of one job, in order: ours run, the others' publications collected."""
        jobs = yaml.safe_load(path.read_text())["jobs"]
        job = jobs[job_name] if job_name else next(iter(jobs.values()))
        context = {"github.token": "fake-token", **context}
        shutil.rmtree(self.env["RUNNER_TEMP"], ignore_errors=True)  # each job runs on a fresh runner
        github_env = self.tmp / "github_env"
        github_env.write_text("")
        ran = []
        for step in job["steps"]:
            if not self.holds(step.get("if"), context):
                continue
            name = step.get("name", step.get("id", step.get("uses", "run")))
            label = f"{path.name} {name}"
            if "uses" in step and action_name(step["uses"]) == "tatango-iac":
                code, outputs, _ = self.action(step.get("with", {}), context)
                for key, value in outputs.items():
                    context[f"steps.{step.get('id')}.outputs.{key}"] = value
                ran.append((name, code))
            elif "uses" in step:
                self.publish_step(step, context, label)
            else:
                env = {
                    **self.env,
                    "GITHUB_REF_NAME": "main",
                    "GITHUB_ENV": str(github_env),
                    **{k: self.resolve(v, context) for k, v in (step.get("env") or {}).items()},
                }
                done = subprocess.run(
                    ["bash", "-e", "-c", self.resolve(step["run"], context)],
                    cwd=self.repo,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=False,
                )
                self.keep_text(f"{label}: log", done.stdout + done.stderr)
                ran.append((name, done.returncode))
                for line in github_env.read_text().splitlines():  # what later steps of the job see
                    key, _, value = line.partition("=")
                    self.env[key] = value
        return ran

    def teach(self, sha: str, pr: int, head: str, artifact: str) -> None:
        world = self.gh()
        world["api"].update(
            {
                f"repos/acme/sms-config/issues/{pr}/labels": [],
                f"repos/acme/sms-config/commits/{sha}/pulls": [{"number": pr}],
                f"repos/acme/sms-config/pulls/{pr}": {"head": {"sha": head}},
                f"repos/acme/sms-config/actions/artifacts?name={artifact}&per_page=1": {
                    "artifacts": [{"workflow_run": {"id": 4242, "head_sha": head}}]
                },
            }
        )
        self.world.write_text(json.dumps(world))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def runner(tmp_path, sandbox):
    run = Publishing(tmp_path, sandbox.url)
    run.env.update(ACME_WEBHOOK_TOKEN=TOKEN, PROMO_CODE=PROMO)
    run.repo.mkdir()
    shutil.copytree(ROOT / "examples", run.repo / "tatango", ignore=shutil.ignore_patterns("invalid", "ci", "accounts"))
    shutil.copytree(ACCOUNTS, run.repo / "accounts", ignore=shutil.ignore_patterns("*.yml"))
    lists = run.repo / "tatango" / "lists"
    edit(lists / "vip.yaml", "https://hooks.acme-retail.example/tatango/vip?token=", VIP_URL.format(""))
    literal = f'    webhooks:\n      - callback_url: "{LITERAL_URL.format(LITERAL)}"\n        subscribe: true\n'
    edit(lists / "deals.yaml", "    webhooks:\n", literal)
    promo = PROMO_TEXT.format("${PROMO_CODE}")
    edit(lists / "stores.yaml", "    message_stop:", f'    message_reply: "{promo}"\n    message_stop:')
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "origin.git")], check=True)
    run.git("init", "-q", "-b", "main")
    run.git("add", "-A")
    run.git("commit", "-q", "-m", "the account as code")
    run.git("remote", "add", "origin", str(tmp_path / "origin.git"))
    run.git("push", "-q", "origin", "main")
    return run


# ------------------------------------------------------------------ the attack


def plain_forms(secret: str) -> set[str]:
    """The secret as it could be written in a text: plain, escaped for a URL, JSON or HTML, and base64 at
    each of the three byte alignments (the part of the base64 that depends on the secret's bytes only)."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    forms |= {html.escape(secret), html.escape(secret, quote=False), html.escape(quote(secret, safe=""))}
    data = secret.encode()
    for shift in range(3):
        part = data[shift:]
        core = part[: len(part) // 3 * 3]
        forms |= {base64.b64encode(core).decode(), base64.urlsafe_b64encode(core).decode()}
    forms |= {data.hex(), data.hex().upper()}  # the tester's finding: a hex dump of the request
    # ...and the secret cut short by up to 3 characters at either end, 8 or more kept (README: redaction).
    forms |= {secret[:-cut] for cut in (1, 2, 3) if len(secret) - cut >= 8}
    forms |= {secret[cut:] for cut in (1, 2, 3) if len(secret) - cut >= 8}
    return {form for form in forms if len(form) >= 6}


def shown_in_plain(texts: dict[str, str]) -> list[tuple[str, str]]:
    """(secret, where) for every published text that holds a secret in any of its plain forms."""
    return [
        (secret, where)
        for where, text in texts.items()
        for secret in SECRETS
        if any(form in text for form in plain_forms(secret))
    ]


def preimages(word: str) -> list[str]:
    forms = [word, json.dumps(word)]
    for carrier in CARRIERS:
        text = carrier.format(word)
        forms += [text, quote(text, safe=""), json.dumps(text)]
    return forms


def guessing_attack(texts: dict[str, str], words: list[str]) -> dict[str, set[str]]:
    """For each published text, the guesses whose unkeyed hash (md5, sha1, sha256, sha512, blake2b; hex, whole
    or a prefix of 8+ digits, or base64) of the value, or of a URL or message carrying it, appears in it."""
    found: dict[str, set[str]] = {}
    hexes_of = {where: {h.lower() for h in re.findall(r"[0-9a-fA-F]{8,}", t)} for where, t in texts.items()}
    b64_of = {where: set(re.findall(r"[A-Za-z0-9+/_-]{16,}={0,2}", t)) for where, t in texts.items()}
    hexes = set().union(*hexes_of.values())
    b64 = set().union(*b64_of.values())
    lengths = {len(h) for h in hexes}
    for word in words:
        for form in preimages(word):
            for name in ("md5", "sha1", "sha256", "sha512", "blake2b"):
                raw = hashlib.new(name, form.encode()).digest()
                full = raw.hex()
                prefixes = {full[:n] for n in lengths if n <= len(full)}
                encoded = {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")}
                if prefixes & hexes or encoded & b64:
                    for where in texts:
                        if prefixes & hexes_of[where] or {e for e in encoded if any(e in b for b in b64_of[where])}:
                            found.setdefault(where, set()).add(word)
    return found


def test_the_attack_finds_a_leak_when_there_is_one():
    """The control: the same attack on texts that do leak (so the test above it could fail)."""
    leaks = {
        "sha256 prefix of the vip URL": hashlib.sha256(VIP_URL.format(TOKEN).encode()).hexdigest()[:16],
        "md5 of the message": hashlib.md5(PROMO_TEXT.format(PROMO).encode()).hexdigest(),
        "base64 sha1 of the token": base64.b64encode(hashlib.sha1(HAND.encode()).digest()).decode(),
    }
    words = guesses([TOKEN, PROMO, HAND])
    assert guessing_attack(leaks, words) == {
        "sha256 prefix of the vip URL": {TOKEN},
        "md5 of the message": {PROMO},
        "base64 sha1 of the token": {HAND},
    }
    plain = {
        "percent": f"url=https%3A%2F%2Fx%2F%3Ftoken%3D{quote(PROMO, safe='')}",
        "html": f"<p>{html.escape(PROMO)}</p>",
        "json": json.dumps({"text": f"say {PROMO}"}),
        "base64": base64.b64encode(f"Basic {SANDBOX_EMAIL}:{SANDBOX_API_KEY}".encode()).decode(),
        "base64 shifted": base64.b64encode(f"xy{LITERAL}z".encode()).decode(),
        "hex": f"body {PROMO.encode().hex()}",
        "cut short": f"key {SANDBOX_API_KEY[:-1]} refused",
    }
    assert sorted(shown_in_plain(plain)) == sorted(
        [
            (PROMO, "percent"),
            (PROMO, "html"),
            (PROMO, "json"),
            (SANDBOX_API_KEY, "base64"),
            (LITERAL, "base64 shifted"),
            (PROMO, "hex"),
            (SANDBOX_API_KEY, "cut short"),
        ]
    )


def pr_context(number: int) -> dict[str, str]:
    return {
        "github.base_ref": "main",
        "github.event.pull_request.number": str(number),
        "steps.plan.outputs.plan-markdown": "",
    }


def webhook_of(client, list_name: str, start: str) -> dict:
    lst = next(x for x in client.list_lists() if x["name"] == list_name)
    return lst, next(h for h in client.list_webhooks(lst["id"]) if h["callback_url"].startswith(start))


def test_no_secret_is_recoverable_from_anything_the_shipped_workflows_publish(runner, client, sandbox, tmp_path):
    # main goes live (the apply workflow's action, without a review: the first apply).
    code, _outputs, _summary = runner.action({"command": "apply"}, {})
    assert code == 0, runner.last.stderr
    assert PROMO in next(x for x in client.list_lists() if x["name"] == "ACME Store Alerts")["message_reply"]
    # In the web UI: a webhook made by hand on Deals (the PR plan deletes it: Deals is managed).
    deals = next(x for x in client.list_lists() if x["name"] == "ACME Deals")
    client.create_webhook(deals["id"], {"callback_url": HAND_URL.format(HAND), "subscribe": True})

    # A pull request: the PR workflow validates, plans, uploads the plan and comments.
    runner.git("checkout", "-q", "-b", "daily-deals")
    edit(runner.repo / "tatango" / "lists" / "deals.yaml", "Weekly deals.", "Daily deals.")
    lists = runner.repo / "tatango" / "lists"
    edit(lists / "stores.yaml", "use code ${PROMO_CODE} at", "use code ${PROMO_CODE} in store or at")
    edit(lists / "vip.yaml", "Thanks for your reply.", "Thank you for your reply.")  # the webhook's list too
    runner.git("commit", "-q", "-am", "daily deals")
    ran = runner.run_job(CI / "tatango-pr.yml", pr_context(7))
    assert ran == [("validate", 0), ("plan", 0)], runner.last.stderr
    head = runner.git("rev-parse", "HEAD")
    runner.git("checkout", "-q", "main")
    runner.git("merge", "-q", "--ff-only", "daily-deals")
    runner.git("push", "-q", "origin", "main")
    runner.teach(head, 7, head, "tatango-plan-pr-7")

    # The merge's apply, after the webhook secret was rotated without a review: refused, with a comment.
    runner.env["ACME_WEBHOOK_TOKEN"] = ROTATED
    assert runner.run_job(CI / "tatango-apply.yml", {"inputs.pull-request": ""}) == [("apply", 1)], runner.last.stderr
    assert len([c for c in runner.gh()["calls"] if c[:2] == ["pr", "comment"]]) == 1
    # Re-run with the reviewed secret: applied; the job summary and apply.json hold each action's result.
    runner.env["ACME_WEBHOOK_TOKEN"] = TOKEN
    assert runner.run_job(CI / "tatango-apply.yml", {"inputs.pull-request": "7"}) == [("apply", 0)], runner.last.stderr

    # Nights: drift made by hand (a message, the vip webhook's URL with another token, a webhook made by
    # hand), reported as issues, then as pull requests made with `tatango-iac pull` and pushed.
    vip, hook = webhook_of(client, "ACME VIP", VIP_URL.format(""))
    client.update_webhook(vip["id"], hook["id"], {"callback_url": VIP_URL.format(HAND_LATER)})
    stores, _ = webhook_of(client, "ACME Deals", "https://")
    client.update_list(stores["id"], {"message_reply": "ACME Deals: edited by hand. Reply STOP to end."})
    client.create_webhook(stores["id"], {"callback_url": HAND_URL.format(HAND), "subscribe": True})
    for mode in ("issue", "pull-request"):
        [(_name, code)] = runner.run_job(CI / "tatango-drift.yml", {"vars.TATANGO_ON_DRIFT || 'issue'": mode})
        assert code == 0, runner.last.stdout + runner.last.stderr
    assert runner.gh().get("issues") and runner.gh().get("prs")
    for branch in runner.git("--git-dir", str(tmp_path / "origin.git"), "branch", "--format=%(refname:short)").split():
        if branch != "main":  # what the drift job pushed: the tool's own edits of the files
            diff = runner.git("--git-dir", str(tmp_path / "origin.git"), "diff", "main", branch)
            runner.keep_text(f"pushed branch {branch}", diff)

    # Several accounts: the matrix workflow's pull-request plan of one account (its own artifact).
    runner.git("checkout", "-q", "-b", "acme-help")
    edit(runner.repo / "accounts" / "acme" / "stores.yaml", "Help at 212-555-0100", "Help: 212-555-0100")
    runner.git("commit", "-q", "-am", "acme help")
    runner.env.update(TATANGO_ACME_EMAIL=SANDBOX_EMAIL, TATANGO_ACME_API_KEY=SANDBOX_API_KEY)
    matrix = {
        "matrix.dir": "acme",
        "matrix.name": "ACME",
        "secrets[format('TATANGO_{0}_EMAIL', matrix.name)]": SANDBOX_EMAIL,
        "secrets[format('TATANGO_{0}_API_KEY', matrix.name)]": SANDBOX_API_KEY,
        "github.event_name": "pull_request",
        **pr_context(9),
    }
    ran = runner.run_job(ACCOUNTS / "tatango-accounts.yml", matrix)
    assert [(name, code) for name, code in ran] == [
        ("credentials of this account only", 0),
        ("validate", 0),
        ("plan", 0),
    ], runner.last.stdout + runner.last.stderr

    # A bug report: doctor --record (the action's doctor command), its cassette attached to an issue.
    record = tmp_path / "report"
    code, _outputs, _summary = runner.action({"command": "doctor", "args": f"--write-probe\n--record\n{record}"}, {})
    assert code == 0, runner.last.stdout + runner.last.stderr
    runner.keep("doctor --record cassette", record)

    for text in runner.gh()["published"]:
        runner.keep_text("gh title or body (comment, issue, pull request)", text)
    assert not runner.gh().get("unknown")
    published = runner.published
    kinds = " ".join(published)
    for kind in ("upload-artifact", "cache/save", "pull-request comment", "job summary", "gh title", "pushed branch"):
        assert kind in kinds, kind
    for name in ("plan.json", "plan.md", "plan.txt", "apply.json", "drift.json", "state.json", "issue.md", "pr.md"):
        assert f"/{name}" in kinds, name
    # The attack had something to find: the published plans show the secrets' places, masked or as ${...}.
    everything = "\n".join(published.values())
    assert "${ACME_WEBHOOK_TOKEN}" in everything and "${PROMO_CODE}" in everything and "token=****" in everything
    assert re.search(r"hmac-sha256:[0-9a-f]{16,}", everything)

    assert shown_in_plain(published) == []
    assert guessing_attack(published, guesses(SECRETS[:-1])) == {}
