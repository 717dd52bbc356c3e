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
