"""Lists paged by keyset (inclusion.pagination), walked by their links as a user clicks them.

Each list gets rows whose sort keys tie (three values over thirteen rows, made in an order
unrelated to it), another partner's rows interleaved with them, and a page size of five. Then:
walking forward and back visits every row once and in order; a row added while paging moves
nothing on later pages; a bad cursor shows the first page and changes nothing; and a cursor
never shows one partner's rows to another.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import Flask

from inclusion.audit.models import AuditEntry
from inclusion.extensions import db
from inclusion.pagination import make_cursor
from inclusion.residents.models import Resident
from inclusion.sms.models import MessageStatus, SmsMessage
from learners.models.referrals import Referral
from tests import factories, paging
from tests.devices.factories import make_loan
from tests.learners.factories import consenting_resident, make_offer, make_referral

SIZE = 5
ROWS = 13
# Made in this order, so ids say nothing of where a row sorts; three values, so keys tie.
TIE_ORDER = [2, 0, 1, 1, 2, 0, 0, 2, 1, 0, 1, 2, 0]
REFUSED = "That page link was incomplete or has expired, so this is the first page."
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
D0 = date(2026, 9, 1)


@dataclass
class Case:
    url: str
    ids: re.Pattern[str]
    viewer: tuple[str, Any]
    # The ids (or markers) the viewer's list should show, in list order, read straight from
    # the database with a plain ORDER BY: the oracle the pages are checked against.
    expected: Callable[[], list[int]]
    add_first: Callable[[], None]  # adds a row that sorts before every other in the list
    other_viewer: tuple[str, Any] | None = None  # someone at the partner owning the others
    others: Callable[[], list[int]] | None = None  # the rows the other viewer's list shows


def _audit(a: Any, b: Any, c: Any) -> Case:
    def entry(partner: Any, marker: int, at: datetime) -> None:
        db.session.add(AuditEntry(action="resident updated", partner_id=partner.id, at=at,
                                  entity_type="resident", entity_id=marker, fields=["phone"],
                                  detail=f"row-{marker}"))

    for n, tie in enumerate(TIE_ORDER):
        entry(a, n, T0 + timedelta(hours=tie))
        entry(b, 100 + n, T0 + timedelta(hours=tie))
    db.session.commit()

    def markers(partner: Any) -> Callable[[], list[int]]:
        return lambda: [int(d[4:]) for d in db.session.scalars(
            sa.select(AuditEntry.detail).where(AuditEntry.partner_id == partner.id,
                                               AuditEntry.detail.like("row-%"))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))]

    def add_first() -> None:
        entry(a, 99, T0 + timedelta(days=1))
        db.session.commit()

    return Case("/audit/", re.compile(r"\(row-(\d+)\)"), ("partner_admin", a), markers(a),
                add_first, ("partner_admin", b), markers(b))


def _messages(a: Any, b: Any, c: Any) -> Case:
    # A system admin's log of everyone's texts, filtered to failed ones: the filter, not a
    # partner, is what must hold across pages.
    def message(n: int, status: MessageStatus) -> None:
        db.session.add(SmsMessage(partner_id=a.id, purpose="test", to="+447700900123",
                                  body=f"row-{n}", status=status))

    for n in range(2 * ROWS):
        message(n, MessageStatus.FAILED if n % 2 else MessageStatus.DELIVERED)
    db.session.commit()

    def expected() -> list[int]:
        return [int(body[4:]) for body in db.session.scalars(
            sa.select(SmsMessage.body).where(SmsMessage.status == MessageStatus.FAILED)
            .order_by(SmsMessage.id.desc()))]

    def add_first() -> None:
        message(99, MessageStatus.FAILED)
        db.session.commit()

    return Case("/sms/messages?status=failed",
                re.compile(r'<td class="govuk-table__cell">row-(\d+)</td>'), ("admin", None),
                expected, add_first)


def _residents(a: Any, b: Any, c: Any) -> Case:
    names = ["Pat Able", "Pat Baker", "Pat Cole"]
    for tie in TIE_ORDER:
        factories.make_resident(a, name=names[tie])
        factories.make_resident(b, name=names[tie])
    db.session.commit()

    def ids(partner: Any) -> Callable[[], list[int]]:
        return lambda: list(db.session.scalars(
            sa.select(Resident.id).where(Resident.partner_id == partner.id)
            .order_by(Resident.name_search, Resident.id)))

    def add_first() -> None:
        factories.make_resident(a, name="Pat Aaron")
        db.session.commit()

    return Case("/residents/?q=pat", re.compile(r'href="/residents/(\d+)"'), ("staff", a),
                ids(a), add_first, ("staff", b), ids(b))


def _referral_lists(a: Any, b: Any, c: Any) -> tuple[Callable[[Any], list[int]],
                                                       Callable[[Any], list[int]],
                                                       Callable[[], None]]:
    """Referrals from a to b's offer and from c to b's offer, sent at tied times."""
    to_b = make_offer(b, title="Basics at B")
    for tie in TIE_ORDER:
        for sender in (a, c):
            make_referral(to_b, consenting_resident(sender), now=T0 + timedelta(hours=tie))
    db.session.commit()

    def ordered(where: Any) -> list[int]:
        return list(db.session.scalars(sa.select(Referral.id).where(where)
                                       .order_by(Referral.sent_at.desc(), Referral.id.desc())))

    def add_first() -> None:
        make_referral(to_b, consenting_resident(a), now=T0 + timedelta(days=1))
        db.session.commit()

    return (lambda partner: ordered(Referral.to_partner_id == partner.id),
            lambda partner: ordered(Referral.from_partner_id == partner.id), add_first)


REFERRAL_LINK = re.compile(r'href="/learners/referrals/(\d+)"')


def _inbox(a: Any, b: Any, c: Any) -> Case:
    received, _, add_first = _referral_lists(a, b, c)
    # Another partner's inbox for the scoping check: c's, to which a also refers.
    to_c = make_offer(c, title="Basics at C")
    for tie in TIE_ORDER:
        make_referral(to_c, consenting_resident(a), now=T0 + timedelta(hours=tie))
    db.session.commit()
    return Case("/learners/referrals", REFERRAL_LINK, ("staff", b), lambda: received(b),
                add_first, ("staff", c), lambda: received(c))


def _sent(a: Any, b: Any, c: Any) -> Case:
    _, sent, add_first = _referral_lists(a, b, c)
    return Case("/learners/referrals/sent", REFERRAL_LINK, ("staff", a), lambda: sent(a),
                add_first, ("staff", c), lambda: sent(c))


def _loans(a: Any, b: Any, c: Any) -> Case:
    from devices.models import Loan, LoanStatus

    theirs, ours = factories.make_resident(b), factories.make_resident(a)
    for tie in TIE_ORDER:
        make_loan(a, ours, due_on=D0 + timedelta(days=tie))
        make_loan(b, theirs, due_on=D0 + timedelta(days=tie))
    db.session.commit()

    def ids(partner: Any) -> Callable[[], list[int]]:
        return lambda: list(db.session.scalars(
            sa.select(Loan.id).where(Loan.partner_id == partner.id,
                                     Loan.status == LoanStatus.OPEN)
            .order_by(Loan.due_on, Loan.id)))

    def add_first() -> None:
        make_loan(a, ours, due_on=D0 - timedelta(days=1))
        db.session.commit()

    return Case("/devices/loans", re.compile(r'href="/devices/loans/(\d+)"'), ("staff", a),
                ids(a), add_first, ("staff", b), ids(b))


CASES: dict[str, Callable[[Any, Any, Any], Case]] = {
    "audit log": _audit, "message log": _messages, "resident search": _residents,
    "referral inbox": _inbox, "referrals sent": _sent, "open loans": _loans,
}
PER_PARTNER = [name for name in CASES if name != "message log"]


@pytest.fixture
def small_pages(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import devices.views.loans
    import inclusion.audit.views
    import inclusion.sms.views

    monkeypatch.setitem(app.config, "PAGE_SIZE", SIZE)
    monkeypatch.setattr(inclusion.audit.views, "PAGE_SIZE", SIZE)
    monkeypatch.setattr(inclusion.sms.views, "MESSAGE_LOG_PAGE_SIZE", SIZE)
    monkeypatch.setattr(devices.views.loans, "PAGE_SIZE", SIZE)
    yield


@pytest.fixture
def build(app: Flask, small_pages: None, partner: Any, other_partner: Any
          ) -> Callable[[str], Case]:
    third = factories.make_partner(name="Third Partner")
    db.session.commit()
    return lambda name: CASES[name](partner, other_partner, third)


def _ids(case: Case, page: str) -> list[int]:
    return [int(n) for n in case.ids.findall(page)]


def _flat(pages: list[list[int]]) -> list[int]:
    return [n for page in pages for n in page]


def _row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
            for t in db.metadata.sorted_tables}


@pytest.mark.parametrize("name", list(CASES))
def test_walking_forward_and_back_visits_every_row_once_in_order(build, client, login_as,
                                                                 name):
    case = build(name)
    login_as(*case.viewer)
    forward, last = paging.walk(client, case.url, case.ids)
    assert len(forward) >= 3, forward
    assert all(len(page) <= SIZE for page in forward)
    assert _flat(forward) == case.expected()
    assert paging.walk_back(client, last, case.ids) == forward


@pytest.mark.parametrize("name", list(CASES))
def test_a_row_added_while_paging_moves_no_row_on_later_pages(build, client, login_as, name):
    case = build(name)
    login_as(*case.viewer)
    expected = case.expected()
    first = paging.get(client, case.url)
    case.add_first()  # with offsets, every later page would start one row too early
    rest, _ = paging.walk(client, paging.links(first)["next"], case.ids)
    assert _ids(case, first) + _flat(rest) == expected


@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_cursor_shows_the_first_page_and_says_so(app, build, client, login_as, name):
    case = build(name)
    login_as(*case.viewer)
    first = paging.get(client, case.url)
    real = paging.links(first)["next"].rsplit("cursor=", 1)[1]
    endpoint = app.url_map.bind("localhost").match(case.url.split("?")[0])[0]
    with app.test_request_context():
        other_list = make_cursor(name="some.other_list", values=[1], after=True, number=2)
        wrong_values = make_cursor(name=endpoint, values=["x", "y", "z", "w", "v"], after=True,
                                   number=2)
        app.config["SECRET_KEY"], key = "an older key", app.config["SECRET_KEY"]
        try:
            old_key = make_cursor(name=endpoint, values=[1], after=True, number=2)
        finally:
            app.config["SECRET_KEY"] = key
    bad = {
        "not a cursor": "page-2", "cut short": real[:-12], "tampered": real[:40] + (
            "A" if real[40] != "A" else "B") + real[41:],
        "another list's": other_list, "wrong values": wrong_values, "an old key's": old_key,
        "not ASCII": "é" * 20, "far too long": "A" * 5000, "empty": "",
    }
    before = _row_counts()
    for label, cursor in bad.items():
        response = client.get(case.url + ("&" if "?" in case.url else "?")
                              + urlencode({"cursor": cursor}))
        assert response.status_code == 200, label
        page = response.get_data(as_text=True)
        assert _ids(case, page) == _ids(case, first), label
        assert (REFUSED in page) == bool(cursor), label
    assert _row_counts() == before


@pytest.mark.parametrize("name", PER_PARTNER)
def test_a_cursor_never_shows_one_partners_rows_to_another(build, client, login_as, name):
    case = build(name)
    assert case.other_viewer is not None and case.others is not None
    login_as(*case.viewer)
    mine = case.expected()
    following = paging.links(paging.get(client, case.url))["next"]
    # Someone at the other partner follows the link (shared, or the same user switching).
    client.post("/sign-out")
    login_as(*case.other_viewer)
    page = paging.get(client, following)
    shown = _ids(case, page)
    assert shown and not set(shown) & set(mine)
    assert set(shown) <= set(case.others())
    rest, _ = paging.walk(client, following, case.ids)
    assert not set(_flat(rest)) & set(mine)
