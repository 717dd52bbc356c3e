"""Issue rate: vouchers a second with 4 concurrent clients on PostgreSQL (target >= 100/s),
checking no code goes to two residents.

    /work/venv/bin/python benchmarks/vouchers_issue.py --database-url postgresql://... [--via http]

--via service (default) calls issue_voucher and commits, as a view does; --via http posts
the issue form through the whole app (sign-in session, CSRF off, templates, redirect).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import time
from typing import Any

from _common import app_on, fresh_app, parser
from sqlalchemy import func, select

from inclusion.extensions import db


def _client(url: str, ids: list[int], partner_id: int, scheme_id: int, cookie: str | None,
            failures: Any) -> None:
    logging.disable(logging.WARNING)
    from inclusion.residents.models import Resident
    from vouchers import services

    app = app_on(url)
    http = app.test_client() if cookie else None
    if http is not None:
        http.set_cookie("session", cookie)
    for rid in ids:
        if http is not None:
            status = http.post(f"/vouchers/issue/{rid}?scheme={scheme_id}",
                               data={"criteria": ["Low income"], "consent": "y"}).status_code
            if status != 302:
                with failures.get_lock():
                    failures.value += 1
            continue
        with app.app_context():
            resident = db.session.get(Resident, rid)
            services.issue_voucher(partner_id=partner_id, resident=resident, scheme_id=scheme_id,
                                   criteria=["Low income"], consent_confirmed=True, user_id=None)
            db.session.commit()
    with app.app_context():
        db.engine.dispose()


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
        db.engine.dispose()

    cookie = None
    if args.via == "http":
        signer = app.test_client()
        signer.post("/sign-in", data={"email": email, "password": factories.PASSWORD})
        cookie = signer.get_cookie("session").value
    slices = [residents[i::args.clients] for i in range(args.clients)]
    # Each client is its own process, as gunicorn workers are: no shared interpreter lock.
    ctx = multiprocessing.get_context("fork")
    failures = ctx.Value("i", 0)
    procs = [ctx.Process(target=_client, args=(args.database_url, ids, partner_id, scheme_id,
                                                cookie, failures))
             for ids in slices]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    with app.app_context():
        vouchers = db.session.scalar(select(func.count()).select_from(Voucher))
        distinct = db.session.scalar(select(func.count(func.distinct(Voucher.code_id))))
        db.session.remove()
        db.engine.dispose()
    rate = vouchers / elapsed
    print(f"vouchers_issue ({args.via}, {args.clients} clients): {vouchers:,} vouchers in "
          f"{elapsed:.2f} s = {rate:,.0f}/s; duplicate codes: {vouchers - distinct}; "
          f"failures: {failures.value} "
          f"(target >= 100/s: {'met' if rate >= 100 and vouchers == distinct else 'NOT met'})")
    print(f"  CPU in the clients: {cpu:.1f} s = {1000 * cpu / max(vouchers, 1):.1f} CPU-ms per "
          f"voucher (PostgreSQL not counted); load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")


if __name__ == "__main__":
    main()
