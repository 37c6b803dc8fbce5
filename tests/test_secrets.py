import copy

import pytest

from tatango_iac.secrets import MASK, Templated, display, mask_url, scrub


@pytest.mark.parametrize(
    "url, shown",
    [
        ("https://h.example/x?token=abc&ref=tatango", "https://h.example/x?token=****&ref=tatango"),
        (
            "https://h.example/x?api_key=1&Signature=2&sig=3&auth=4&password=5&client_secret=6&page=2",
            "https://h.example/x?api_key=****&Signature=****&sig=****&auth=****&password=****&client_secret=****&page=2",
        ),
        ("https://user:pa55@h.example/x", "https://user:****@h.example/x"),
        (
            "https://hooks.slack.example/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXX1234",
            "https://hooks.slack.example/services/T0000/B0000/****",
        ),
        ("https://h.example/x?token=${HOOK_TOKEN}", "https://h.example/x?token=${HOOK_TOKEN}"),
        ("https://h.example/plain/path", "https://h.example/plain/path"),
    ],
)
def test_mask_url(url, shown):
    assert mask_url(url) == shown


def test_templated_values_show_their_template_everywhere():
    value = Templated("https://h.example/x?token=s3cret-value", "https://h.example/x?token=${T}")
    assert value == "https://h.example/x?token=s3cret-value"
    assert "s3cret" not in repr(value) and "s3cret" not in repr([value])
    assert display({"callback_url": value, "nested": [{"m": Templated("hi s3cret", "hi ${X}")}]}) == {
        "callback_url": "https://h.example/x?token=${T}",
        "nested": [{"m": "hi ${X}"}],
    }
    copied = copy.deepcopy(value)
    assert isinstance(copied, Templated) and copied.template == value.template


def test_scrub_removes_the_key_from_free_text():
    assert scrub("bad key abcd1234 here", "abcd1234") == f"bad key {MASK} here"
    assert scrub("text", None, "") == "text"


def test_redaction_masks_registered_secrets_and_urls_in_free_text_in_linear_time():
    from tatango_iac.secrets import Redactor

    redactor = Redactor()
    redactor.register_url("https://hooks.example/services/T0/B0/abcdEFGH12345678zz?token=short-but-secret")
    redactor.register("pa ss phrase with spaces", "tiny")  # too short values are left to display()
    text = (
        "error: token short-but-secret refused; path abcdEFGH12345678zz; pa ss phrase with spaces; tiny; "
        "see https://x.example/a?sig=zzz and Authorization: Basic c2FuZGJveDprZXk="
    )
    assert redactor.redact(text) == (
        "error: token **** refused; path ****; ****; tiny; see "
        "https://x.example/a?sig=**** and Authorization: Basic ****"
    )
    assert redactor.redact("x" * 1_000_000 + " short-but-secret").endswith(" ****")


def test_a_secret_in_another_letter_case_is_still_masked():
    """An API may keep or echo a token upper- or lower-cased: it is the same secret, and must not print."""
    from tatango_iac.secrets import Redactor

    redactor = Redactor()
    redactor.register("Tok3nOfTheHook", "pass phrase/with slash")
    text = 'held "TOK3NOFTHEHOOK" and tok3nofthehook; body PASS PHRASE/WITH SLASH; PASS%20PHRASE%2FWITH%20SLASH'
    redacted = redactor.redact(text)
    assert redacted == f'held "{MASK}" and {MASK}; body {MASK}; {MASK}'
    assert scrub("key ABCD1234 refused", "abcd1234") == f"key {MASK} refused"
    assert redactor.redact("ordinary words stay") == "ordinary words stay"
