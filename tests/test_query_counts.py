"""List pages make the same number of SQL queries whatever the list's length (no N+1).

Each page is requested on a small generated region and on one ten times the size, signed in
as someone at the partner with the most rows for that page; the query counts must match.
SHOW_QUERIES=/path,/other prints the statements of those pages (run with -s) to find the culprit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from inclusion.demo_region import generate
from inclusion.extensions import db
from inclusion.tenancy import Membership, Partner, PartnerRole
from tests.conftest import _empty_tables

TODAY = date(2026, 6, 1)

# (role, path, SQL naming the partner with the most rows for the page, rows it must show)
BUSIEST_RESIDENTS = "SELECT partner_id, COUNT(*) FROM resident GROUP BY partner_id"
# Partners holding codes (pages show stock, thresholds and schemes only when there are codes).
STOCK = ("SELECT partner_id, COUNT(*) FROM voucher WHERE partner_id IN (SELECT partner_id "
         "FROM voucher_code WHERE status = 'available') GROUP BY partner_id")
PAGES: tuple[tuple[str, str, str], ...] = (
    ("staff", "/residents/?q=a", BUSIEST_RESIDENTS),
    ("staff", "/residents/?q=B", BUSIEST_RESIDENTS),
    ("staff", "/", STOCK),
    ("staff", "/devices/", "SELECT partner_id, COUNT(*) FROM device GROUP BY partner_id"),
    ("staff", "/devices/stock", "SELECT partner_id, COUNT(*) FROM device GROUP BY partner_id"),
    ("staff", "/devices/loans", "SELECT partner_id, COUNT(*) FROM loan GROUP BY partner_id"),
    ("staff", "/devices/loans/overdue",
     "SELECT partner_id, COUNT(*) FROM loan WHERE status = 'open' GROUP BY partner_id"),
    ("staff", "/vouchers/", STOCK),
    ("staff", "/vouchers/follow-ups",
     "SELECT partner_id, COUNT(*) FROM voucher GROUP BY partner_id"),
    ("staff", "/learners/referrals",
     "SELECT to_partner_id, COUNT(*) FROM referral WHERE status = 'sent' "
     "GROUP BY to_partner_id"),
    ("staff", "/learners/referrals/sent",
     "SELECT from_partner_id, COUNT(*) FROM referral GROUP BY from_partner_id"),
    ("staff", "/learners/offers", BUSIEST_RESIDENTS),
    ("staff", "/learners/fund",
     "SELECT partner_id, COUNT(*) FROM fund_enrolment GROUP BY partner_id"),
    ("partner_admin", "/audit/?scope=partner",
     "SELECT partner_id, COUNT(*) FROM audit_entry GROUP BY partner_id"),
    ("admin", "/audit/", "SELECT id, 1 FROM partner"),
    ("admin", "/sms/messages",
     "SELECT partner_id, COUNT(*) FROM sms_message GROUP BY partner_id"),
    ("admin", "/partners/", "SELECT id, 1 FROM partner"),
    ("lead", "/outcomes/", "SELECT id, 1 FROM partner"),
    ("admin", "/partners/users", "SELECT id, 1 FROM partner"),
)


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _busiest(sql: str) -> tuple[int, int]:
    rows = [r for r in db.session.execute(sa.text(sql)).all() if r[0] is not None]
    partner_id, rows_count = max(rows, key=lambda r: (r[1], -r[0]))
    return partner_id, rows_count


def _measure(app: Flask, client: FlaskClient, login_as: Callable[..., Any], residents: int
             ) -> dict[str, tuple[int, int]]:
    db.session.remove()
    _empty_tables(app)
    generate(residents=residents, seed=5, password_hash="x", today=TODAY)
    out = {}
    for role, path, sql in PAGES:
        partner_id, rows = _busiest(sql)
        login_as(role, None if role in ("admin", "lead") else db.session.get(Partner, partner_id))
        client.get(path)  # warm: first-request work (templates, caches) is not counted
        # The test holds one app context (one session) open: empty it, or rows the warm-up
        # loaded would hide lazy loads from the counted request.
        db.session.remove()
        with counting(app) as statements:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        out[path] = (len(statements), rows)
        if os.environ.get('SHOW_QUERIES') and path in os.environ['SHOW_QUERIES'].split(','):
            print(path, residents, *[' '.join(q.split())[:150] for q in statements], sep='\n  ')
    return out


def test_list_pages_make_as_many_queries_for_many_rows_as_for_few(
        app: Flask, client: FlaskClient, login_as: Callable[..., Any],
        request: pytest.FixtureRequest) -> None:
    few = _measure(app, client, login_as, 250)
    many = _measure(app, client, login_as, 2500)
    grew = {path: (few[path], many[path]) for path in few if many[path][0] > few[path][0]}
    assert not grew, f"queries grew with rows (queries, rows): {grew}"
    # The big region really had longer lists.
    assert sum(m[1] for m in many.values()) > 4 * sum(f[1] for f in few.values())


def test_a_signed_in_page_reads_the_session_user_and_memberships_in_one_statement(
        app: Flask, client: FlaskClient, login_as: Callable[..., Any]) -> None:
    from tests import factories

    user = login_as("staff")
    # A second partner: the memberships come as a list, still in the same statement.
    other = factories.make_partner(name="Second Partner")
    db.session.add(Membership(user=user, partner=other, role=PartnerRole.STAFF))
    db.session.commit()
    name = user.name
    client.get("/accessibility")
    db.session.remove()
    with counting(app) as statements:
        response = client.get("/accessibility")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert name in page and "Switch partner" in page
    assert len(statements) == 1, statements


def test_viewing_a_resident_audits_it_without_loading_the_signed_in_user_again(
        app: Flask, client: FlaskClient, login_as: Callable[..., Any]) -> None:
    from inclusion.audit.models import AuditEntry
    from tests import factories

    user = login_as("staff")
    partner = user.memberships[0].partner
    resident = factories.make_resident(partner)
    db.session.commit()
    resident_id, user_id = resident.id, user.id
    db.session.remove()
    with counting(app) as statements:
        response = client.get(f"/residents/{resident_id}")
    assert response.status_code == 200
    # Memberships are read once, with the session; the audit commit does not expire and reload
    # them (nor the user, nor the resident).
    assert sum("membership" in s for s in statements) == 1, statements
    assert sum(s.lstrip().startswith("SELECT resident.") for s in statements) == 1, statements
    viewed = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "resident viewed", AuditEntry.entity_id == resident_id)).all()
    assert [entry.user_id for entry in viewed] == [user_id]
