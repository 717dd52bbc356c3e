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

from _common import default_url, make_app


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=default_url())
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    app = make_app(args.database_url, DEVICE_IMPORT_MAX_ROWS=args.rows,
                   DEVICE_IMPORT_MAX_BYTES=200 * 1024 * 1024)
    from devices.importers import import_devices
    from devices.models import DonationBatch
    from inclusion.extensions import db

    content = build_csv(args.rows, args.seed)
    with app.app_context():
        batch = DonationBatch(partner_id=None, donor="Benchmark donor", received_on=date.today())
        db.session.add(batch)
        db.session.commit()
        started = time.perf_counter()
        result = import_devices(batch=batch, content=content, user_id=None)
        db.session.commit()
        seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    print(f"devices_import: {result.count} rows ({len(content) / 1e6:.1f} MB) in {seconds:.2f} s "
          f"= {result.count / seconds:,.0f} rows/s (target: 100,000 rows in under 20 s)")


if __name__ == "__main__":
    main()
