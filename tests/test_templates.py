"""Say it once (issue 23): account.defaults, templates with extends, ${list.name} / ${var.NAME},
diagnostics at the template line with the lists it reaches, bounded expansion."""

import json
import time

import pytest

from tatango_iac.config import templates
from tatango_iac.config.loader import load
from tests.conftest import run_cli

HELP = "ACME ${list.name}: help at help@acme.example or 800-555-0100. Text STOP to end."
BASE = f"""version: 1
account:
  defaults:
    message_stop: "You have been unsubscribed from ${{list.name}}. No more msgs."
    message_reply: "Thanks!"
    vars:
      brand: ACME
templates:
  store:
    message_help: "{HELP}"
    custom_fields:
      - key: zip_code
        label: ZIP
        content_type: text
        max_length: 10
    webhooks:
      - callback_url: "https://hooks.acme.example/t?store=${{var.store}}&brand=${{var.brand}}"
        subscribe: true
  flagship:
    extends: store
    message_reply: "Thanks from ${{var.brand}} flagship"
"""


def write(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def lists_of(path, env=None):
    account, diagnostics = load([str(path)], env or {})
    assert account is not None, [d.text() for d in diagnostics]
    return {lst.name: lst for lst in account.lists}, diagnostics


STORES = """version: 1
lists:
  - name: Store 1
    extends: store
    vars: {store: "1"}
  - name: Store 2
    extends: flagship
    vars: {store: "2", brand: Acme Corp}
    message_help: "Store 2 help: help@acme.example. Text STOP to end."
    message_reply: null
  - name: Loose
    message_stop: "Unsubscribed. No more msgs."
"""


def test_defaults_templates_chain_own_value_wins_and_null_clears(tmp_path):
    lists, _ = lists_of(write(tmp_path, {"account.yaml": BASE, "stores.yaml": STORES}))
    one, two, loose = lists["Store 1"], lists["Store 2"], lists["Loose"]
    assert one.fields == {
        "message_stop": "You have been unsubscribed from Store 1. No more msgs.",
        "message_reply": "Thanks!",
        "message_help": "ACME Store 1: help at help@acme.example or 800-555-0100. Text STOP to end.",
    }
    assert [w.callback_url for w in one.webhooks] == ["https://hooks.acme.example/t?store=1&brand=ACME"]
    assert [f.key for f in one.custom_fields] == ["zip_code"]
    # A chain: flagship extends store; the list's own value wins, and its null still clears.
    assert two.templates == ("flagship", "store")
    assert two.fields["message_help"] == "Store 2 help: help@acme.example. Text STOP to end."
    assert two.fields["message_reply"] is None
    assert [w.callback_url for w in two.webhooks] == ["https://hooks.acme.example/t?store=2&brand=Acme Corp"]
    # Defaults reach a list without extends; what no layer sets stays unmanaged.
    assert loose.fields == {"message_stop": "Unsubscribed. No more msgs.", "message_reply": "Thanks!"}
    assert loose.webhooks is None and loose.keyword_names is None
    assert one.origin_label("message_help") == 'template "store"'
    assert one.origin_label("message_stop") == "account.defaults"
    assert two.origin_label("message_help") == ""


def test_escaping_and_environment_in_the_same_string(tmp_path):
    text = BASE.replace(HELP, "$${list.name} is literal; ${list.name} at ${SUPPORT_URL}. Text STOP to end.")
    lists, _ = lists_of(
        write(tmp_path, {"account.yaml": text, "stores.yaml": STORES}),
        {"SUPPORT_URL": "https://acme.example/${list.name}"},
    )
    help_text = lists["Store 1"].fields["message_help"]
    # The environment value is taken as it is (never read as a reference), $${ stays literal.
    assert help_text == "${list.name} is literal; Store 1 at https://acme.example/${list.name}. Text STOP to end."
    assert help_text.template == "$${list.name} is literal; Store 1 at ${SUPPORT_URL}. Text STOP to end."


def test_plain_escape_outside_templates_is_unchanged(tmp_path):
    path = write(tmp_path, {"a.yaml": "version: 1\nlists:\n  - name: A\n    message_reply: 'costs $${x} $5'\n"})
    lists, _ = lists_of(path)
    assert lists["A"].fields["message_reply"] == "costs ${x} $5"


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "version: 1\nlists:\n  - name: A\n    extends: stor\n",
            "a.yaml:4:14: error: extends: template 'stor' is not defined; did you mean 'store'? [template-unknown]",
        ),
        (
            "version: 1\nlists:\n  - name: A\n    message_reply: '${var.nope}'\n",
            "a.yaml:4:20: error: '${var.nope}' is not defined (from the vars of the list, its templates or "
            'account.defaults; write $${ for a literal ${) (in list "A") [template-reference]',
        ),
        (
            "version: 1\naccount:\n  shortcode: '${list.name}'\n",
            "a.yaml:3:14: error: '${list.name}' takes a list's own value: it can be used only in a list, a template or "
            "account.defaults (write $${ for a literal ${) [env-unset]",
        ),
        ("version: 1\ntemplates:\n  'bad name!': {}\n", "a.yaml:3:3: error: templates: name 'bad name!' must match"),
        ("version: 1\ntemplates:\n  t:\n    name: X\n", "a.yaml:4:5: error: unknown key 'name' in templates.t"),
        (
            "version: 1\naccount:\n  defaults:\n    extends: store\n",
            "a.yaml:4:5: error: unknown key 'extends' in account.defaults",
        ),
    ],
)
def test_bad_input_is_located_and_exits_1(tmp_path, text, message):
    (tmp_path / "t.yaml").write_text("version: 1\ntemplates:\n  store:\n    message_reply: x\n")
    (tmp_path / "a.yaml").write_text(text)
    result = run_cli(["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert message in result.stdout.replace(str(tmp_path) + "/", "")
    assert "Traceback" not in result.output


def test_cycles_are_refused_with_both_locations(tmp_path):
    (tmp_path / "t.yaml").write_text(
        "version: 1\ntemplates:\n  a:\n    extends: b\n  b:\n    extends: a\nlists:\n  - name: L\n    extends: a\n"
    )
    result = run_cli(["validate", str(tmp_path)])
    assert result.exit_code == 1
    out = result.stdout.replace(str(tmp_path) + "/", "")
    assert (
        "t.yaml:4:14: error: templates extend each other in a cycle: a -> b -> a (template 'b' extends at "
        "t.yaml:6:14) [template-cycle]"
    ) in out
    assert (
        "t.yaml:6:14: error: templates extend each other in a cycle: b -> a -> b (template 'a' extends at "
        "t.yaml:4:14) [template-cycle]"
    ) in out
    assert "Traceback" not in result.output


def test_duplicate_template_names_across_files(tmp_path):
    (tmp_path / "a.yaml").write_text("version: 1\ntemplates:\n  store: {}\n")
    (tmp_path / "b.yaml").write_text("version: 1\ntemplates:\n  store: {}\n")
    result = run_cli(["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "b.yaml:3:3: error: template 'store' is already defined at " in result.stdout
    assert "a.yaml:3:10 [template-duplicate]" in result.stdout


def test_a_chain_deeper_than_the_limit_is_refused_at_its_line(tmp_path):
    depth = templates.MAX_CHAIN + 1
    lines = ["version: 1", "templates:"]
    for i in range(depth):
        lines += [f"  t{i}:"] + ([f"    extends: t{i + 1}"] if i + 1 < depth else ["    message_reply: x"])
    lines += ["lists:", "  - name: L", "    extends: t0"]
    (tmp_path / "a.yaml").write_text("\n".join(lines) + "\n")
    result = run_cli(["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert f"a.yaml:4:5: error: template 't0' reaches {depth} templates through extends" in result.stdout
    assert "[template-depth]" in result.stdout
    # One level less is fine.
    lines[2:4] = []
    (tmp_path / "a.yaml").write_text("\n".join(lines).replace("extends: t0", "extends: t1") + "\n")
    assert run_cli(["validate", str(tmp_path)]).exit_code == 0


def test_an_expansion_over_the_size_limit_is_refused_with_its_location(tmp_path, monkeypatch):
    monkeypatch.setattr(templates, "MAX_EXPANDED_CHARS", 10_000)
    text = "x" * 3000
    lists = "".join(f"  - name: L{i}\n    extends: big\n" for i in range(5))
    (tmp_path / "a.yaml").write_text(f"version: 1\ntemplates:\n  big:\n    message_reply: '{text}'\nlists:\n{lists}")
    result = run_cli(["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert (
        "a.yaml:4:20: error: expanding templates exceeds the size limit (10000 characters, 2000000 values over "
        'all lists) (in list "L3", from template "big") [template-too-large]'
    ) in result.stdout
    assert result.stdout.count("template-too-large") == 1


def test_expansion_is_linear_in_the_output(tmp_path):
    """Ten times the lists take about ten times as long (not a hundred)."""

    def timed(n):
        body = "".join(f"  - name: S{i}\n    extends: flagship\n    vars: {{store: '{i}'}}\n" for i in range(n))
        (tmp_path / "stores.yaml").write_text("version: 1\nlists:\n" + body)
        (tmp_path / "account.yaml").write_text(BASE)
        start = time.process_time()
        lists, _ = lists_of(tmp_path)
        assert len(lists) == n
        return time.process_time() - start

    timed(50)  # warm up
    small, large = min(timed(100) for _ in range(2)), min(timed(1000) for _ in range(2))
    assert large < small * 25


def test_a_template_finding_is_reported_once_with_the_lists_it_reaches(tmp_path):
    bad = BASE.replace(HELP, "${var.brand} ${list.name}: call us")
    body = "".join(f"  - name: S{i}\n    extends: store\n    vars: {{store: '{i}'}}\n" for i in range(200))
    body += "  - name: Own\n    message_help: 'no contact'\n"
    write(tmp_path, {"account.yaml": bad, "stores.yaml": "version: 1\nlists:\n" + body})
    result = run_cli(["validate", "--format", "json", str(tmp_path)])
    report = json.loads(result.stdout)
    help_findings = [d for d in report["diagnostics"] if d["rule"] == "help-contact"]
    assert len(help_findings) == 2
    inherited = next(d for d in help_findings if d["file"].endswith("account.yaml"))
    assert (inherited["line"], inherited["col"]) == (10, 19)  # the template's line
    assert inherited["message"] == (
        "message_help lacks a contact (e-mail, phone number or URL) (from template "
        f'"store"; in 200 lists, first list "S0" at {tmp_path}/stores.yaml:3:11)'
    )
    own = next(d for d in help_findings if d["file"].endswith("stores.yaml"))
    assert "from template" not in own["message"]


def test_a_single_list_finding_names_the_list_and_defaults(tmp_path):
    text = "version: 1\naccount:\n  defaults:\n    message_stop: 'bye'\nlists:\n  - name: Only\n"
    result = run_cli(["validate", str(write(tmp_path, {"a.yaml": text}))])
    assert (
        f"a.yaml:4:19: warning: message_stop lacks a confirmation of the opt-out ('You are unsubscribed. No more "
        "messages will be sent.') "
        f'(from account.defaults; in list "Only" at {tmp_path}/a.yaml:6:11) [stop-confirmation]'
    ) in result.stdout


def test_an_undefined_reference_in_a_template_is_reported_once(tmp_path):
    body = "".join(f"  - name: S{i}\n    extends: t\n" for i in range(50))
    text = f"version: 1\ntemplates:\n  t:\n    message_reply: 'Hi from ${{var.city}}'\nlists:\n{body}"
    result = run_cli(["validate", str(write(tmp_path, {"a.yaml": text}))])
    assert result.exit_code == 1
    assert result.stdout.count("[template-reference]") == 1
    assert (
        "a.yaml:4:20: error: '${var.city}' is not defined (from the vars of the list, its templates or "
        'account.defaults; write $${ for a literal ${) (from template "t"; in 50 lists, first list "S0") '
        "[template-reference]"
    ) in result.stdout


def test_errors_on_inherited_values_point_at_the_template(tmp_path):
    text = (
        "version: 1\ntemplates:\n  t:\n    webhooks:\n      - callback_url: 'ftp://x/${list.name}'\n"
        "lists:\n  - name: A\n    extends: t\n  - name: B\n    extends: t\n"
    )
    result = run_cli(["validate", str(write(tmp_path, {"a.yaml": text}))])
    assert result.exit_code == 1
    assert result.stdout.count("[webhook-url]") == 1
    assert (
        "a.yaml:5:23: error: callback_url 'ftp://x/A' is not an http(s) URL with a host (from template \"t\"; "
        f'in 2 lists, first list "A" at {tmp_path}/a.yaml:7:11) [webhook-url]'
    ) in result.stdout


def test_a_list_to_delete_takes_nothing(tmp_path):
    text = "version: 1\naccount:\n  defaults:\n    message_reply: x\nlists:\n  - name: Gone\n    delete: true\n"
    lists, diagnostics = lists_of(write(tmp_path, {"a.yaml": text}))
    assert lists["Gone"].fields == {} and not diagnostics


def test_the_schema_describes_templates_defaults_and_vars():
    from tatango_iac.config.schema import load_schema, schema_at

    schema = load_schema()
    assert "templates" in schema["properties"] and "defaults" in schema["properties"]["account"]["properties"]
    item = schema["properties"]["lists"]["items"]["properties"]
    assert {"extends", "vars"} <= set(item)
    template = schema["$defs"]["template"]["properties"]
    assert set(template) == (set(item) - {"name", "renamed_from", "id", "delete"})
    assert schema_at(("templates", "store", "webhooks", 0, "callback_url"))["type"] == "string"


def test_the_readmes_template_example_validates_as_described(tmp_path):
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Say it once: defaults and templates", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    lists, _ = lists_of(write(tmp_path, {"a.yaml": example}), {"ACME_WEBHOOK_TOKEN": "tok-1234567890"})
    nyc, austin = lists["NYC flagship"], lists["Austin store"]
    assert nyc.fields["message_reply"] is None and nyc.templates == ("flagship", "store")
    assert austin.fields["message_help"] == "ACME Austin store: help at 800-555-0100. Text STOP to end."
    assert nyc.webhooks[0].callback_url == "https://hooks.acme.example/t?store=1&token=tok-1234567890"
    assert nyc.webhooks[0].callback_url.template == "https://hooks.acme.example/t?store=1&token=${ACME_WEBHOOK_TOKEN}"


def test_an_unset_variable_in_a_template_text_is_env_unset_and_a_warning_for_hooks(tmp_path):
    text = (
        "version: 1\ntemplates:\n  t:\n    webhooks:\n      - callback_url: 'https://h.example/${list.name}?"
        "token=${HOOK_TOKEN}'\nlists:\n  - name: A\n    extends: t\n  - name: B\n    extends: t\n"
    )
    path = write(tmp_path, {"a.yaml": text})
    strict = run_cli(["validate", str(path)], env={"HOOK_TOKEN": None})
    assert strict.exit_code == 1
    assert strict.stdout.count("[env-unset]") == 1
    assert (
        "a.yaml:5:23: error: environment variable HOOK_TOKEN is not set (used as ${HOOK_TOKEN}) (from template "
        '"t"; in 2 lists, first list "A") [env-unset]'
    ) in strict.stdout
    hook = run_cli(["validate", "--allow-missing-env", str(path)], env={"HOOK_TOKEN": None})
    assert hook.exit_code == 0, hook.output
    assert "warning: environment variable HOOK_TOKEN is not set" in hook.stdout


def test_every_rule_reports_a_template_finding_once_with_its_lists(tmp_path):
    """Compliance and lint rules alike run on the assembled lists; each finding on a template line is one
    diagnostic naming how many lists it reaches."""
    text = """version: 1
templates:
  t:
    message_help: "hi ${list.name} \u2603 ${var.x}"
    message_stop: "bye"
    first_optin_message: "welcome to ${list.name}"
    opt_in_type: double
    opt_in_requests:
      - collected_data: zip_code
        request_message: "zip?"
        success_action: optinsubscriber
        opt_in_message: "done"
lists:
  - {name: A, extends: t, vars: {x: "1"}}
  - {name: B, extends: t, vars: {x: "2"}}
  - {name: C, extends: t, vars: {x: "3"}}
"""
    report = json.loads(run_cli(["validate", "--format", "json", str(write(tmp_path, {"a.yaml": text}))]).stdout)
    findings = report["diagnostics"]
    assert len({d["rule"] for d in findings}) >= 5
    seen = [(d["rule"], d["line"], d["col"]) for d in findings]
    assert len(seen) == len(set(seen))  # never once per list
    for d in findings:
        assert 4 <= d["line"] <= 12, d  # at the template's lines
        assert d["message"].endswith(f'(from template "t"; in 3 lists, first list "A" at {tmp_path}/a.yaml:14:12)'), d
