"""Issue rate: vouchers a second with 4 concurrent clients on PostgreSQL (target >= 100/s),
checking no code goes to two residents.

    python benchmarks/vouchers_issue.py --database-url postgresql://... [--via http]

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


TARGET_PER_SECOND = 100.0


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(url: str, *, scale: float = 1.0, clients: int = 4, via: str = "service"
            ) -> dict[str, Any]:
    """Drop and rebuild the database, then time `clients` processes issuing 2,000 x scale
    vouchers between them; the target is 100 a second with no code given twice."""
    total = round(2000 * scale)
    fresh_app(url)
    app = app_on(url)
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
    if via == "http":
        signer = app.test_client()
        signer.post("/sign-in", data={"email": email, "password": factories.PASSWORD})
        cookie = signer.get_cookie("session").value
    slices = [residents[i::clients] for i in range(clients)]
    # Each client is its own process, as gunicorn workers are: no shared interpreter lock.
    ctx = multiprocessing.get_context("fork")
    failures = ctx.Value("i", 0)
    procs = [ctx.Process(target=_client, args=(url, ids, partner_id, scheme_id, cookie,
                                                failures))
             for ids in slices]
    cpu_before = _cpu_of_children()
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    cpu = _cpu_of_children() - cpu_before
    with app.app_context():
        vouchers = db.session.scalar(select(func.count()).select_from(Voucher)) or 0
        distinct = db.session.scalar(select(func.count(func.distinct(Voucher.code_id)))) or 0
        db.session.remove()
        db.engine.dispose()
    rate = vouchers / elapsed
    return {"via": via, "clients": clients, "asked": total, "vouchers": vouchers,
            "duplicate_codes": vouchers - distinct, "failures": failures.value,
            "seconds": elapsed, "per_second": rate, "client_cpu_seconds": cpu,
            "load_average": os.getloadavg()[0], "target": ">= 100 vouchers/s, no duplicates",
            "target_per_second": TARGET_PER_SECOND,
            "met": rate >= TARGET_PER_SECOND and vouchers == distinct}


def describe(result: dict[str, Any]) -> str:
    vouchers, rate, cpu = result["vouchers"], result["per_second"], result["client_cpu_seconds"]
    met = rate >= TARGET_PER_SECOND and result["duplicate_codes"] == 0
    return (f"vouchers_issue ({result['via']}, {result['clients']} clients): {vouchers:,} "
            f"vouchers in {result['seconds']:.2f} s = {rate:,.0f}/s; duplicate codes: "
            f"{result['duplicate_codes']}; failures: {result['failures']} "
            f"(target >= 100/s: {'met' if met else 'NOT met'})\n"
            f"  CPU in the clients: {cpu:.1f} s = {1000 * cpu / max(vouchers, 1):.1f} CPU-ms per "
            f"voucher (PostgreSQL not counted); load average {result['load_average']:.1f} on "
            f"{os.cpu_count()} cores")


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--via", choices=["service", "http"], default="service")
    args = p.parse_args()
    logging.disable(logging.WARNING)
    print(describe(measure(args.database_url, scale=args.scale, clients=args.clients,
                           via=args.via)))


if __name__ == "__main__":
    main()
