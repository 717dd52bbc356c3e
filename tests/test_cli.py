"""Command-line commands: creating a system admin, and demo data refused in production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from inclusion.auth.models import User
from inclusion.auth.passwords import verify_password
from inclusion.extensions import db
from tests import factories

GOOD_PASSWORD = "plum orchard lantern seven"


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_create_admin_makes_a_system_admin(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "Boss@Example.org", "--name", "Bo Boss"],
        input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created system admin boss@example.org" in result.output
    user = db.session.scalars(select(User)).one()
    assert user.is_system_admin and user.name == "Bo Boss" and user.active
    assert verify_password(user.password_hash, GOOD_PASSWORD)
    assert GOOD_PASSWORD not in result.output.split("Created", 1)[1]


def test_create_admin_refuses_a_duplicate_email(app):
    existing = factories.make_user(email="taken@example.org")
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "TAKEN@example.org", "--password", GOOD_PASSWORD]
    )
    assert result.exit_code != 0
    assert "already exists" in result.output
    db.session.expire_all()
    assert _users() == 1 and existing.is_system_admin is False


def test_create_admin_refuses_a_weak_password_and_creates_nothing(app):
    for weak, message in [("short", "12 characters"), ("123456qwerty", "too common")]:
        result = app.test_cli_runner().invoke(
            args=["users", "create-admin", "new@example.org", "--password", weak]
        )
        assert result.exit_code != 0
        assert message in result.output
        assert "Traceback" not in result.output
    assert _users() == 0


def test_create_admin_needs_a_real_email(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "not an email", "--password", GOOD_PASSWORD]
    )
    assert result.exit_code != 0
    assert "email" in result.output.lower()
    assert _users() == 0


def test_demo_seed_is_refused_against_a_production_configuration(tmp_path: Path):
    database = tmp_path / "prod.sqlite"
    env = {
        **os.environ,
        "INCLUSION_ENV": "production",
        "SECRET_KEY": "production-secret-for-this-test",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    root = Path(__file__).resolve().parent.parent
    flask = [sys.executable, "-m", "flask", "--app", "inclusion"]
    upgrade = subprocess.run([*flask, "db", "upgrade"], cwd=root, env=env, capture_output=True,
                             text=True, timeout=120)
    assert upgrade.returncode == 0, upgrade.stderr
    result = subprocess.run([*flask, "demo", "seed", "--password", GOOD_PASSWORD], cwd=root,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "refused in a production configuration" in result.stderr
    import sqlite3

    with sqlite3.connect(database) as conn:
        assert conn.execute('SELECT count(*) FROM "user"').fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM partner").fetchone()[0] == 0
