"""Benchmark: CSV import of N donated devices into PostgreSQL (target: 100,000 in under 20 s).

    python benchmarks/devices_import.py --database-url postgresql://.../db --rows 100000

Times the whole import as the web page runs it: decode, check every row with the form's rules,
look up serial numbers and fresh asset tags, bulk insert the devices and their history rows,
commit. Prints rows per second and seconds.
"""

from __future__ import annotations

import argparse
import io
import random
import secrets
import time
from datetime import date
from typing import Any

from _common import default_url, make_app
from sqlalchemy import func, select

TARGET_ROWS, TARGET_SECONDS = 100_000, 20.0


def build_csv(rows: int, seed: int) -> bytes:
    rng = random.Random(seed)
    run = secrets.token_hex(3).upper()
    kinds = ["laptop", "Chromebook", "tablet", "smartphone", "mobile hotspot"]
    makes = [("Lenovo", "ThinkPad T480"), ("Dell", "Latitude 7490"), ("HP", "EliteBook 840"),
             ("Apple", "iPad 9th gen"), ("Samsung", "Galaxy A14"), ("Acer", "Chromebook 314")]
    out = io.StringIO()
    out.write("kind,make,model,grade,serial_number,spec_notes\n")
    for n in range(rows):
        make, model = rng.choice(makes)
        serial = f"B{run}{n:07d}" if rng.random() < 0.9 else ""
        out.write(f'{rng.choice(kinds)},{make},{model},{rng.choice("ABC")},{serial},'
                  f'"{rng.choice([4, 8, 16])}GB RAM, {rng.choice([128, 256, 512])}GB"\n')
    return out.getvalue().encode("utf-8")


def measure(url: str, *, rows: int | None = None, scale: float = 1.0, seed: int = 2026
            ) -> dict[str, Any]:
    """Import `rows` (default 100,000 x scale) devices into the database (migrated, data
    kept) and time it; the target is 100,000 rows in 20 s, as a rate."""
    rows = round(TARGET_ROWS * scale) if rows is None else rows
    app = make_app(url, DEVICE_IMPORT_MAX_ROWS=max(rows, 1),
                   DEVICE_IMPORT_MAX_BYTES=200 * 1024 * 1024)
    from devices.importers import import_devices
    from devices.models import Device, DonationBatch
    from inclusion.extensions import db

    content = build_csv(rows, seed)
    with app.app_context():
        batch = DonationBatch(partner_id=None, donor="Benchmark donor", received_on=date.today())
        db.session.add(batch)
        db.session.commit()
        started = time.perf_counter()
        result = import_devices(batch=batch, content=content, user_id=None)
        db.session.commit()
        seconds = time.perf_counter() - started
        stored = db.session.scalar(
            select(func.count()).select_from(Device).where(Device.batch_id == batch.id))
        db.session.remove()
        db.engine.dispose()
    rate = result.count / seconds
    target_rate = TARGET_ROWS / TARGET_SECONDS
    return {"rows": rows, "imported": result.count, "stored": stored,
            "bytes": len(content), "seconds": seconds, "per_second": rate,
            "target": "100,000 rows in under 20 s",
            "target_per_second": target_rate,
            "met": rate >= target_rate and stored == rows}


def describe(result: dict[str, Any]) -> str:
    return (f"devices_import: {result['imported']} rows ({result['bytes'] / 1e6:.1f} MB) in "
            f"{result['seconds']:.2f} s = {result['per_second']:,.0f} rows/s "
            f"(target: 100,000 rows in under 20 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=default_url())
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    print(describe(measure(args.database_url, rows=args.rows, seed=args.seed)))


if __name__ == "__main__":
    main()
