"""Test fixtures: the app on SQLite and on PostgreSQL, a client, and signing in by role."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g, request_started
from flask.testing import FlaskClient

from inclusion import create_app
from inclusion.extensions import db
from tests import factories

BACKENDS = ["sqlite", "postgresql"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
TIMEOUT_MS = 20_000  # generous: CI machines are small and shared



def _require(name: str) -> bool:
    return os.environ.get(name, "").strip() in {"1", "true", "yes"}


def _postgres_url() -> str | None:
    """TEST_DATABASE_URL; under pytest-xdist each worker gets its own database beside it."""
    url = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base = sa.engine.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    mine = base.set(database=f"{base.database}_{worker}")
    if _postgres_reachable(url) is None:
        engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                exists = conn.scalar(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                    {"name": mine.database},
                )
                if not exists:
                    conn.execute(sa.text(f'CREATE DATABASE "{mine.database}"'))
        finally:
            engine.dispose()
    return mine.render_as_string(hide_password=False)


def _postgres_reachable(url: str) -> str | None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect():
            return None
    except Exception as exc:  # noqa: BLE001 - report why, whatever it is
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()


def free_port() -> int:
    """A local TCP port nothing listens on, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_listening(port: int, server: subprocess.Popen[bytes], *, seconds: float = 60,
                         log: Path | None = None) -> None:
    """Wait for a server process the test started to accept connections on `port`; fail,
    with its log if given, if it exits or takes longer than `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert server.poll() is None, log.read_text() if log else "the server exited"
            assert time.monotonic() < deadline, f"nothing listened on {port} within {seconds} s"
            time.sleep(0.1)


def postgres_url_or_skip() -> str:
    """TEST_DATABASE_URL (this worker's database), or skip the test; under REQUIRE_POSTGRES=1
    a missing or unreachable server fails it instead."""
    url = _postgres_url() or ""
    problem = "TEST_DATABASE_URL is not set" if not url else _postgres_reachable(url)
    if problem:
        if _require("REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES=1) but: {problem}")
        pytest.skip(f"PostgreSQL tests skipped: {problem}")
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[str]:
    """A migrated, empty database on each backend; the suite runs once on each."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.sqlite"
        url = f"sqlite:///{path}"
    else:
        url = postgres_url_or_skip()
        _reset_postgres(url)
    _upgrade(url)
    yield url


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _upgrade(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def backend_of(app: Flask) -> str:
    return "postgresql" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else (
        "sqlite"
    )


def _empty_tables(app: Flask) -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


def _fresh_request_globals(sender: Flask, **extra: Any) -> None:
    """Start each test request with an empty `g`, as a real request has.

    Tests hold one app context open (for db.session), and Flask reuses it for every request in
    the test, so `g` would carry Flask-Login's cached user (and the acting partner, the CSP nonce
    and Babel's locale) from one request, or one client, to the next.
    """
    for key in list(g):
        g.pop(key)


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build an app on the test database with extra settings; tables are emptied afterwards."""
    made: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        config = {"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": database_url}
        config.update(overrides)
        app = create_app(config)
        app.instance_path = str(tmp_path)
        request_started.connect(_fresh_request_globals, app)
        made.append(app)
        return app

    yield build
    for app in made[:1]:
        with app.app_context():
            db.session.remove()
            _empty_tables(app)
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    application = make_app()
    with application.app_context():
        yield application
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login_as(app: Flask, client: FlaskClient) -> Callable[..., Any]:
    """Sign the test client in as a new user with a role (at a partner, made if not given)."""

    def sign_in(role: str, partner: Any = None, **user_fields: Any) -> Any:
        user = factories.user_with_role(role, partner=partner, **user_fields)
        db.session.commit()
        # Whoever was signed in on this client before is signed out first, so the new user
        # really is the one making the next requests.
        client.post("/sign-out")
        response = client.post(
            "/sign-in", data={"email": user.email, "password": factories.PASSWORD}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        with client.session_transaction() as session:
            assert session.get("_user_id") == str(user.id), "sign-in did not take"
        return user

    return sign_in


@pytest.fixture
def partner(app: Flask) -> Any:
    p = factories.make_partner()
    db.session.commit()
    return p


@pytest.fixture
def other_partner(app: Flask) -> Any:
    p = factories.make_partner(name="Another Partner")
    db.session.commit()
    return p


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # postgres_only tests prove things SQLite cannot (row locks); skip their SQLite run.
    for item in items:
        if item.get_closest_marker("postgres_only") and "[sqlite" in item.nodeid:
            item.add_marker(pytest.mark.skip(reason="proves PostgreSQL behaviour only"))



def _browser_required() -> bool:
    return os.environ.get("REQUIRE_BROWSER", "").strip().lower() in {"1", "true", "yes"}


def _missing_or_skip(problem: str) -> None:
    if _browser_required():
        pytest.fail(f"Browser tests are required (REQUIRE_BROWSER=1) but {problem}", pytrace=False)
    pytest.skip(f"Browser tests skipped: {problem}")


def _browser_problem() -> str | None:
    if not CHROMIUM.exists():
        return f"Debian's Chromium is not at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[test]')"
    if not AXE.exists():
        return f"axe-core is not at {AXE} (run npm ci)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    problem = _browser_problem()
    if problem:
        _missing_or_skip(problem)
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect as playwright_expect
    from playwright.sync_api import sync_playwright

    playwright_expect.set_options(timeout=TIMEOUT_MS)

    manager = sync_playwright().start()
    try:
        try:
            chromium = manager.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
        except PlaywrightError as exc:
            _missing_or_skip(f"Chromium did not start: {str(exc).splitlines()[0]}")
        yield chromium
        chromium.close()
    finally:
        manager.stop()
