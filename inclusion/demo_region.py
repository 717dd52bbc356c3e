"""A generated region at scale: `flask --app inclusion demo region --residents N [--seed S]`.

The core makes partners, users, residents, consents, assessments and their facts; each domain
package registers a bulk generator (`register(bp, setup=..., residents=...)`) that adds its own
records for each chunk of residents and the facts that go with them. Rows go in with bulk
inserts (COPY on PostgreSQL, executemany on SQLite), never one ORM object at a time, and ids
are handed out here so that related rows can be written in the same pass.

Every fact's person milestones are worked out with `milestones_for` before it is written, just
as the ORM does on flush. The same seed gives the same region (timestamps aside).
"""

from __future__ import annotations

import json
import random
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app

from inclusion.extensions import Base
from inclusion.reference import (
    BENEFITS,
    DISABILITY,
    EMPLOYMENT_STATUSES,
    ETHNIC_GROUPS,
    GENDERS,
    LOCAL_AUTHORITIES,
    ethnic_high_level,
)

CHUNK = 5_000
BATCH = 20_000

# Authorities weighted towards the more deprived (Sandwell, Birmingham, Wolverhampton, Walsall).
AUTHORITY_WEIGHTS: dict[str, int] = {
    "E08000025": 34, "E08000026": 10, "E08000027": 9, "E08000028": 15,
    "E08000029": 5, "E08000030": 12, "E08000031": 15,
}
# Deprivation deciles of the people who come for help: most from the poorest areas.
IMD_WEIGHTS = (22, 18, 14, 11, 9, 7, 6, 5, 4, 4)


@dataclass
class PartnerRow:
    id: int
    kind: str
    authorities: list[str]
    staff_id: int


@dataclass(slots=True)
class ResidentRow:
    """What a generator needs to know about one generated resident (no ORM object)."""

    id: int
    partner_id: int
    fact_key: str
    local_authority: str
    age_band: str
    gender: str | None
    ethnic_group: str | None
    disability: str | None
    imd_decile: int | None
    phone: str | None
    classification: str
    registered_on: date
    sms: bool
    sharing: bool
    staff_id: int
    employment_status: str | None
    name: str = ""
    facts: list[tuple[str, int, date, str | None]] = field(default_factory=list)


Setup = Callable[["Region"], None]
ChunkGenerator = Callable[["Region", list[ResidentRow]], None]


def register(bp: Blueprint, *, setup: Setup | None = None, residents: ChunkGenerator | None = None,
             order: int = 50) -> None:
    """Called by a domain package: add its bulk generator to `demo region`."""

    def _record(state: Any) -> None:
        app: Flask = state.app
        app.extensions.setdefault("inclusion.region", []).append((order, bp.name, setup, residents))

    bp.record_once(_record)


def generators() -> list[tuple[int, str, Setup | None, ChunkGenerator | None]]:
    return sorted(current_app.extensions.get("inclusion.region", []), key=lambda g: (g[0], g[1]))


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


