"""The keyset pagination helper's guard against orderings that could skip or repeat rows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inclusion.audit.models import AuditEntry
from inclusion.pagination import paginate


def test_an_ordering_without_the_id_last_is_refused(app):
    # Entries at the same moment would tie on every key: a page could end between them.
    with app.test_request_context(), pytest.raises(ValueError, match="primary key"):
        paginate(select(AuditEntry), (AuditEntry.id, AuditEntry.at), descending=True,
                 cursor=None, size=5, name="audit.log")


def _walk(query, columns, *, narrow):
    """Every page's ids, forward by the next cursors, then back by the previous ones."""
    def read(cursor):
        return paginate(query, columns, descending=False, cursor=cursor, size=5,
                        name="residents.search", url=lambda c: c, narrow=narrow)

    forward = [read(None)]
    while forward[-1].next_url:
        forward.append(read(forward[-1].next_url))
    back = [forward[-1]]
    while back[-1].previous_url:
        back.append(read(back[-1].previous_url))
    return ([[r.id for r in p.items] for p in forward],
            [[r.id for r in p.items] for p in reversed(back)])


def test_reading_ids_first_gives_the_same_pages_with_whole_rows(app, partner):
    from inclusion.extensions import db
    from inclusion.residents.models import Resident
    from tests import factories

    # Thirteen Smiths, four of them with exactly the same name (they tie on the name key).
    for n in range(9):
        factories.make_resident(partner, name=f"Ann Smith {n:02d}")
    for _ in range(4):
        factories.make_resident(partner, name="Bo Smith")
    factories.make_resident(partner, name="Cy Jones")
    db.session.commit()
    query = select(Resident).where(Resident.name_search.contains("smith"))
    columns = (Resident.name_search, Resident.id)
    with app.test_request_context():
        plain = _walk(query, columns, narrow=False)
        narrow = _walk(query, columns, narrow=True)
        forward, back = narrow
        assert narrow == plain and forward == back
        assert [len(p) for p in forward] == [5, 5, 3]
        expected = db.session.scalars(query.with_only_columns(Resident.id)
                                      .order_by(Resident.name_search, Resident.id)).all()
        assert sum(forward, []) == expected
        # Whole rows, not just ids: what the search results show.
        first = paginate(query, columns, descending=False, cursor=None, size=5,
                         name="residents.search", narrow=True, url=lambda c: c).items[0]
        assert first.name == "Ann Smith 00" and first.postcode == "B1 1AA"
        assert first.phone.startswith("+447700900")
