"""The overdue list shows the longest overdue first, capped, and says how many there are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from devices.views import loans as loan_views
from inclusion.demo_region import generate
from inclusion.extensions import db
from inclusion.tenancy import Partner


def test_overdue_list_is_capped_and_counts_every_overdue_loan(
        app: Flask, client: FlaskClient, login_as: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    generate(residents=400, seed=3, password_hash="x", today=date.today() - timedelta(days=1))
    partner_id, total = db.session.execute(sa.text(
        "SELECT partner_id, COUNT(*) FROM loan WHERE status = 'open' AND due_on < :today "
        "GROUP BY partner_id ORDER BY COUNT(*) DESC LIMIT 1"), {"today": date.today()}).one()
    assert total > 3
    monkeypatch.setattr(loan_views, "OVERDUE_SHOWN", 3)
    login_as("staff", db.session.get(Partner, partner_id))
    page = client.get("/devices/loans/overdue").get_data(as_text=True)
    assert f"{total} loans are overdue" in page
    assert f"The 3 of {total} overdue the longest" in page
    assert page.count("/devices/loans/") - page.count("/devices/loans/overdue") >= 3
