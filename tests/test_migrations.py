"""Migrations: one head, upgrade from empty on both backends, the models match the revisions,
and downgrading to base and upgrading again works on a scratch database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

from inclusion import PROJECT_ROOT, create_app
from inclusion.extensions import db
from inclusion.search_indexes import include_name
from tests.conftest import BACKENDS, postgres_url_or_skip

MIGRATIONS = PROJECT_ROOT / "migrations"


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def _head() -> str:
    return _script().get_current_head() or ""


def _app_for(url: str, instance: Path) -> Flask:
    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": url})
    app.instance_path = str(instance)
    return app


def _current_revision(connection: sa.Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _schema_differences(connection: sa.Connection) -> list[Any]:
    # The same comparison `flask db migrate` makes (env.py turns compare_type on).
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "render_as_batch": True,
                          "include_name": include_name}
    )
    return list(compare_metadata(context, db.metadata))


def _leftovers(connection: sa.Connection) -> list[str]:
    """Anything of ours still in the database: tables (bar alembic_version), and on
    PostgreSQL sequences and enum types."""
    inspector = sa.inspect(connection)
    found = [f"table {t}" for t in inspector.get_table_names() if t != "alembic_version"]
    if connection.dialect.name == "postgresql":
        found += [f"sequence {s}" for s in inspector.get_sequence_names()]
        found += [
            f"type {name}"
            for name in connection.scalars(
                sa.text(
                    "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
                    " WHERE n.nspname = 'public' AND t.typtype = 'e'"
                )
            )
        ]
    return found


def test_revisions_form_one_line_with_one_head_and_one_base():
    script = _script()
    assert len(script.get_heads()) == 1, f"more than one head: {script.get_heads()}"
    assert len(script.get_bases()) == 1, f"more than one base: {script.get_bases()}"
    revisions = list(script.walk_revisions())
    for revision in revisions:
        # Sequence-named: the file is called after its revision id.
        assert Path(revision.path).stem == revision.revision, revision.path
        assert not revision.is_merge_point, f"{revision.revision} is a merge point"


def test_upgrade_from_empty_reaches_the_head_with_every_model_table(app):
    with db.engine.connect() as connection:
        assert _current_revision(connection) == _head()
        tables = set(sa.inspect(connection).get_table_names())
    missing = {t.name for t in db.metadata.sorted_tables} - tables
    assert not missing, f"models with no table after upgrade: {sorted(missing)}"


def test_models_match_the_migrations(app):
    with db.engine.connect() as connection:
        differences = _schema_differences(connection)
    assert not differences, (
        "the models and the migrations disagree; generate a revision "
        f"(flask --app inclusion db migrate):\n{differences}"
    )


@pytest.fixture(params=BACKENDS)
def scratch_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database nobody else uses: a temporary SQLite file, or a throwaway
    PostgreSQL database made on the test server and dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.sqlite'}"
        return
    url = postgres_url_or_skip()
    server = sa.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{server.database}_scratch_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_downgrade_to_base_then_upgrade_again_works(scratch_url, tmp_path):
    app = _app_for(scratch_url, tmp_path)
    with app.app_context():
        try:
            upgrade()
            with db.engine.connect() as connection:
                assert _current_revision(connection) == _head()

            downgrade(revision="base")
            with db.engine.connect() as connection:
                assert _current_revision(connection) is None
                assert _leftovers(connection) == [], "downgrade to base left things behind"

            upgrade()
            with db.engine.connect() as connection:
                assert _current_revision(connection) == _head()
                assert _schema_differences(connection) == []
        finally:
            db.session.remove()
            db.engine.dispose()
