"""Benchmark: the referral inbox and the offer directory at scale, on PostgreSQL.

At --scale 1 it bulk-loads 300,000 referrals and 2,000 offers (plus 100 partners and 50,000
residents), then times the pages a busy receiving partner uses, through the real app (access
rules, templates and all). The target is a median under 100 ms per page.

    python benchmarks/learners_pages.py --database-url postgresql://postgres@127.0.0.1/bench \
        --scale 1 --reset

--reset drops and recreates the database's public schema first: point it at a scratch database.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import follow_next  # noqa: E402

from inclusion import create_app  # noqa: E402
from inclusion.extensions import db  # noqa: E402

PASSWORD = "benchmark password 2026"  # noqa: S105 - a throwaway benchmark account
AUTHORITIES = [f"E0800002{n}" for n in range(5, 10)] + ["E08000030", "E08000031"]
GROUPS = ["women", "ethnic-minorities", "care-leavers", "refugees", "autistic-young-people",
          "low-paid-work", "redundancy-risk", "older-people", "disabled-people"]
KINDS = ["basic digital skills with a digital champion", "Essential Digital Skills qualification",
         "coding bootcamp", "cyber bootcamp", "apprenticeship", "one-to-one help"]
STATUSES = [("sent", 15), ("accepted", 15), ("declined", 15), ("enrolled", 15),
            ("completed", 25), ("not completed", 8), ("withdrawn", 7)]


def _copy(conn: sa.Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    """COPY rows in with psycopg (far quicker than INSERTs at this size)."""
    raw = conn.connection.driver_connection
    # Table and column names are this script's own constants, never input.
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"  # noqa: S608
    with raw.cursor().copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def load(scale: float, rng: random.Random) -> dict[str, int]:
    from inclusion.auth.passwords import hash_password

    n_partners = 100
    n_residents = max(100, int(50_000 * scale))
    n_offers = max(20, int(2_000 * scale))
    n_referrals = max(100, int(300_000 * scale))
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        partners = [(i, f"Partner {i:03d}", "charity", json.dumps(AUTHORITIES[:3]), True, 12, now,
                     now) for i in range(1, n_partners + 1)]
        _copy(conn, "partner", ["id", "name", "kind", "authorities", "active",
                                "default_loan_weeks", "created_at", "updated_at"], partners)
        conn.execute(sa.text(
            "INSERT INTO \"user\" (id, email, name, password_hash, is_system_admin, "
            "is_coalition_lead, active, created_at, updated_at) VALUES (1, 'bench@example.org', "
            "'Bench Staff', :h, false, false, true, now(), now())"), {"h": hash_password(PASSWORD)})
        conn.execute(sa.text(
            "INSERT INTO membership (user_id, partner_id, role, created_at, updated_at) "
            "VALUES (1, 1, 'staff', now(), now())"))
        residents = []
        for i in range(1, n_residents + 1):
            name = f"Resident {i}"
            residents.append((i, 1 + i % n_partners, name, name.lower(),
                              f"+4477009{i % 100000:05d}", "B1 1AA", rng.choice(AUTHORITIES),
                              "45-54", "en", "consent", secrets.token_hex(16), now, now))
        _copy(conn, "resident", ["id", "partner_id", "name", "name_search", "phone", "postcode",
                                 "local_authority", "age_band", "preferred_language",
                                 "lawful_basis", "fact_key", "created_at", "updated_at"],
              residents)
        offers = []
        offer_partner = {}
        for i in range(1, n_offers + 1):
            # Partner 1 (the benchmark user's) publishes 5% of offers and so receives ~5% of
            # referrals; the busiest inbox is the one timed.
            partner_id = 1 if i % 20 == 0 else 2 + rng.randrange(n_partners - 1)
            offer_partner[i] = partner_id
            areas = rng.sample(AUTHORITIES, rng.randint(1, 4))
            groups = rng.sample(GROUPS, rng.randint(0, 3))
            starts = sorted(now.date() + timedelta(days=rng.randint(-30, 300)) for _ in range(2))
            offers.append((
                i, partner_id, f"Offer {i:05d} {rng.choice(['Intro', 'Skills', 'Bootcamp'])}",
                rng.choice(KINDS), "entry level", "online", None,
                "|" + "|".join(sorted(areas)) + "|",
                "|" + "|".join(sorted(groups)) + "|" if groups else "",
                "|" + "|".join(d.isoformat() for d in starts) + "|", starts[-1], True,
                rng.choice([2, 5, 10]), True, now, now,
            ))
        _copy(conn, "learning_offer", [
            "id", "partner_id", "title", "kind", "level", "delivery", "place",
            "authorities_packed", "target_groups_packed", "start_dates_text", "latest_start_on",
            "accepts_referrals", "response_days", "active", "created_at", "updated_at"], offers)
        weights = [w for _, w in STATUSES]
        names = [s for s, _ in STATUSES]
        referrals = []
        for i in range(1, n_referrals + 1):
            offer_id = rng.randint(1, n_offers)
            resident_id = rng.randint(1, n_residents)
            from_partner = 1 + resident_id % n_partners
            status = rng.choices(names, weights)[0]
            sent_at = now - timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))
            responded = (sent_at + timedelta(hours=rng.randint(2, 400))
                         if status not in ("sent", "withdrawn") else None)
            snapshot = json.dumps({"name": f"Resident {resident_id}", "phone": "+447700900123"})
            referrals.append((
                i, offer_id, from_partner, offer_partner[offer_id], resident_id, status, 1,
                "[]", snapshot, "Benchmark referral", False, False, sent_at,
                sent_at + timedelta(days=5), responded, now, now,
            ))
        _copy(conn, "referral", [
            "id", "offer_id", "from_partner_id", "to_partner_id", "resident_id", "status",
            "version", "shared_fields", "snapshot", "note", "consent_overridden", "sms_updates",
            "sent_at", "respond_by", "responded_at", "created_at", "updated_at"], referrals)
        for table in ("partner", "user", "membership", "resident", "learning_offer", "referral"):
            # The script's own table names, never input.
            sequence = f"pg_get_serial_sequence('\"{table}\"', 'id')"
            reset = f"SELECT setval({sequence}, (SELECT max(id) FROM \"{table}\"))"  # noqa: S608
            conn.execute(sa.text(reset))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    return {"partners": n_partners, "residents": n_residents, "offers": n_offers,
            "referrals": n_referrals,
            "referrals to the timed partner": sum(1 for r in referrals if r[3] == 1),
            "referrals from it": sum(1 for r in referrals if r[2] == 1)}


def time_pages(app: object, runs: int) -> list[tuple[str, float, float, float]]:
    client = app.test_client()  # type: ignore[attr-defined]
    signed = client.post("/sign-in", data={"email": "bench@example.org", "password": PASSWORD})
    assert signed.status_code == 302, "could not sign in"
    pages: list[tuple[str, str | tuple[str, int]]] = [
        ("inbox: waiting (default)", "/learners/referrals"),
        ("inbox: all statuses", "/learners/referrals?status="),
        # Page 20, or the last page of a shorter list: the label says which.
        ("inbox: completed, page {}", ("/learners/referrals?status=completed", 20)),
        ("sent by us", "/learners/referrals/sent"),
        ("directory: no filter", "/learners/offers"),
        ("directory: kind + area + group", "/learners/offers?kind=coding+bootcamp"
                                           "&area=E08000026&group=women"),
        ("directory: page 10", "/learners/offers?page=10"),
        ("home (panels)", "/"),
    ]
    out = []
    for label, where in pages:
        url = where if isinstance(where, str) else ""
        if isinstance(where, tuple):
            # A deep page of a keyset list is reached by its links, not by a page number.
            url, reached = follow_next(client, *where)
            label = label.format(reached)
        for _ in range(3):
            client.get(url)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        out.append((label, statistics.median(times), times[int(len(times) * 0.95) - 1],
                    times[-1]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database URL")
    parser.add_argument("--scale", type=float, default=0.1,
                        help="1 = 300,000 referrals and 2,000 offers (default 0.1)")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page")
    parser.add_argument("--reset", action="store_true",
                        help="drop and recreate the public schema first (scratch databases only)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be a postgresql:// URL")
    url = args.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if args.reset:
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        elif sa.inspect(db.engine).get_table_names():
            parser.error("the database is not empty; pass --reset to wipe it (scratch only)")
        from flask_migrate import upgrade

        upgrade()
        started = time.perf_counter()
        counts = load(args.scale, random.Random(args.seed))
        loaded = time.perf_counter() - started
        db.session.remove()
        summary = ", ".join(f"{v:,} {k}" for k, v in counts.items())
        print(f"Loaded in {loaded:.1f} s: {summary}")
        results = time_pages(app, args.runs)
        db.session.remove()
        db.engine.dispose()
    print(f"\n{'page':<34}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}")
    for label, median, p95, worst in results:
        flag = "" if median < 100 else "  (over the 100 ms target)"
        print(f"{label:<34}{median:>11.1f}{p95:>9.1f}{worst:>9.1f}{flag}")


if __name__ == "__main__":
    main()
