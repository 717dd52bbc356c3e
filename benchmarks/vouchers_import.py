"""Import 200,000 voucher codes from a CSV into PostgreSQL (target: under 20 seconds).

    python benchmarks/vouchers_import.py --database-url postgresql://...
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from _common import fresh_app, parser

from inclusion.extensions import db

TARGET_CODES, TARGET_SECONDS = 200_000, 20.0


def measure(url: str, *, scale: float = 1.0) -> dict[str, Any]:
    """Drop and rebuild the database, then time importing 200,000 x scale codes from a CSV;
    the target is 200,000 codes in 20 s, as a rate."""
    count = round(TARGET_CODES * scale)
    app = fresh_app(url)
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
        distinct = db.session.query(VoucherCode.code).filter_by(
            batch_id=batch.id).distinct().count()
        db.session.remove()
        db.engine.dispose()
    rate = stored / elapsed
    target_rate = TARGET_CODES / TARGET_SECONDS
    return {"asked": count, "codes": len(codes), "stored": stored,
            "duplicate_codes": stored - distinct, "bytes": len(data), "seconds": elapsed,
            "per_second": rate,
            "target": "200,000 codes in under 20 s", "target_per_second": target_rate,
            "met": rate >= target_rate and stored == len(codes) == distinct}


def describe(result: dict[str, Any]) -> str:
    elapsed = result["seconds"]
    return (f"vouchers_import: {result['stored']:,} codes ({result['bytes'] / 1e6:.1f} MB CSV) "
            f"validated and imported in {elapsed:.2f} s = {result['per_second']:,.0f} codes/s "
            f"(target < 20 s: {'met' if elapsed < TARGET_SECONDS else 'NOT met'})")


def main() -> None:
    args = parser(__doc__).parse_args()
    logging.disable(logging.WARNING)
    print(describe(measure(args.database_url, scale=args.scale)))


if __name__ == "__main__":
    main()