class Region:
    """The state shared by the generators during one run: connection, ids, partners, counts."""

    def __init__(self, conn: sa.Connection, *, seed: int, today: date) -> None:
        self.conn = conn
        self.rng = random.Random(seed)
        self.seed = seed
        self.today = today
        self.postgres = conn.dialect.name == "postgresql"
        self.partners: list[PartnerRow] = []
        self.working: list[PartnerRow] = []
        self.by_authority: dict[str, list[PartnerRow]] = defaultdict(list)
        self.admin_id = 0
        self.counts: dict[str, int] = defaultdict(int)
        self.shared: dict[str, Any] = {}
        self._next: dict[str, int] = {}
        self._staff: dict[int, int] = {}
        self.total = 0

    def ids(self, table: str, n: int) -> range:
        """n fresh primary keys for `table`."""
        if table not in self._next:
            found = self.conn.execute(sa.text(f'SELECT MAX(id) FROM "{table}"')).scalar()  # noqa: S608
            self._next[table] = (found or 0) + 1
        start = self._next[table]
        self._next[table] += n
        return range(start, start + n)

    def insert(self, table_name: str, rows: Sequence[dict[str, Any]]) -> None:
        """Bulk-insert rows (dicts with the same keys; column defaults filled in)."""
        if not rows:
            return
        table = Base.metadata.tables[table_name]
        given = list(rows[0])
        defaults = [(c.key, c.default) for c in table.columns
                    if c.key not in given and c.default is not None and not c.primary_key]
        names = given + [key for key, _ in defaults]
        self.counts[table_name] += len(rows)
        for start in range(0, len(rows), BATCH):
            part = rows[start:start + BATCH]
            filled = []
            for row in part:
                values = [row[k] for k in given]
                for _, default in defaults:
                    values.append(default.arg(None) if default.is_callable  # type: ignore[attr-defined]
                                  else default.arg)  # type: ignore[attr-defined]
                filled.append(values)
            if self.postgres:
                self._copy(table_name, names, filled)
            else:
                self.conn.execute(table.insert(), [dict(zip(names, v, strict=True))
                                                   for v in filled])

    def _copy(self, table_name: str, names: list[str], rows: Iterable[list[Any]]) -> None:
        raw: Any = self.conn.connection.driver_connection
        cols = ", ".join(f'"{n}"' for n in names)
        with raw.cursor() as cur, cur.copy(f'COPY "{table_name}" ({cols}) FROM STDIN') as copy:
            for values in rows:
                copy.write_row([_plain(v) for v in values])

    def fact(self, resident: ResidentRow, kind: str, partner_id: int, on: date,
             detail: str | None = None) -> None:
        """An outcome fact for this resident (written, with milestones, after the chunk)."""
        resident.facts.append((str(kind), partner_id, on, detail))

    def staff_of(self, partner_id: int) -> int:
        return self._staff[partner_id]

    def finish_chunk(self, residents: list[ResidentRow]) -> None:
        from inclusion.outcomes.milestones import milestones_for

        stamp = datetime.now(UTC)
        rows: list[dict[str, Any]] = []
        for r in residents:
            shaped = [SimpleNamespace(kind=k, occurred_on=on, detail=d, id=None)
                      for k, _, on, d in r.facts]
            bits = milestones_for(shaped)  # type: ignore[arg-type]
            for index, (kind, partner_id, on, detail) in enumerate(r.facts):
                rows.append({
                    "kind": kind, "occurred_on": on, "partner_id": partner_id,
                    "resident_key": r.fact_key, "local_authority": r.local_authority,
                    "age_band": r.age_band, "gender": r.gender,
                    "ethnic_group": ethnic_high_level(r.ethnic_group),
                    "disability": r.disability, "imd_decile": r.imd_decile, "detail": detail,
                    "quantity": 1, "milestones": bits.get(index, 0), "recorded_at": stamp,
                })
            r.facts.clear()
        if not rows:
            return
        ids = self.ids("outcome_fact", len(rows))
        for fact_id, row in zip(ids, rows, strict=True):
            row["id"] = fact_id
        # No pending rows: `generate` adds every fact into the monthly roll-up at the end.
        self.insert("outcome_fact", rows)

    def reset_sequences(self) -> None:
        """On PostgreSQL, move each id sequence past the ids handed out here."""
        if not self.postgres:
            return
        for table in self._next:
            self.conn.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))"))


