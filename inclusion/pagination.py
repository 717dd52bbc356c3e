"""Keyset (seek) pagination: a page is "the rows after this one", so page 4,000 costs page 1.

An offset makes the database read and throw away every row before the page; a keyset page
starts from the sort-key values of the row before it, which an index finds directly, and rows
added or removed meanwhile never shift a later page (nothing is skipped or shown twice).

The link to the next or previous page carries a cursor: those values, the list's name and the
page's number, encrypted and authenticated with a key derived from SECRET_KEY. Encrypted
because the values can be personal data (a resident's name) and URLs end up in logs and browser
history; authenticated so a cursor that was not made here is refused, not trusted. A refused
cursor (tampered, cut short, from another list, or from before SECRET_KEY changed) shows the
first page and says so. Scoping is never in the cursor: the caller's query keeps its partner
filter, and the cursor only adds "beyond these values" to it.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, request
from sqlalchemy import Select, literal, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeDecorator

from inclusion.extensions import db

CURSOR_ARG = "cursor"
# A cursor is about 200 characters; one holding a 200-character name in a script of 4-byte
# characters about 1,200. Anything far longer is not ours and is not decrypted.
MAX_CURSOR_LENGTH = 4000
MAX_PAGE_NUMBER = 10**9


@dataclass(frozen=True)
class KeysetPage:
    """One page of a list, and the links to the pages either side of it (None at an end)."""

    items: list[Any]
    number: int
    previous_url: str | None
    next_url: str | None
    # A cursor was given but refused: this is the first page instead (the template says so).
    refused: bool = False

    @property
    def has_previous(self) -> bool:
        return self.previous_url is not None

    @property
    def has_next(self) -> bool:
        return self.next_url is not None


@dataclass(frozen=True)
class _Position:
    values: tuple[Any, ...]
    after: bool  # True: the rows that follow `values` in list order; False: those before them
    number: int  # the number of the page this cursor leads to


def _fernet() -> Fernet:
    digest = hashlib.sha256(
        b"inclusion keyset cursor v1:" + str(current_app.config["SECRET_KEY"]).encode()
    ).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _python_type(column: InstrumentedAttribute[Any]) -> type:
    """The Python type of a sort key's values (through a TypeDecorator to what it stores)."""
    sql_type = column.expression.type
    while isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    try:
        kind = sql_type.python_type
    except NotImplementedError:
        kind = object
    if not (kind in (int, str, date, datetime) or issubclass(kind, enum.Enum)):
        raise ValueError(f"{column} cannot be a sort key in a cursor ({kind.__name__})")
    return kind


def _encode_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _decode_value(raw: Any, kind: type) -> Any:
    """The sort-key value `raw` read back as `kind`; ValueError when it is not one."""
    if issubclass(kind, enum.Enum):
        return kind(raw)
    if kind is datetime:
        value = datetime.fromisoformat(raw) if isinstance(raw, str) else None
        # Timestamps are stored timezone-aware: a naive one would fail when bound.
        if value is None or value.tzinfo is None:
            raise ValueError("not a timezone-aware timestamp")
        return value
    if kind is date:
        if not isinstance(raw, str):
            raise ValueError("not a date")
        return date.fromisoformat(raw)
    if kind is int:
        if type(raw) is not int:
            raise ValueError("not a whole number")
        return raw
    if not isinstance(raw, kind):
        raise ValueError(f"not a {kind.__name__}")
    return raw


def make_cursor(*, name: str, values: Sequence[Any], after: bool, number: int) -> str:
    """A URL-safe cursor leading to page `number` of list `name`, beyond the row `values`."""
    payload = json.dumps(
        {"l": name, "a": after, "n": number, "k": [_encode_value(v) for v in values]},
        separators=(",", ":"), ensure_ascii=False,
    )
    return _fernet().encrypt(payload.encode()).decode("ascii")


