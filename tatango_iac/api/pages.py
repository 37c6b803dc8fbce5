"""Strict pagination (§10, §13): every item of an index, or an error; never a shorter account.

The data decides, not the envelope: a server that puts fewer items on a page than
``per_page`` asked for (a cap it does not report, or ``pages_count`` computed for the
size we asked) is paged on until the distinct items add up to ``count``. Only what is
truly inconsistent is refused: more distinct items than ``count``, or a page that
brings nothing new while items are still missing.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from tatango_iac.api.coerce import ShapeError, as_int
from tatango_iac.api.errors import AnswerError

PER_PAGE = 1000
MAX_PAGES = 100_000
Request = Callable[..., dict[str, Any]]


def _envelope(payload: dict[str, Any], path: str) -> tuple[int, Optional[int]]:
    try:
        pages = as_int(payload["pages_count"], "pages_count") if payload.get("pages_count") is not None else 1
        count = as_int(payload["count"], "count") if payload.get("count") is not None else None
    except ShapeError as exc:
        raise AnswerError(str(exc), status=200, method="GET", path=path) from None
    if pages > MAX_PAGES or (count is not None and count > MAX_PAGES * PER_PAGE):
        raise AnswerError(
            f"pages_count {pages} / count {count} is beyond any real account", status=200, method="GET", path=path
        )
    return pages, count


def _more(page: int, pages: int, count: Optional[int], held: int) -> bool:
    """Another page to read: pages_count says so, or count says items are still missing."""
    return page <= pages or (count is not None and held < count)


def read_all_pages(request: Request, path: str, key: str) -> list[dict[str, Any]]:
    """Follow pages_count and count, de-duplicate ids across pages, and check the items add up to count."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    page, pages, count, read = 1, 1, None, 0
    while _more(page, pages, count, len(items)):
        if page > MAX_PAGES:
            raise AnswerError(
                f"more than {MAX_PAGES} pages: refusing to read further", status=200, method="GET", path=path
            )
        payload = request("GET", path, params={"per_page": PER_PAGE, **({"page": page} if page > 1 else {})})
        read = page
        if not isinstance(payload.get(key), list):
            raise AnswerError(
                f"the answer has no '{key}' list (keys: {', '.join(sorted(payload)) or 'none'})",
                status=200,
                method="GET",
                path=path,
            )
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
        if page > 1 and fresh == 0 and (count is None or len(items) < count):
            if count is None:
                raise AnswerError(
                    f"GET {path} (page {page}): page {page} of {pages} brought no new item; the index does not add up",
                    status=200,
                    method="GET",
                    path=path,
                )
            break  # the pages hold no more: the check below names what is missing
        page += 1
    if count is not None and len(items) != count:
        raise AnswerError(
            f"the index does not add up: count says {count}, its {read} page(s) held "
            f"{len(items)} distinct item(s); refusing to work from a partial account (try again)",
            status=200,
            method="GET",
            path=path,
        )
    return items