def _plain(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value


# -- the core: partners, users, residents ---------------------------------------------------

PARTNER_PLAN: tuple[tuple[str, str, int], ...] = (
    # kind, name pattern, share of partners (per hundred)
    ("local authority", "{la} Council Digital Team", 7),
    ("library", "{la} {place} Library", 18),
    ("community group", "{place} Community Hub", 20),
    ("charity", "{place} {cause}", 20),
    ("housing association", "{place} Homes", 10),
    ("training provider", "{place} Digital Skills Centre", 12),
    ("college", "{la} {place} College", 6),
    ("donor", "{la} Device Bank", 4),
    ("network", "{la} Get Connected Network", 3),
)
PLACES = ("Aston", "Handsworth", "Sparkbrook", "Small Heath", "Erdington", "Kingstanding",
          "Tipton", "Smethwick", "West Bromwich", "Oldbury", "Bilston", "Whitmore Reans",
          "Bloxwich", "Darlaston", "Brierley Hill", "Netherton", "Foleshill", "Hillfields",
          "Chelmsley Wood", "Kingshurst", "Ladywood", "Nechells", "Lozells", "Stechford",
          "Wednesbury", "Blakenall", "Caldmore", "Castle Vale", "Bordesley Green", "Saltley")
CAUSES = ("Age Well", "Refugee Welcome", "Carers Centre", "Food Bank", "Advice Centre",
          "Women's Centre", "Disability Forum", "Mind", "Credit Union", "Youth Trust")
AUTH_NAMES = {la.code: la.name for la in LOCAL_AUTHORITIES}


def _weighted(rng: random.Random, pairs: dict[str, int]) -> str:
    return rng.choices(list(pairs), weights=list(pairs.values()))[0]


def _make_partners(region: Region, count: int, password_hash: str) -> None:
    rng = region.rng
    now = datetime.now(UTC)
    kinds = [k for k, _, share in PARTNER_PLAN for _ in range(share)]
    plan: list[tuple[str, str, list[str]]] = [
        ("donor", "West Midlands Device Bank", sorted(AUTHORITY_WEIGHTS)),
        ("network", "West Midlands Get Connected Network", sorted(AUTHORITY_WEIGHTS)),
    ]
    for la in sorted(AUTHORITY_WEIGHTS):  # every authority has at least one of each
        plan.append(("local authority", f"{AUTH_NAMES[la]} Council Digital Team", [la]))
        plan.append(("library", f"{AUTH_NAMES[la]} Central Library", [la]))
        plan.append(("training provider", f"{AUTH_NAMES[la]} Adult Learning", [la]))
    plan += [("charity", "Sandwell Age Well Charity", ["E08000028"]),
             ("community group", "Tipton Community Hub", ["E08000028"]),
             ("housing association", "Black Country Homes", ["E08000027", "E08000030"]),
             ("college", "Birmingham and Solihull College", ["E08000025", "E08000029"])]
    names = {name for _, name, _ in plan}
    while len(plan) < count:
        kind = rng.choice(kinds)
        la = _weighted(rng, AUTHORITY_WEIGHTS)
        pattern = next(p for k, p, _ in PARTNER_PLAN if k == kind)
        name = pattern.format(la=AUTH_NAMES[la], place=rng.choice(PLACES),
                              cause=rng.choice(CAUSES))
        if name in names:
            name = f"{name} ({len(plan) + 1})"
        names.add(name)
        areas = [la]
        if kind in ("college", "training provider") and rng.random() < 0.4:
            areas = sorted({la, _weighted(rng, AUTHORITY_WEIGHTS)})
        plan.append((kind, name, areas))
    ids = region.ids("partner", len(plan))
    user_ids = region.ids("user", 2 + 2 * len(plan))
    region.admin_id = user_ids[0]
    users = [
        {"id": user_ids[0], "email": "admin@example.org", "name": "Sam Admin",
         "password_hash": password_hash, "is_system_admin": True, "is_coalition_lead": False},
        {"id": user_ids[1], "email": "lead@example.org", "name": "Lee Lead",
         "password_hash": password_hash, "is_system_admin": False, "is_coalition_lead": True},
    ]
    partners, memberships = [], []
    member_ids = region.ids("membership", 2 * len(plan))
    region._staff = {}
    for index, ((kind, name, areas), pid) in enumerate(zip(plan, ids, strict=True)):
        partners.append({
            "id": pid, "name": name, "kind": kind, "authorities": areas,
            "contact_email": f"hello{index + 1}@partners.example.org",
            "agreement_version": "2026.1",
            "agreement_signed_on": region.today - timedelta(days=rng.randint(30, 700)),
            "active": True, "default_loan_weeks": 12, "created_at": now, "updated_at": now,
        })
        boss, worker = user_ids[2 + 2 * index], user_ids[3 + 2 * index]
        users.append({"id": boss, "email": f"admin{index + 1}@example.org",
                      "name": f"Partner Admin {index + 1}", "password_hash": password_hash,
                      "is_system_admin": False, "is_coalition_lead": False})
        users.append({"id": worker, "email": f"staff{index + 1}@example.org",
                      "name": f"Staff Member {index + 1}", "password_hash": password_hash,
                      "is_system_admin": False, "is_coalition_lead": False})
        memberships.append({"id": member_ids[2 * index], "user_id": boss, "partner_id": pid,
                            "role": "partner admin"})
        memberships.append({"id": member_ids[2 * index + 1], "user_id": worker,
                            "partner_id": pid, "role": "staff"})
        row = PartnerRow(pid, kind, areas, worker)
        region._staff[pid] = worker
        region.partners.append(row)
        if kind not in ("donor", "network"):
            region.working.append(row)
            for la in areas:
                region.by_authority[la].append(row)
    region.insert("partner", partners)
    region.insert("user", users)
    region.insert("membership", memberships)


def _residents(region: Region, count: int, first_index: int) -> list[ResidentRow]:
    from inclusion.residents.demo import (
        BAND_AGES,
        BAND_WEIGHTS,
        CLASS_WEIGHTS,
        LANGUAGE_WEIGHTS,
        _answers,
        _name,
        _postcode,
    )
    from inclusion.residents.models import Classification, classify

    rng = region.rng
    today = region.today
    ids = region.ids("resident", count)
    band_values = [str(b) for b, _ in BAND_WEIGHTS]
    band_w = [w for _, w in BAND_WEIGHTS]
    classes = [str(c) for c, _ in CLASS_WEIGHTS]
    class_w = [w for _, w in CLASS_WEIGHTS]
    langs = [code for code, _ in LANGUAGE_WEIGHTS]
    lang_w = [w for _, w in LANGUAGE_WEIGHTS]
    bands = {str(b): a for b, a in BAND_AGES.items()}
    out: list[ResidentRow] = []
    resident_rows, consent_rows, assessment_rows = [], [], []
    assessments: list[tuple[ResidentRow, str, date, Any]] = []
    for offset, rid in enumerate(ids):
        n = first_index + offset
        la = _weighted(rng, AUTHORITY_WEIGHTS)
        partner = rng.choice(region.by_authority.get(la) or region.working)
        band = rng.choices(band_values, weights=band_w)[0]
        first, family = _name(rng)
        # Unique numbers in the drama range would run out: real-looking mobile numbers instead.
        phone = f"+447{700000000 + n * 7 % 299_999_999:09d}" if rng.random() < 0.85 else None
        registered_on = today - timedelta(days=rng.randint(0, 720))
        wanted = rng.choices(classes, weights=class_w)[0]
        sms = bool(phone) and rng.random() < 0.8
        sharing = rng.random() < 0.6
        dob = None
        if rng.random() < 0.7:
            low, high = bands[band]
            dob = date(registered_on.year - rng.randint(low + 1, high), rng.randint(1, 12),
                       rng.randint(1, 28))
        gender = rng.choice(GENDERS[:2])[0] if rng.random() < 0.85 else None
        ethnic = rng.choice(ETHNIC_GROUPS)[0] if rng.random() < 0.75 else None
        disability = rng.choice(DISABILITY)[0] if rng.random() < 0.7 else None
        employment = rng.choice(EMPLOYMENT_STATUSES)[0] if rng.random() < 0.7 else None
        imd = rng.choices(range(1, 11), weights=IMD_WEIGHTS)[0] if rng.random() < 0.95 else None
        key = f"{region.seed:04x}{n:012x}{rng.getrandbits(64):016x}"[-32:]
        name = f"{first} {family}"
        created = at(registered_on)
        resident_rows.append({
            "id": rid, "partner_id": partner.id, "registered_by_id": partner.staff_id,
            "name": name, "name_search": " ".join(name.lower().split()), "phone": phone,
            "email": None, "postcode": _postcode(rng, la) if rng.random() < 0.95 else None,
            "local_authority": la, "date_of_birth": dob, "age_band": band, "gender": gender,
            "ethnic_group": ethnic, "disability": disability, "employment_status": employment,
            "receives_benefits": rng.choice(BENEFITS)[0] if rng.random() < 0.6 else None,
            "preferred_language": rng.choices(langs, weights=lang_w)[0],
            "lawful_basis": "consent" if rng.random() < 0.85 else "public task",
            "imd_decile": imd, "fact_key": key, "created_at": created, "updated_at": created,
        })
        row = ResidentRow(rid, partner.id, key, la, band, gender, ethnic, disability, imd, phone,
                          wanted, registered_on, sms, sharing, partner.staff_id, employment,
                          name)
        out.append(row)
        for kind, wanted_kind in (("sms contact", sms), ("referral sharing", sharing)):
            if wanted_kind:
                consent_rows.append({"resident_id": rid, "kind": kind, "wording_version": "2026.1",
                                     "recorded_at": created, "recorded_by_id": partner.staff_id})
        region.fact(row, "resident registered", partner.id, registered_on)
        assessments.append((row, "registration", registered_on,
                            _answers(rng, Classification(wanted))))
        region.fact(row, "assessment", partner.id, registered_on, f"first:{wanted}")
        if wanted != "engaged user" and rng.random() < 0.35:
            ladder = classes
            step = ladder.index(wanted)
            moved = min(step + rng.choice([0, 1, 1, 1, 2]), 2)
            on = registered_on + timedelta(days=rng.randint(28, 70))
            if on <= today:
                assessments.append((row, "after support", on,
                                    _answers(rng, Classification(ladder[moved]))))
                region.fact(row, "assessment", partner.id, on, f"follow-up:{ladder[moved]}")
                later = on + timedelta(days=90)
                if later <= today and rng.random() < 0.5:
                    kept = ladder[max(moved - (1 if rng.random() < 0.15 else 0), step)]
                    assessments.append((row, "3-month follow-up", later,
                                        _answers(rng, Classification(kept))))
                    region.fact(row, "assessment", partner.id, later, f"follow-up:{kept}")
                row.classification = ladder[moved]

    assessment_ids = region.ids("assessment", len(assessments))
    for aid, (row, kind, on, answers) in zip(assessment_ids, assessments, strict=True):
        assessment_rows.append({
            "id": aid, "resident_id": row.id, "partner_id": row.partner_id, "kind": kind,
            "assessed_on": on, "assessed_by_id": row.staff_id, "last_use": answers.last_use,
            "home_access": answers.home_access, "device_access": answers.device_access,
            "foundation_tasks": list(answers.foundation_tasks),
            "confidence": dict(answers.confidence),
            "classification": classify(answers.last_use, list(answers.foundation_tasks)),
            "created_at": at(on),
        })
    consent_ids = region.ids("consent", len(consent_rows))
    for cid, consent in zip(consent_ids, consent_rows, strict=True):
        consent["id"] = cid
    region.insert("resident", resident_rows)
    audit_ids = region.ids("audit_entry", len(resident_rows))
    region.insert("audit_entry", [{
        "id": aid, "at": r["created_at"], "user_id": r["registered_by_id"],
        "partner_id": r["partner_id"], "action": "resident registered",
        "entity_type": "resident", "entity_id": r["id"],
        "fields": ["name", "local_authority", "age_band"], "detail": None, "address": None,
    } for aid, r in zip(audit_ids, resident_rows, strict=True)])
    region.insert("consent", consent_rows)
    region.insert("assessment", assessment_rows)
    return out


def generate(*, residents: int, seed: int, password_hash: str, today: date | None = None,
             progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Fill the (empty) database with a region of `residents` residents; return row counts."""
    from inclusion.extensions import db

    engine = db.engine
    with engine.connect() as conn:
        region = Region(conn, seed=seed, today=today or date.today())
        region.total = residents
        partners = max(30, min(400, residents // 2500))
        _make_partners(region, partners, password_hash)
        gens = generators()
        for _, _, setup, _ in gens:
            if setup is not None:
                setup(region)
        conn.commit()
        rebuild = _drop_plain_indexes(conn) if region.postgres else []
        conn.commit()
        try:
            done = 0
            while done < residents:
                size = min(CHUNK, residents - done)
                # COPY goes straight to the driver: begin here so that commit() really commits.
                if not conn.in_transaction():
                    conn.begin()
                chunk = _residents(region, size, done)
                for _, _, _, make in gens:
                    if make is not None:
                        make(region, chunk)
                region.finish_chunk(chunk)
                conn.commit()
                done += size
                if progress is not None:
                    progress(size)
            region.reset_sequences()
            # One pass over all the facts is far cheaper than merging each chunk's sums in.
            first, last = conn.execute(sa.text("SELECT MIN(id), MAX(id) FROM outcome_fact")).one()
            if first is not None:
                from inclusion.outcomes import rollup

                rollup.add_range(conn, first, last)
            conn.commit()
        finally:
            # Even when a chunk failed: the schema is left as the migrations made it.
            _make_indexes(conn, rebuild)
        if region.postgres:
            # VACUUM sets the visibility map, so the outcome counts are index-only scans.
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                sa.text("VACUUM (ANALYZE)"))
        else:
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
    return dict(region.counts)


def _drop_plain_indexes(conn: sa.Connection) -> list[str]:
    """Drop every plain index in the schema (PostgreSQL) and return the statements that make
    them again, exactly as the migrations made them.

    Building an index once over the loaded rows is far cheaper than keeping it up to date row
    by row through millions of COPYed rows (the trigram indexes on names and phones above all).
    Primary keys, unique indexes and indexes behind constraints stay, so the load is checked
    against them as it goes.
    """
    found = conn.execute(sa.text(
        "SELECT format('%I.%I', n.nspname, c.relname), pg_get_indexdef(i.indexrelid) "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND NOT i.indisprimary AND NOT i.indisunique "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
        "ORDER BY c.relname")).all()
    for name, _ in found:
        conn.execute(sa.text(f"DROP INDEX {name}"))
    return [definition for _, definition in found]


def _make_indexes(conn: sa.Connection, statements: list[str]) -> None:
    if not statements:
        return
    conn.rollback()  # a failed chunk's transaction, if any; committed work is kept
    with conn.begin():
        # For this transaction only: sort each index in memory rather than on disk.
        conn.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
        for statement in statements:
            conn.execute(sa.text(statement))


def new_password_hash(password: str) -> str:
    from inclusion.auth.passwords import hash_password

    return hash_password(password)


def random_password() -> str:
    return "-".join(secrets.token_urlsafe(4) for _ in range(4))
