"""API handlers: turn a parsed request into the documented response body."""

from __future__ import annotations

import math
from typing import Any

from tatango_iac.sandbox.state import SandboxError, State

Response = tuple[int, dict[str, Any]]


def render_list(record: dict[str, Any]) -> dict[str, Any]:
    """The documented list shape: internal settings (prefixed _) stay inside."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def paginate(items: list[dict[str, Any]], query: dict[str, str], key: str, served: Any = None) -> Response:
    """``served`` (a profile's page_served): how many items a page really holds for the per_page asked."""
    try:
        per_page = int(query.get("per_page", 10))
        page = int(query.get("page", 1))
    except ValueError:
        raise SandboxError(400, "page and per_page must be integers") from None
    per_page = max(1, min(per_page, 1000))
    page = max(1, page)
    size = served(per_page) if served else per_page
    start = (page - 1) * size
    return 200, {
        "status": "OK",
        "per_page": per_page,
        "count": len(items),
        "page": page,
        "pages_count": math.ceil(len(items) / per_page),
        key: items[start : start + size],
    }


def _object(body: Any, key: str) -> dict[str, Any]:
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, dict):
        raise SandboxError(422, f"param is missing or the value is empty: {key}")
    return value


def me(state: State, params, body, query) -> Response:
    return 200, {"status": "OK", "account": dict(state.data["account"])}


def shortcodes(state: State, params, body, query) -> Response:
    return 200, {"status": "OK", "shortcodes": list(state.data["shortcodes"])}


def test_keyword(state: State, params, body, query) -> Response:
    if params["code"] not in state.data["shortcodes"]:
        raise SandboxError(404, "Shortcode not found")
    keyword = body.get("keyword_name") if isinstance(body, dict) else None
    if not isinstance(keyword, str) or not keyword:
        raise SandboxError(422, "keyword_name is required")
    if state.keyword_available(keyword):
        return 200, {"status": "OK", "keyword_name": "available"}
    return 200, {"status": "OK", "keyword_name": "unavailable", "error": "Name is in use"}


def list_lists(state: State, params, body, query) -> Response:
    return paginate(
        [state.profile.index_item(render_list(r)) for r in state.all_lists()], query, "lists", state.profile.page_served
    )


def get_list(state: State, params, body, query) -> Response:
    return 200, {"status": "OK", "list": render_list(state.get_list(int(params["id"])))}


def create_list(state: State, params, body, query) -> Response:
    attrs = _object(body, "list")
    record = state.create_list(attrs, attrs.get("keyword_names"))
    return 200, {"status": "List created", "list": render_list(record)}


def update_list(state: State, params, body, query) -> Response:
    record = state.update_list(int(params["id"]), _object(body, "list"))
    return 200, {"status": "OK", "list": render_list(record)}


def delete_list(state: State, params, body, query) -> Response:
    state.delete_list(int(params["id"]))
    return 200, {"status": "List Destroyed"}


def set_keywords(state: State, params, body, query) -> Response:
    names = body.get("keyword_names") if isinstance(body, dict) else None
    return 200, {"status": "Keywords changed", "keyword_names": state.set_keywords(int(params["id"]), names)}


def set_opt_in(state: State, params, body, query) -> Response:
    record = state.set_opt_in(int(params["id"]), body if isinstance(body, dict) else {})
    payload = {
        "status": "Opt in settings updated",
        "opt_in_type": record["opt_in_type"],
        "opt_in_requests": record["opt_in_requests"],
    }
    if record["opt_in_type"] == "single":
        payload["first_optin_message"] = record["first_optin_message"]
        payload["second_optin_message"] = record["second_optin_message"]
    return 200, payload


def list_custom_fields(state: State, params, body, query) -> Response:
    fields = [
        {
            k: f[k]
            for k in (
                "key",
                "pattern",
                "max_length",
                "default_value",
                "label",
                "content_type",
                "should_validate_regex_via_api",
            )
        }
        for f in state.custom_fields(int(params["id"]))
    ]
    return 200, state.profile.custom_fields_page(fields, query)


def create_custom_field(state: State, params, body, query) -> Response:
    record = state.create_custom_field(int(params["id"]), _object(body, "custom_field"))
    return 200, {"status": "OK", "custom_field": dict(record)}


def delete_custom_field(state: State, params, body, query) -> Response:
    key = body.get("key") if isinstance(body, dict) else None
    state.delete_custom_field(int(params["id"]), key)
    return 200, {"status": "Custom field successfully deleted"}


def list_webhooks(state: State, params, body, query) -> Response:
    return paginate(
        [state.profile.webhook_out(h) for h in state.webhooks(int(params["id"]))],
        query,
        "webhooks",
        state.profile.page_served,
    )


def get_webhook(state: State, params, body, query) -> Response:
    return 200, {
        "status": "OK",
        "webhook": state.profile.webhook_out(state.get_webhook(int(params["id"]), int(params["wid"]))),
    }


def create_webhook(state: State, params, body, query) -> Response:
    hook = state.create_webhook(int(params["id"]), _object(body, "webhook"))
    return 200, {"status": "Webhook created", "webhook": state.profile.webhook_out(hook)}


def update_webhook(state: State, params, body, query) -> Response:
    hook = state.update_webhook(int(params["id"]), int(params["wid"]), _object(body, "webhook"))
    return 200, {"status": "Webhook updated", "webhook": state.profile.webhook_out(hook)}


def delete_webhook(state: State, params, body, query) -> Response:
    state.delete_webhook(int(params["id"]), int(params["wid"]))
    return 200, {"status": "Webhook destroyed"}


def add_subscriber(state: State, params, body, query) -> Response:
    subscriber = state.add_subscriber(int(params["id"]), _object(body, "subscriber"))
    return 200, {
        "status": "Subscriber has been added - no opt-in message was sent due to list settings.",
        "subscriber": subscriber,
    }
