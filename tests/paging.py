"""Following the newer/older (previous/next) links of a list page, as a user clicks them."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient

_LINK = re.compile(r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="(prev|next)"')


def links(page: str) -> dict[str, str]:
    """The page's pagination links by rel ("prev", "next"), as URLs to request."""
    return {rel: html.unescape(href) for href, rel in _LINK.findall(page)}


def get(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def walk(client: FlaskClient, url: str, ids: re.Pattern[str]) -> tuple[list[list[int]], str]:
    """Every page from `url` on by its "next" links: the ids `ids` finds on each page in order,
    and the last page's HTML (to walk back from)."""
    pages: list[list[int]] = []
    page = get(client, url)
    while True:
        pages.append([int(n) for n in ids.findall(page)])
        following = links(page).get("next")
        if following is None:
            return pages, page
        assert len(pages) < 1000, "the next links go round in a circle"
        page = get(client, following)


def walk_back(client: FlaskClient, last_page: str, ids: re.Pattern[str]) -> list[list[int]]:
    """From a page back to the first by its "prev" links: each page's ids, first page first."""
    pages = [[int(n) for n in ids.findall(last_page)]]
    page = last_page
    while (previous := links(page).get("prev")) is not None:
        assert len(pages) < 1000, "the previous links go round in a circle"
        page = get(client, previous)
        pages.append([int(n) for n in ids.findall(page)])
    return list(reversed(pages))
