"""Issue rate: vouchers a second with 4 concurrent clients on PostgreSQL (target >= 100/s),
checking no code goes to two residents.

    /work/venv/bin/python benchmarks/vouchers_issue.py --database-url postgresql://... [--via http]

--via service (default) calls issue_voucher and commits, as a view does; --via http posts
the issue form through the whole app (sign-in session, CSRF off, templates, redirect).
"""

from __future__ import annotations

import logging
import os
import threading
import time

from _common import app_on, fresh_app, parser
from sqlalchemy import func, select

from inclusion.extensions import db


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--via", choices=["service", "http"], default="service")
    args = p.parse_args()
    logging.disable(logging.WARNING)
    total = int(2000 * args.scale)
    fresh_app(args.database_url)
    app = app_on(args.database_url)
    from inclusion.residents.models import ConsentKind
    from tests import factories
    from vouchers import services
    from vouchers.models import SchemeKind, Voucher, VoucherScheme

    with app.app_context():
        partner = factories.make_partner()
        scheme = VoucherScheme(name="Bench SIM", provider="Bench", kind=SchemeKind.SIM_WITH_DATA,
                               gives="20 GB", criteria=["Low income"], validity_days=90)
        db.session.add(scheme)
        db.session.flush()
        batch = services.generate_batch(scheme=scheme, count=total, length=10, prefix="",
                                        reference="bench", expires_on=None, user_id=None)
        services.allocate(batch=batch, partner=partner, quantity=total, user_id=None)
        residents = []
        for _ in range(total):
            r = factories.make_resident(partner)
            factories.give_consent(r, ConsentKind.SMS_CONTACT)
            residents.append(r.id)
        staff = factories.user_with_role("staff", partner=partner)
        db.session.commit()
        partner_id, scheme_id, email = partner.id, scheme.id, staff.email
        db.session.remove()

    cookie = None
    if args.via == "http":
        signer = app.test_client()
        signer.post("/sign-in", data={"email": email, "password": factories.PASSWORD})
        cookie = signer.get_cookie("session").value
    slices = [residents[i::args.clients] for i in range(args.clients)]
    outcomes: list[str] = []
    lock = threading.Lock()

    def client(ids: list[int]) -> None:
        from inclusion.residents.models import Resident

        http = app.test_client() if cookie else None
        if http is not None:
            http.set_cookie("session", cookie)
        for rid in ids:
            if http is not None:
                status = http.post(f"/vouchers/issue/{rid}?scheme={scheme_id}",
                                   data={"criteria": ["Low income"], "consent": "y"}).status_code
                outcome = "ok" if status == 302 else str(status)
            else:
                with app.app_context():
                    resident = db.session.get(Resident, rid)
                    services.issue_voucher(partner_id=partner_id, resident=resident,
                                           scheme_id=scheme_id, criteria=["Low income"],
                                           consent_confirmed=True, user_id=None)
                    db.session.commit()
                    outcome = "ok"
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=client, args=(ids,)) for ids in slices]
    started = time.perf_counter()
    cpu_started = time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    with app.app_context():
        vouchers = db.session.scalar(select(func.count()).select_from(Voucher))
        distinct = db.session.scalar(select(func.count(func.distinct(Voucher.code_id))))
        db.session.remove()
        db.engine.dispose()
    rate = vouchers / elapsed
    print(f"vouchers_issue ({args.via}, {args.clients} clients): {vouchers:,} vouchers in "
          f"{elapsed:.2f} s = {rate:,.0f}/s; duplicate codes: {vouchers - distinct}; "
          f"failures: {sum(1 for o in outcomes if o != 'ok')} "
          f"(target >= 100/s: {'met' if rate >= 100 and vouchers == distinct else 'NOT met'})")
    print(f"  CPU in the app: {cpu:.1f} s = {1000 * cpu / max(vouchers, 1):.1f} CPU-ms per "
          f"voucher (PostgreSQL not counted); load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")


if __name__ == "__main__":
    main()
