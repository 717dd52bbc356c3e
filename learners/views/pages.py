"""Pagination shared by the learners lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, request, url_for
from sqlalchemy import Select

from inclusion.extensions import db


@dataclass
class Page:
    items: list[Any]
    number: int
    has_next: bool

    def url(self, number: int) -> str:
        args: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
        args["page"] = str(number)
        return url_for(request.endpoint or "", **args)


def paginate(query: Select[Any]) -> Page:
    """One page of a query, by the page size setting; asks for one row more to know of a next.

    No total count: on a 300,000-row inbox counting is the slow part and nobody needs it.
    """
    size = int(current_app.config.get("PAGE_SIZE", 25))
    try:
        number = max(1, min(int(request.args.get("page", "1")), 10000))
    except ValueError:
        number = 1
    rows = db.session.scalars(query.limit(size + 1).offset((number - 1) * size)).all()
    return Page(items=list(rows[:size]), number=number, has_next=len(rows) > size)
