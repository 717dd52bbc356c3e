"""How long retention and erasure take.

    python benchmarks/retention.py [--scale N] [--database-url URL]


Builds N residents (half inactive for three years), each with a consent, an assessment, a text
message and two facts, then times a retention dry run, a real run, a second (idempotent) run,
and single erasures. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=int, default=2000, help="residents to create")
    parser.add_argument("--database-url", help="defaults to a temporary SQLite file")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from inclusion import create_app
    from inclusion.extensions import db, utcnow
    from inclusion.privacy import retention, services
    from inclusion.privacy.models import ErasureReason
    from tests import factories
    from tests.privacy.helpers import resident_with_history

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        partner = factories.make_partner(name=f"Bench partner {time.time_ns()}")
        now = utcnow()
        started = time.perf_counter()
        residents = []
        for n in range(args.scale):
            when = now - timedelta(days=3 * 365 if n % 2 else 30)
            residents.append(resident_with_history(
                partner, name=f"Bench Person {n}", phone=f"+4412149{n % 100000:05d}",
                email=f"bench{n}@example.net", postcode="B1 1AA", when=when,
            ))
            if n % 500 == 499:
                db.session.commit()
        db.session.commit()
        took = time.perf_counter() - started
        print(f"built {args.scale} residents in {took:.1f} s ({url.split(':')[0]})")

        def timed(label: str, dry_run: bool) -> None:
            t0 = time.perf_counter()
            report = retention.run(now=now, dry_run=dry_run)
            if dry_run:
                db.session.rollback()
            else:
                db.session.commit()
            print(f"{label}: {time.perf_counter() - t0:.2f} s  {report.counts()}")

        timed("retention dry run", True)
        timed("retention run", False)
        timed("second run", False)

        recent = [r for i, r in enumerate(residents) if i % 2 == 0][:20]
        t0 = time.perf_counter()
        for resident in recent:
            services.erase_resident(resident=resident, reason=ErasureReason.RESIDENT_ASKED,
                                    by=None)
            db.session.commit()
        each = (time.perf_counter() - t0) / max(1, len(recent)) * 1000
        print(f"erasure on request: {each:.1f} ms per resident (mean of {len(recent)})")
        db.engine.dispose()


if __name__ == "__main__":
    main()
