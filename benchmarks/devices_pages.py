"""Benchmark: the device list and stock pages for a partner holding N devices (default 200,000).

    python benchmarks/devices_pages.py --database-url postgresql://.../db --devices 200000

Fills the partner's stock once (bulk insert; later runs reuse it), signs in a staff member and
requests each page repeatedly through the app; prints the median and 90th percentile in ms.
Target: median under 100 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from _common import default_url, make_app

PARTNER = "Benchmark device partner"
PASSWORD = "benchmark password not for use"  # noqa: S105 - a throwaway benchmark account


def fill(app, devices: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, insert, select

    from devices.models import Device, DeviceKind, DeviceStatus, Grade, new_asset_tag
    from inclusion.auth.models import User
    from inclusion.auth.passwords import hash_password
    from inclusion.extensions import db, utcnow
    from inclusion.tenancy import Membership, Partner, PartnerKind, PartnerRole

    with app.app_context():
        partner = db.session.scalar(select(Partner).where(Partner.name == PARTNER))
        if partner is None:
            partner = Partner(name=PARTNER, kind=PartnerKind.CHARITY, authorities=["E08000025"])
            db.session.add(partner)
            user = User(email="bench-devices@example.org", name="Bench", active=True,
                        password_hash=hash_password(PASSWORD))
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(user_id=user.id, partner_id=partner.id,
                                      role=PartnerRole.STAFF))
            db.session.commit()
        have = db.session.scalar(select(func.count()).select_from(Device)
                                 .where(Device.partner_id == partner.id)) or 0
        rng = random.Random(have)
        statuses = [DeviceStatus.READY] * 4 + [DeviceStatus.ON_LOAN] * 3 + [
            DeviceStatus.RECEIVED, DeviceStatus.WIPED, DeviceStatus.RETIRED, DeviceStatus.GIFTED]
        now = utcnow()
        while have < devices:
            chunk = min(20_000, devices - have)
            tags = {new_asset_tag() for _ in range(chunk * 2)}
            taken = set(db.session.scalars(select(Device.asset_tag)
                                           .where(Device.asset_tag.in_(list(tags)))).all())
            tags = list(tags - taken)[:chunk]
            db.session.execute(insert(Device), [
                {"asset_tag": tag, "kind": rng.choice(list(DeviceKind)), "make": "Lenovo",
                 "model": "ThinkPad T480", "grade": rng.choice(list(Grade)),
                 "partner_id": partner.id, "status": rng.choice(statuses),
                 "status_changed_at": now, "created_at": now, "updated_at": now}
                for tag in tags
            ])
            db.session.commit()
            have += len(tags)
        oldest = db.session.scalar(select(func.min(Device.id))
                                   .where(Device.partner_id == partner.id))
        db.session.commit()
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load: statistics and the visibility map.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(db.text("VACUUM ANALYZE device"))
        return have, oldest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=default_url())
    parser.add_argument("--devices", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    app = make_app(args.database_url)
    total, oldest = fill(app, args.devices)
    client = app.test_client()
    response = client.post("/sign-in", data={"email": "bench-devices@example.org",
                                             "password": PASSWORD})
    assert response.status_code == 302, "benchmark user could not sign in"
    pages = {
        "device list, page 1": "/devices/",
        "device list, ready only": "/devices/?status=ready",
        "device list, tablets, older page": f"/devices/?kind=tablet&after={oldest + total // 2}",
        "device list, oldest page": f"/devices/?after={oldest + 50}",
        "device search by tag": "/devices/?q=WM-ACD-EFH",
        "stock by kind and status": "/devices/stock",
    }
    print(f"devices_pages: {total:,} devices held by one partner; {args.repeat} requests each")
    for name, url in pages.items():
        timings = []
        for _ in range(args.repeat + 2):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        timings = sorted(timings[2:])  # the first two warm caches
        p90 = timings[int(len(timings) * 0.9) - 1]
        print(f"  {name:<34} median {statistics.median(timings):7.1f} ms   p90 {p90:7.1f} ms")
    with app.app_context():
        from inclusion.extensions import db

        db.engine.dispose()


if __name__ == "__main__":
    main()
