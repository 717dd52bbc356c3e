"""Shared set-up for the benchmarks: an app on a given database, migrated (or rebuilt)."""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from inclusion import create_app  # noqa: E402
from inclusion.extensions import db  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/inclusion_bench"


def default_url() -> str:
    """BENCH_DATABASE_URL, else DATABASE_URL, else a local PostgreSQL database for benchmarks."""
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_URL


def make_app(database_url: str, **config: Any) -> Any:
    """An app on the database, migrated to the newest revision (data kept)."""
    from flask_migrate import upgrade

    settings = {"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": "benchmark-only", "RATELIMIT_ENABLED": False,
                "WTF_CSRF_ENABLED": False}
    settings.update(config)
    app = create_app(settings)
    with app.app_context():
        upgrade()
    return app


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL")
                   or os.environ.get("TEST_DATABASE_URL") or DEFAULT_URL,
                   help="PostgreSQL URL (its public schema is dropped and rebuilt)")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the default sizes")
    return p


def fresh_app(url: str, **config: object) -> Any:
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


def app_on(url: str, **config: object) -> Any:
    return create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": url, **config})


_NEXT_LINK = re.compile(r'href="([^"]+)" rel="next"')


def follow_next(client: Any, url: str, pages: int) -> tuple[str, int]:
    """The address of page `pages` of a list, reached by its "next" links as a user would
    (keyset pages have no page numbers to jump to), and the page number actually reached."""
    reached = 1
    while reached < pages:
        found = _NEXT_LINK.search(client.get(url).get_data(as_text=True))
        if found is None:
            break
        url = html.unescape(found.group(1))
        reached += 1
    return url, reached
