"""Import 200,000 voucher codes from a CSV into PostgreSQL (target: under 20 seconds).

    /work/venv/bin/python benchmarks/vouchers_import.py --database-url postgresql://...
"""

from __future__ import annotations

import logging
import secrets
import time

from _common import fresh_app, parser

from inclusion.extensions import db


def main() -> None:
    args = parser(__doc__).parse_args()
    logging.disable(logging.WARNING)
    count = int(200_000 * args.scale)
    app = fresh_app(args.database_url)
    from vouchers import services
    from vouchers.models import SchemeKind, VoucherCode, VoucherScheme

    with app.app_context():
        scheme = VoucherScheme(name="Bench SIM", provider="Bench", kind=SchemeKind.SIM_WITH_DATA,
                               gives="20 GB", criteria=["Low income"], validity_days=90)
        db.session.add(scheme)
        db.session.commit()
        codes = {f"BN-{secrets.token_hex(6).upper()}" for _ in range(count)}
        data = ("code\n" + "\n".join(sorted(codes)) + "\n").encode()
        started = time.perf_counter()
        batch = services.import_batch(scheme=scheme, data=data, reference="bench",
                                      expires_on=None, user_id=None)
        db.session.commit()
        elapsed = time.perf_counter() - started
        stored = db.session.query(VoucherCode).filter_by(batch_id=batch.id).count()
        db.session.remove()
        db.engine.dispose()
    print(f"vouchers_import: {stored:,} codes ({len(data) / 1e6:.1f} MB CSV) validated and "
          f"imported in {elapsed:.2f} s = {stored / elapsed:,.0f} codes/s "
          f"(target < 20 s: {'met' if elapsed < 20 else 'NOT met'})")


if __name__ == "__main__":
    main()
