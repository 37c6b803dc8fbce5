"""Strict pagination (§10): every item of an index, or an error; never a shorter account."""
from __future__ import annotations

from typing import Any, Callable

from tatango_iac.api.coerce import ShapeError, as_int
from tatango_iac.api.errors import AnswerError

PER_PAGE = 1000
MAX_PAGES = 100_000
Request = Callable[..., dict[str, Any]]


def _envelope(payload: dict[str, Any], path: str) -> tuple[int, Any]:
    try:
        pages = as_int(payload["pages_count"], "pages_count") if payload.get("pages_count") is not None else 1
        count = as_int(payload["count"], "count") if payload.get("count") is not None else None
    except ShapeError as exc:
        raise AnswerError(str(exc), status=200, method="GET", path=path) from None
    if pages > MAX_PAGES:
        raise AnswerError(f"pages_count {pages} is beyond any real account", status=200, method="GET", path=path)
    return pages, count


def read_all_pages(request: Request, path: str, key: str) -> list[dict[str, Any]]:
    """Follow pages_count, de-duplicate ids across pages, and check the items add up to count."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    page, pages, count = 1, 1, None
    while page <= pages:
        payload = request("GET", path, params={"per_page": PER_PAGE, **({"page": page} if page > 1 else {})})
        if not isinstance(payload.get(key), list):
            raise AnswerError(f"the answer has no '{key}' list (keys: {', '.join(sorted(payload)) or 'none'})",
                              status=200, method="GET", path=path)
        if page == 1:
            pages, count = _envelope(payload, path)
        fresh = 0
        for item in payload[key]:
            ident = str(item.get("id", id(item)) if isinstance(item, dict) else id(item))
            if ident in seen:
                continue  # the same object on two pages (the index moved under us, or page was ignored)
            seen.add(ident)
            items.append(item)
            fresh += 1
        if page > 1 and fresh == 0:
            raise AnswerError(f"GET {path} (page {page}): page {page} of {pages} brought no new item; the index "
                              "does not add up", status=200, method="GET", path=path)
        page += 1
    if count is not None and len(items) != count:
        raise AnswerError(f"the index does not add up: count says {count}, its {pages} page(s) held {len(items)} "
                          "distinct item(s); refusing to work from a partial account (try again)",
                          status=200, method="GET", path=path)
    return items
