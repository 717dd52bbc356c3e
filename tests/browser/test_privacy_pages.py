"""The privacy pages in a real browser (erasure, subject access, retention): axe finds nothing."""

from __future__ import annotations

import pytest

from inclusion.extensions import db
from inclusion.privacy import services
from inclusion.privacy.models import ErasureReason
from tests import factories
from tests.browser.conftest import check_page, sign_in
from tests.privacy.helpers import resident_with_history

pytestmark = pytest.mark.browser


def test_privacy_pages_have_no_accessibility_violations(page, live_server):
    with live_server.app.app_context():
        partner = factories.make_partner(name="Erdington Advice Centre")
        other = factories.make_partner(name="Kingstanding Library")
        admin = factories.user_with_role("partner_admin", partner=partner)
        target = resident_with_history(partner, name="Ivy Example", phone="+441214960123",
                                       email="ivy@example.net", postcode="B1 1AA")
        gone = resident_with_history(partner, name="Jo Example", phone="+441214960124",
                                     email="jo@example.net", postcode="B1 1AB")
        db.session.flush()
        erasure = services.erase_resident(resident=gone, reason=ErasureReason.RESIDENT_ASKED,
                                          by=admin.id)
        erasure.notify_partner_ids = [other.id]
        sar = services.record_access_request(resident=target,
                                             received_on=target.created_at.date(),
                                             today=target.created_at.date(), by=admin.id)
        system_admin = factories.user_with_role("admin")
        db.session.commit()
        ids = {"target": target.id, "sar": sar.id, "erasure": erasure.id}
        admin_email, system_email = admin.email, system_admin.email
        db.session.remove()

    tab = page.page
    sign_in(page, admin_email)
    check_page(page)
    for path in (f"/privacy/residents/{ids['target']}",
                 f"/privacy/residents/{ids['target']}/erase",
                 f"/privacy/residents/{ids['target']}/subject-access",
                 f"/privacy/requests/{ids['sar']}",
                 f"/privacy/erasures/{ids['erasure']}"):
        tab.goto(path)
        assert tab.locator("h1").count() == 1, path
        check_page(page)

    # The erase form with errors: the error summary and the messages beside the fields.
    tab.goto(f"/privacy/residents/{ids['target']}/erase")
    check_page(page)
    tab.fill("#confirm", "no")
    tab.click("#submit")
    tab.wait_for_load_state("load")
    assert tab.locator(".govuk-error-summary").count() == 1
    check_page(page)

    tab.context.clear_cookies()
    sign_in(page, system_email)
    check_page(page)
    tab.goto("/privacy/retention")
    check_page(page)
    tab.fill("#period_messages", "0")
    tab.click("#submit")
    tab.wait_for_load_state("load")
    assert tab.locator(".govuk-error-summary").count() == 1
    check_page(page)
