"""A browser issues a voucher and sees it delivered (log provider); axe finds no violations."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from inclusion.extensions import db
from inclusion.sms.worker import run_pass
from tests import factories
from tests.conftest import AXE
from tests.vouchers.factories import CRITERIA, stock, texted_resident
from vouchers.models import Voucher


@pytest.fixture
def browser_page(browser):
    """A page in the session's shared Chromium (tests/conftest.py); axe is injected by the
    test, which the page's CSP would (rightly) refuse."""
    context = browser.new_context(bypass_csp=True)
    yield context.new_page()
    context.close()


def _axe_violations(page) -> list[dict]:
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in json.loads(result)["violations"]]


@pytest.mark.browser
def test_issue_a_voucher_in_a_browser_and_see_it_delivered(app, browser_page, partner):
    staff = factories.user_with_role("staff", partner=partner)
    scheme = stock(partner, count=3)
    texted_resident(partner, name="Ada Example")
    db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    page = browser_page
    violations = {}
    try:
        page.goto(f"{base}/sign-in")
        page.fill("input[name=email]", staff.email)
        page.fill("input[name=password]", factories.PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit], input[type=submit]")
        page.goto(f"{base}/vouchers/issue?q=Ada")
        violations["search"] = _axe_violations(page)
        with page.expect_navigation():
            page.click("text=Ada Example")
        violations["choose"] = _axe_violations(page)
        page.check(f"input[value='{scheme.id}']")
        with page.expect_navigation():
            page.click("button:has-text('Continue')")
        page.wait_for_selector("h1")
        violations["issue form"] = _axe_violations(page)
        page.click("button:has-text('Issue voucher')")  # nothing ticked: errors first
        page.wait_for_selector(".govuk-error-summary")
        violations["issue errors"] = _axe_violations(page)
        page.get_by_label(CRITERIA[0]).check()
        page.get_by_label("The resident agrees to receive this voucher code").check()
        page.click("button:has-text('Issue voucher')")
        page.wait_for_selector(".govuk-panel__title")
        violations["issued"] = _axe_violations(page)
        db.session.expire_all()
        voucher = db.session.scalar(select(Voucher))
        assert voucher.code.code in page.content()
        assert "Waiting to send" in page.inner_text("#delivery-status")
        run_pass(app)  # the worker, with the log provider
        page.reload()
        assert "Delivered" in page.inner_text("#delivery-status")
        assert voucher.code.code not in page.content()
        violations["delivered"] = _axe_violations(page)
        page.click("text=The resident's record and timeline")
        page.wait_for_selector("h1:has-text('Ada Example')")
        timeline = page.content()
        assert f"Voucher issued: {scheme.name} (text delivered)" in timeline
        assert "Text message: voucher issued (delivered)" in timeline
        assert voucher.code.code not in timeline
        violations["resident timeline"] = _axe_violations(page)
    finally:
        server.shutdown()
        thread.join(5)
    assert CRITERIA[0] in voucher.criteria
    assert all(not v for v in violations.values()), violations


@pytest.mark.browser
def test_admin_voucher_and_sms_pages_have_no_axe_violations(app, browser_page, partner):
    admin = factories.user_with_role("admin")
    scheme = stock(partner, count=3)
    resident = texted_resident(partner)
    from tests.vouchers.factories import issue

    issue(partner, resident, scheme)
    db.session.commit()
    run_pass(app)
    batch_id = db.session.scalar(select(Voucher).limit(1)).code.batch_id
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    page = browser_page
    violations = {}
    try:
        page.goto(f"{base}/sign-in")
        page.fill("input[name=email]", admin.email)
        page.fill("input[name=password]", factories.PASSWORD)
        page.click("button[type=submit], input[type=submit]")
        for path in ["/vouchers/schemes", f"/vouchers/schemes/{scheme.id}",
                     f"/vouchers/schemes/{scheme.id}/edit", f"/vouchers/schemes/{scheme.id}/import",
                     f"/vouchers/schemes/{scheme.id}/generate", f"/vouchers/batches/{batch_id}",
                     "/vouchers/redemptions", "/sms/messages", "/sms/templates",
                     "/sms/templates/new?purpose=voucher+issued"]:
            page.goto(base + path)
            assert page.title(), path
            violations[path] = _axe_violations(page)
    finally:
        server.shutdown()
        thread.join(5)
    assert all(not v for v in violations.values()), violations
