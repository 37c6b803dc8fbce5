"""The behaviour profile every sandbox profile derives from: the hooks the handlers and the
state call, each with the friendliest reading of a point the API reference leaves open.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional


class Profile:
    name = "faithful"
    flips = "nothing: every point the reference leaves open gets its friendliest reading"
    tool = "converges"

    # -- answers
    def webhook_out(self, hook: dict[str, Any]) -> dict[str, Any]:
        return dict(hook)

    def respond(self, method: str, status: int, payload: dict[str, Any]) -> tuple[int, Optional[dict[str, Any]]]:
        return status, payload

    def custom_fields_page(self, fields: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        return {"status": "OK", "custom_fields": fields}

    def timestamp(self, instant: datetime) -> str:
        return instant.isoformat()

    # -- writes
    def keywords_after_put(self, current: list[str], sent: list[str]) -> list[str]:
        return sent

    def requests_after_put(self, current: list[dict[str, Any]], sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sent

    def webhook_events_after_put(self, hook: dict[str, Any], attrs: dict[str, Any], events: tuple[str, ...]) -> None:
        for event in events:
            if event in attrs:
                hook[event] = bool(attrs[event])

    def stored_url(self, url: str) -> str:
        return url

    def request_defaults(self, raw: dict[str, Any]) -> dict[str, Any]:
        return raw

    def single_opt_in_defaults(self, record: dict[str, Any], body: dict[str, Any]) -> None:
        pass

    def incoming(self, body: Any) -> Any:
        """A write's body as the application's model sees it."""
        return body

    def soft_deletes_webhooks(self) -> bool:
        return False

    def list_update(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The attributes of a list PUT the application actually assigns."""
        return attrs

    # -- reads
    def page_served(self, per_page: int) -> int:
        """How many items a page holds when ``per_page`` were asked for (the envelope reports per_page)."""
        return per_page

    def index_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """A list as the index shows it (GET /lists/{id} shows it whole)."""
        return item

    def before_write(self, data: dict[str, Any]) -> None:
        """Called with the account before each write commits."""

    def read_view(self, data: dict[str, Any]) -> Optional[dict[str, Any]]:
        """The account a GET sees (None: the current one)."""
        return None

    def put_answer(self, path: str, old: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        """The answer to a PUT, given the account as it was before it (``old``)."""
        return payload
