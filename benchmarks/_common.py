"""Shared set-up for the benchmarks: a migrated PostgreSQL database and an app on it."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inclusion import create_app  # noqa: E402
from inclusion.extensions import db  # noqa: E402


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL")
                   or os.environ.get("TEST_DATABASE_URL"),
                   help="PostgreSQL URL (its public schema is dropped and rebuilt)")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the default sizes")
    return p


def fresh_app(url: str, **config: object):  # type: ignore[no-untyped-def]
    """Drop and re-migrate the database, then return an app on it."""
    if not url:
        raise SystemExit("Give --database-url or set BENCH_DATABASE_URL (PostgreSQL)")
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    from flask_migrate import upgrade

    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": url, **config})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app


def app_on(url: str, **config: object):  # type: ignore[no-untyped-def]
    return create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": url, **config})
