"""Listing a repository's tags: ``GET /v2/<name>/tags/list``, page after page.

A registry answers ``{"name": ..., "tags": [...]}`` with at most ``n`` tags
and, when there are more, a ``Link: <...>; rel="next"`` header naming the next
page. Only a next page on the same registry is followed (a link elsewhere
would take the login with it), each page once, and at most :data:`MAX_PAGES`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from .._text import load_json
from ..errors import RegistryError
from ..model import ImageRef
from ._hosts import api_host
from ._transport import Response, status_error

__all__ = ["MAX_PAGES", "PAGE_SIZE", "list_tags", "next_page"]

PAGE_SIZE = 1000
"""Tags asked for per page (``n=``); registries may send fewer."""
MAX_PAGES = 1000
"""Pages followed at most: a million tags, against a registry that links in circles."""

_NEXT = re.compile(r"<([^>]*)>\s*;[^,]*\brel\s*=\s*\"?next\"?", re.IGNORECASE)

Send = Callable[[str, ImageRef, str, Mapping[str, str]], Response]


def next_page(link: str | None, ref: ImageRef) -> str | None:
    """The path and query of the ``rel="next"`` page in a ``Link`` header, or ``None``.

    Raises:
        RegistryError: The next page is on another host, or not under
            ``/v2/<name>/tags/list``.
    """
    if not link:
        return None
    match = _NEXT.search(link)
    if match is None:
        return None
    target = urlsplit(match[1].strip())
    same_host = not target.netloc or target.netloc.lower() in (ref.domain, api_host(ref.domain))
    if not same_host or target.path != f"/v2/{ref.path}/tags/list":
        raise RegistryError(
            f"{ref.domain} pointed the tag list of {ref.familiar_name} at "
            f"{match[1][:80]!r}, which is not its next page."
        )
    return target.path + (f"?{target.query}" if target.query else "")


def list_tags(send: Send, ref: ImageRef, page_size: int = PAGE_SIZE) -> tuple[str, ...]:
    """Every tag of ``ref``'s repository, in the registry's order, each once.

    Raises:
        RateLimitedError: The registry kept answering 429.
        RegistryError: Anything else; the message names the repository.
    """
    what = f"the tag list of {ref.familiar_name}"
    url_path: str | None = f"/v2/{ref.path}/tags/list?n={page_size}"
    seen_pages: set[str] = set()
    tags: dict[str, None] = {}
    while url_path is not None:
        if url_path in seen_pages or len(seen_pages) >= MAX_PAGES:
            raise RegistryError(f"{ref.domain} kept paging {what} past {len(seen_pages)} pages.")
        seen_pages.add(url_path)
        response = send("GET", ref, url_path, {"Accept": "application/json"})
        if response.status != 200:
            raise status_error(response, what)
        tags.update(dict.fromkeys(_page(response.body, ref, what)))
        url_path = next_page(response.headers.get("link"), ref)
    return tuple(tags)


def _page(body: bytes, ref: ImageRef, what: str) -> list[str]:
    try:
        answer = load_json(body)
    except ValueError:
        raise RegistryError(f"{ref.domain} answered {what} with something not JSON.") from None
    found = answer.get("tags") if isinstance(answer, dict) else None
    if found is None and isinstance(answer, dict):
        return []  # a repository without tags answers "tags": null
    if not isinstance(found, list) or not all(isinstance(tag, str) for tag in found):
        raise RegistryError(f"{ref.domain} answered {what} without a list of tags.")
    return found
