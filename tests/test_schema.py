import json

import jsonschema

from tatango_iac.config.schema import load_schema
from tests.conftest import ROOT


def _objects(node, path="#"):
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield path, node
        for key, value in node.items():
            yield from _objects(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _objects(value, f"{path}/{i}")


def test_schema_is_valid_draft_2020_12():
    schema = json.loads((ROOT / "schemas" / "tatango.schema.json").read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_packaged_schema_is_the_repository_schema():
    assert load_schema() == json.loads((ROOT / "schemas" / "tatango.schema.json").read_text())


def test_every_object_is_closed_and_every_property_described():
    for path, obj in _objects(load_schema()):
        assert obj.get("additionalProperties") is False, path
        for name, prop in obj.get("properties", {}).items():
            assert prop.get("description"), f"{path}/properties/{name} has no description"


def test_schema_covers_the_contract_keys():
    lst = load_schema()["properties"]["lists"]["items"]["properties"]
    for key in (
        "name",
        "message_yes",
        "message_help",
        "message_stop",
        "message_reply",
        "message_already_subscribed",
        "first_optin_message",
        "second_optin_message",
        "email_digest",
        "email_subscribe",
        "email_unsubscribe",
        "keyword_names",
        "opt_in_type",
        "bypass_opt_in_response",
        "opt_in_requests",
        "custom_fields",
        "webhooks",
        "renamed_from",
        "id",
        "delete",
    ):
        assert key in lst
    request = lst["opt_in_requests"]["items"]
    assert request["properties"]["collected_data"]["enum"] == ["zip_code", "email_address", "first_name", "yes"]
    # null: the reference's own opt-in example answers with it, so an export must be able to write it back.
    assert request["properties"]["success_action"]["enum"] == ["nextrequest", "optinsubscriber", None]
    assert set(request["properties"]) == {
        "collected_data",
        "request_message",
        "retry_message",
        "follow_up",
        "follow_up_hour",
        "no_response_message",
        "success_action",
        "opt_in_message",
        "second_opt_in_message",
    }
    hook = lst["webhooks"]["items"]["properties"]
    assert {"subscribe", "unsubscribe", "message_sent", "reply_received", "cleaned"} <= set(hook)
    field = lst["custom_fields"]["items"]
    assert field["properties"]["max_length"]["minimum"] == 1 and field["properties"]["max_length"]["maximum"] == 9999
    assert "max_length" in field["required"]


def test_readme_configuration_reference_matches_the_schema():
    """The README's reference table is generated from the schema: regenerate it when this fails."""
    from tatango_iac.config.docs import reference_markdown

    readme = (ROOT / "README.md").read_text()
    begin, end = "<!-- BEGIN CONFIG REFERENCE -->", "<!-- END CONFIG REFERENCE -->"
    assert begin in readme and end in readme
    current = readme.split(begin, 1)[1].split(end, 1)[0].strip()
    assert current == reference_markdown().strip(), "run: python -m tatango_iac.config.docs --write"