def _read_cursor(cursor: str, *, name: str, columns: Sequence[InstrumentedAttribute[Any]]
                 ) -> _Position | None:
    """The position a cursor names, or None when it is not a valid cursor for this list."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        return None
    try:
        payload = json.loads(_fernet().decrypt(cursor.encode("ascii")))
        if not isinstance(payload, dict) or payload.get("l") != name:
            return None
        after, number, raw = payload["a"], payload["n"], payload["k"]
        if (not isinstance(after, bool) or type(number) is not int
                or not 1 <= number <= MAX_PAGE_NUMBER
                or not isinstance(raw, list) or len(raw) != len(columns)):
            return None
        values = tuple(_decode_value(v, _python_type(c)) for v, c in zip(raw, columns,
                                                                         strict=True))
    except (InvalidToken, UnicodeError, binascii.Error, ValueError, TypeError, KeyError):
        return None
    return _Position(values=values, after=after, number=number)


def _check_columns(columns: Sequence[InstrumentedAttribute[Any]]) -> None:
    if not columns:
        raise ValueError("keyset pagination needs at least one ordering column")
    last = columns[-1].expression
    if not getattr(last, "primary_key", False):
        # Without a unique last key, rows that tie on every key could be skipped or repeated.
        raise ValueError("the last ordering column must be the primary key (a tie-breaker)")
    for column in columns:
        _python_type(column)


def paginate(query: Select[Any], columns: Sequence[InstrumentedAttribute[Any]], *,
             descending: bool, cursor: str | None, size: int, name: str,
             url: Any = None, narrow: bool = False) -> KeysetPage:
    """One page of `query` (a select of one ORM entity), ordered by `columns`.

    `columns` are the sort keys, all in one direction (`descending` or not), the last being the
    primary key so that no two rows tie; sort keys must not be null. The query's own ordering
    is replaced. `cursor` comes from the URL (None for the first page); `name` names the list,
    so a cursor from one list is refused by another. `url(cursor)` builds a page's link
    (default: this request's URL, filters kept, with the cursor replaced).

    A cursor that is not valid gives the first page with `refused` set; it never raises.

    With `narrow`, each page reads its rows' ids first (the same query, selecting only the
    primary key), then those rows by id. For a filter that an index on the sort keys can check
    by itself, the database can then walk that index in order and stop at the page's end,
    rather than gather every match from other indexes and sort them (resident search at a
    partner with thousands of residents: 1 ms instead of 8 on PostgreSQL). The rows are loaded
    without the query's loader options, so use it for a select of one entity that has none.
    """
    _check_columns(columns)

    def fetch(statement: Select[Any], limit: int) -> list[Any]:
        if not narrow:
            return list(db.session.scalars(statement.limit(limit)))
        key = columns[-1]
        ids = list(db.session.scalars(statement.with_only_columns(key).limit(limit)))
        if not ids:
            return []
        entity = query.column_descriptions[0]["entity"]
        found = {getattr(row, key.key): row
                 for row in db.session.scalars(select(entity).where(key.in_(ids)))}
        # In the page's order; a row removed between the two reads is left out.
        return [found[i] for i in ids if i in found]

    link = url or _link_to
    position = _read_cursor(cursor, name=name, columns=columns) if cursor else None
    refused = bool(cursor) and position is None
    keys = tuple_(*(c.expression for c in columns))
    base = query.order_by(None)

    if position is not None and not position.after:
        # The rows just before the boundary, read backwards from it, then put back in order.
        rows = fetch(base.where(keys > _bounds(position, columns) if descending
                                else keys < _bounds(position, columns))
                     .order_by(*(c.asc() if descending else c.desc() for c in columns)),
                     size + 1)
        has_previous = len(rows) > size
        items = list(reversed(rows[:size]))
        if has_previous or len(items) == size:
            return _page(items, number=max(2, position.number) if has_previous else 1,
                         has_previous=has_previous, has_next=True, name=name,
                         columns=columns, link=link)
        # Back at the start with a short page (rows were removed): a full first page instead.
        position = None

    forward = base.order_by(*(c.desc() if descending else c.asc() for c in columns))
    if position is not None:
        rows = fetch(forward.where(keys < _bounds(position, columns) if descending
                                   else keys > _bounds(position, columns)), size + 1)
        if rows:
            return _page(rows[:size], number=position.number, has_previous=True,
                         has_next=len(rows) > size, name=name, columns=columns, link=link)
        # Nothing beyond the boundary any more (rows were removed): the first page instead.
    rows = fetch(forward, size + 1)
    return _page(rows[:size], number=1, has_previous=False, has_next=len(rows) > size,
                 name=name, columns=columns, link=link, refused=refused)


def _bounds(position: _Position, columns: Sequence[InstrumentedAttribute[Any]]) -> Any:
    # Bound with each column's own type, so a timestamp is compared the way it is stored.
    return tuple_(*(literal(v, type_=c.expression.type)
                    for v, c in zip(position.values, columns, strict=True)))


def _page(items: list[Any], *, number: int, has_previous: bool, has_next: bool, name: str,
          columns: Sequence[InstrumentedAttribute[Any]], link: Any,
          refused: bool = False) -> KeysetPage:
    def values(item: Any) -> list[Any]:
        return [getattr(item, c.key) for c in columns]

    previous_url = next_url = None
    if items and has_previous:
        previous_url = link(make_cursor(name=name, values=values(items[0]), after=False,
                                        number=max(1, number - 1)))
    if items and has_next:
        next_url = link(make_cursor(name=name, values=values(items[-1]), after=True,
                                    number=min(MAX_PAGE_NUMBER, number + 1)))
    return KeysetPage(items=items, number=number, previous_url=previous_url,
                      next_url=next_url, refused=refused)


def _link_to(cursor: str) -> str:
    """This request's address with the cursor replaced: search terms and filters are kept.

    Built from the path rather than url_for, which would read arguments such as `_external`
    or `endpoint` from a crafted address as its own.
    """
    args = [(k, v) for k, v in request.args.items(multi=True) if k != CURSOR_ARG]
    return f"{request.script_root}{request.path}?{urlencode([*args, (CURSOR_ARG, cursor)])}"


def keyset_page(query: Select[Any], columns: Sequence[InstrumentedAttribute[Any]], *,
                descending: bool = False, size: int | None = None,
                name: str | None = None, narrow: bool = False) -> KeysetPage:
    """`paginate` for a list page: the cursor from the URL, the list named after the endpoint,
    PAGE_SIZE rows unless `size` says otherwise."""
    return paginate(
        query, columns, descending=descending, cursor=request.args.get(CURSOR_ARG),
        size=size or int(current_app.config.get("PAGE_SIZE", 25)),
        name=name or request.endpoint or "", narrow=narrow,
    )
