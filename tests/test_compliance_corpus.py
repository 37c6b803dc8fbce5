"""The compliance corpus (§15): realistic messages, compliant and not, in every message field, with
the rule hits a reviewer expects. Any false positive or false negative fails the suite."""

from collections import Counter
from pathlib import Path

import yaml

from tatango_iac.compliance import MessageContext, check_message
from tatango_iac.model import LIST_MESSAGE_FIELDS, OPT_IN_MESSAGE_FIELDS
from tests.conftest import FIXTURES, ROOT

CORPUS = yaml.safe_load((FIXTURES / "compliance_corpus.yaml").read_text(encoding="utf-8"))


def hits(entry: dict) -> list[str]:
    context = MessageContext(brand=entry.get("brand"), asks_consent=bool(entry.get("asks_consent")))
    return sorted(f.rule.value for f in check_message(entry["field"], entry["text"], context))


def test_no_false_positive_and_no_false_negative_in_the_corpus():
    wrong = []
    for number, entry in enumerate(CORPUS, 1):
        got, expected = hits(entry), sorted(entry["expect"])
        if got != expected:
            extra = sorted((Counter(got) - Counter(expected)).elements())
            missed = sorted((Counter(expected) - Counter(got)).elements())
            wrong.append(
                f"#{number} {entry['field']}: false positives {extra}, false negatives {missed}: {entry['text']!r}"
            )
    assert not wrong, "\n".join(wrong)


def test_the_corpus_is_large_varied_and_covers_every_message_field():
    assert len(CORPUS) >= 60
    fields = {entry["field"] for entry in CORPUS}
    assert fields == set(LIST_MESSAGE_FIELDS) | set(OPT_IN_MESSAGE_FIELDS)
    compliant = [e for e in CORPUS if not e["expect"]]
    assert 15 <= len(compliant) <= len(CORPUS) - 30
    assert {"reference", "carrier", "vonage", "ctia", "field"} <= {e["source"] for e in CORPUS}
    expected_rules = {rule for e in CORPUS for rule in e["expect"]}
    from tatango_iac.compliance.catalogue import CATALOGUE, Rule

    message_rules = {r.value for r in CATALOGUE if not r.value.startswith("keyword-")}
    assert expected_rules == message_rules, message_rules - expected_rules  # every message rule is exercised
    assert Rule.BRAND_NAME.value in expected_rules


def corpus_figures() -> str:
    compliant = sum(1 for e in CORPUS if not e["expect"])
    findings = sum(len(e["expect"]) for e in CORPUS)
    fields = len({e["field"] for e in CORPUS})
    return (
        f"{len(CORPUS)} messages in {fields} message fields: {compliant} compliant, {len(CORPUS) - compliant} "
        f"with {findings} expected findings"
    )


def test_the_readme_states_the_corpus_figures():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"The corpus: {corpus_figures()}." in readme, corpus_figures()


def test_the_corpus_is_in_the_repository_not_read_from_shared():
    assert Path(FIXTURES / "compliance_corpus.yaml").is_file()
