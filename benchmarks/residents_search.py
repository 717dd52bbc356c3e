"""How long registering and finding residents take when one partner has many of them.

    python benchmarks/residents_search.py [--scale 1] [--database-url URL]

Makes a fresh database (SQLite in a temporary folder unless --database-url names an empty
one), registers 2,000 x scale demo residents at one partner through the registration service,
then times searches by name, phone and postcode (count plus the first page, as the page does).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Run from a checkout: import this tree's packages, not an installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import g  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from inclusion import create_app  # noqa: E402
from inclusion.extensions import db  # noqa: E402
from inclusion.residents import services  # noqa: E402
from inclusion.residents.demo import seed_residents  # noqa: E402
from inclusion.residents.models import Resident  # noqa: E402
from inclusion.tenancy import Partner, PartnerKind  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": url})
    app.instance_path = folder
    count = int(2000 * args.scale)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        partner = Partner(name="Benchmark partner", kind=PartnerKind.CHARITY,
                          authorities=["E08000025"])
        db.session.add(partner)
        db.session.flush()
        started = time.perf_counter()
        seed_residents(partners=[partner], count=count, rng=random.Random(7))
        db.session.commit()
        elapsed = time.perf_counter() - started
        print(f"registered {count} residents in {elapsed:.1f} s "
              f"({1000 * elapsed / count:.1f} ms each, with assessments, facts and audit)")
        sample = db.session.scalars(select(Resident).limit(1).offset(count // 2)).one()
        queries = {
            "name (one word)": sample.name.split()[0],
            "name (two words)": sample.name,
            "phone": sample.phone or "07700 900123",
            "postcode": sample.postcode or "B11 1AA",
            "postcode district": (sample.postcode or "B11 1AA").split()[0],
        }
        with app.test_request_context():
            g.partner = partner
            for label, text in queries.items():
                timings = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    statement = services.search_query(text)
                    total = db.session.scalar(
                        select(func.count()).select_from(statement.subquery())
                    )
                    list(db.session.scalars(statement.limit(25)))
                    timings.append(1000 * (time.perf_counter() - t0))
                print(f"search by {label:18} {statistics.median(timings):6.1f} ms median "
                      f"(p95 {sorted(timings)[int(0.95 * len(timings)) - 1]:.1f} ms), "
                      f"{total} found")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
