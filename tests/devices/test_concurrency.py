"""One open loan per device, under 50 simultaneous requests on PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from devices.models import AgreementKind, Device, DeviceStatus, Loan
from inclusion.extensions import db
from tests.devices.factories import make_device

ATTEMPTS = 50


@pytest.mark.postgres_only
def test_fifty_simultaneous_loans_of_one_device_make_exactly_one(app, client, staff, partner,
                                                                 resident, agreements):
    device = make_device(partner)
    db.session.commit()
    # Plain values: the worker threads have no app context to load attributes in.
    tag, device_id, resident_id = device.asset_tag, device.id, resident.id
    loan_agreement = str(agreements[AgreementKind.LOAN].id)
    gift_agreement = str(agreements[AgreementKind.GIFT].id)
    cookie = client.get_cookie("session")
    assert cookie is not None
    due = date.today() + timedelta(weeks=4)
    barrier = threading.Barrier(ATTEMPTS)

    def attempt(n: int) -> tuple[int, dict | None, str | None]:
        worker = app.test_client()
        worker.set_cookie("session", cookie.value, domain=cookie.domain)
        barrier.wait(timeout=30)
        try:
            response = worker.post(
                f"/devices/lend/{resident_id}",
                headers={"Accept": "application/json"},
                data={
                    "asset_tag": tag, "kind": "loan",
                    "due_on": [str(due.day), str(due.month), str(due.year)],
                    "condition_out": "Good",
                    "agreement_id": loan_agreement,
                    "gift_agreement_id": gift_agreement,
                    "agreement_accepted": "y", "request_token": f"attempt-{n}",
                },
            )
        except Exception as exc:  # noqa: BLE001 - a server error is what this test looks for
            return 500, None, repr(exc)
        return response.status_code, response.get_json(silent=True), None

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        results = list(pool.map(attempt, range(ATTEMPTS)))

    errors = [r for r in results if r[2] or r[0] >= 500]
    assert errors == []
    statuses = sorted(r[0] for r in results)
    assert statuses.count(201) == 1
    assert statuses.count(409) == ATTEMPTS - 1
    assert all("already on loan" in r[1]["message"] for r in results if r[0] == 409)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Loan)) == 1
    assert db.session.get(Device, device_id).status is DeviceStatus.ON_LOAN
