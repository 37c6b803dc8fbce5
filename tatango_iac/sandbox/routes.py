"""The route table: (method, path pattern) -> handler. Writes are marked for persistence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional

from tatango_iac.sandbox import handlers as h

API_PREFIX = "/api/v2"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    handler: Callable
    writes: bool


def _route(method: str, path: str, handler: Callable) -> Route:
    regex = re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", path)
    return Route(
        method, re.compile(f"^{API_PREFIX}{regex}/?$"), handler, method != "GET" and handler is not h.test_keyword
    )


ROUTES = [
    _route("GET", "/accounts/me", h.me),
    _route("GET", "/shortcodes", h.shortcodes),
    _route("POST", "/shortcodes/{code}/test_keyword", h.test_keyword),
    _route("GET", "/lists", h.list_lists),
    _route("POST", "/lists", h.create_list),
    _route("GET", "/lists/{id}", h.get_list),
    _route("PUT", "/lists/{id}", h.update_list),
    _route("DELETE", "/lists/{id}", h.delete_list),
    _route("PUT", "/lists/{id}/keywords", h.set_keywords),
    _route("PUT", "/lists/{id}/opt_in_settings", h.set_opt_in),
    _route("GET", "/lists/{id}/custom_fields", h.list_custom_fields),
    _route("POST", "/lists/{id}/custom_fields", h.create_custom_field),
    _route("DELETE", "/lists/{id}/custom_fields", h.delete_custom_field),
    _route("GET", "/lists/{id}/webhooks", h.list_webhooks),
    _route("POST", "/lists/{id}/webhooks", h.create_webhook),
    _route("GET", "/lists/{id}/webhooks/{wid}", h.get_webhook),
    _route("PUT", "/lists/{id}/webhooks/{wid}", h.update_webhook),
    _route("DELETE", "/lists/{id}/webhooks/{wid}", h.delete_webhook),
    _route("POST", "/lists/{id}/subscribers", h.add_subscriber),
]


def match(method: str, path: str) -> tuple[Optional[Route], dict[str, str], bool]:
    """(route, path params, whether the path exists for another method)."""
    path_known = False
    for route in ROUTES:
        found = route.pattern.match(path)
        if found:
            if route.method == method:
                return route, found.groupdict(), True
            path_known = True
    return None, {}, path_known
